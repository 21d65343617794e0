/**
 * The native TLS engine: the loader, a precise type for the addon, and the per-thread
 * arrays every call reports into.
 *
 * Conventions: ids are plain integers (never externals); the data-path calls (`recv`,
 * `send`, `shutdown`) return {@link FAILED} instead of throwing, and the failure's
 * details are then fetched once with `takeError()`. Flags and the count of ciphertext
 * bytes a call produced go to {@link state}; the ciphertext itself to {@link out}.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The details of a native failure, as captured from OpenSSL's error queue. */
export interface NativeError {
  /** The reason as an identifier, e.g. `CERTIFICATE_VERIFY_FAILED`. */
  code: string;
  /** OpenSSL's library string, e.g. `SSL routines`; null for our own failures. */
  library: string | null;
  /** OpenSSL's reason string, e.g. `certificate verify failed`. */
  reason: string;
  /** The X509 verification failure (`CERT_HAS_EXPIRED`…), if verification failed. */
  verifyCode: string | null;
  verifyMessage: string | null;
  /** errno of a failed system call (fd mode), else 0. */
  errno: number;
}

/** What `info()` reports about a connection. */
export interface NativeInfo {
  protocol: string | null;
  cipher: string | null;
  alpn: string | null;
  servername: string | null;
  sessionReused: boolean;
  verifyCode: string | null;
  verifyMessage: string | null;
  peerCertificate: boolean;
  server: boolean;
}

/** The peer's certificate as the addon returns it (dates in ms since the epoch). */
export interface NativeCertificate {
  subject: Record<string, string | string[]>;
  issuer: Record<string, string | string[]>;
  subjectAltName: string | null;
  validFrom: number | null;
  validTo: number | null;
  fingerprint256: string;
  serialNumber: string;
  raw: Uint8Array;
}

/** Options of `contextCreate`, already checked and normalized by src/context.ts. */
export interface NativeContextOptions {
  server: boolean;
  /** 0: no peer certificate asked; 1: asked, result kept, never fatal; 2: required. */
  verify: 0 | 1 | 2;
  sni?: boolean;
  tickets?: boolean;
  sessionTimeout?: number;
  minVersion?: number;
  maxVersion?: number;
  cert?: string;
  key?: string;
  passphrase?: string;
  ca?: string;
  ciphers?: string;
  cipherSuites?: string;
  alpn?: Uint8Array;
}

/** The addon's exports. */
export interface TlsBinding {
  /** Registers the arrays every call reports into (done once per thread by this module). */
  init(state: Int32Array, out: Uint8Array): void;
  /** @returns a context id, or FAILED (details: takeError). Bad arguments throw. */
  contextCreate(options: NativeContextOptions): number;
  /** Drops the id's reference: connections made from it keep working. */
  contextFree(context: number): void;
  /** @returns a connection id, or FAILED. `fd` >= 0 selects fd mode (see README). */
  connCreate(context: number, sni: string | null, verifyHost: string | null, verifyIp: string | null, allowEof: boolean, fd: number): number;
  connFree(connection: number): void;
  /**
   * Feeds `input[inOff, inOff+inLen)` (all of it is taken; null: no new input), advances
   * the handshake and decrypts into `plain[plainOff, plainOff+plainLen)`.
   * @returns plaintext bytes written, or FAILED.
   */
  recv(connection: number, input: Uint8Array | null, inOff: number, inLen: number, plain: Uint8Array, plainOff: number, plainLen: number): number;
  /** Encrypts what fits in `out` of `plain[off, off+len)`. @returns bytes taken, or FAILED. */
  send(connection: number, plain: Uint8Array, off: number, len: number): number;
  /** Produces close_notify (once the handshake is done). @returns 0 or FAILED. */
  shutdown(connection: number): number;
  /** The transport ended: see SecureOptions.requireCloseNotify. */
  eof(connection: number): void;
  /** fd mode: moves the ciphertext the socket did not take into `out`. @returns its bytes. */
  takePending(connection: number): number;
  /** SNI: continue the paused handshake with `context` (0: the default one). */
  selectContext(connection: number, context: number): void;
  info(connection: number): NativeInfo;
  peerCertificate(connection: number): NativeCertificate | null;
  /** fd mode: [bytes read, bytes written] on the socket by the connection itself. */
  socketBytes(connection: number): [number, number];
  /** Live native objects of this thread (leak checks). */
  stats(): { connections: number; contexts: number };
  /** The last failure's details (once), or null. */
  takeError(): NativeError | null;
  readonly constants: {
    readonly S_FLAGS: number;
    readonly S_OUT: number;
    readonly S_PENDING: number;
    readonly S_SHORT_READ_DRAINS: number;
    readonly S_SIZE: number;
    readonly F_HANDSHAKE_DONE: number;
    readonly F_PEER_CLOSED: number;
    readonly F_MORE_OUT: number;
    readonly F_MORE_IN: number;
    readonly F_NEED_CONTEXT: number;
    readonly F_SENT_SHUTDOWN: number;
    readonly FAILED: number;
    readonly RECORD_PLAIN: number;
    readonly RECORD_OVERHEAD: number;
    readonly TLS1_2_VERSION: number;
    readonly TLS1_3_VERSION: number;
  };
}

// src/ (tests run the TypeScript) and dist/ (built) are both one level below the root.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as (dir: string) => unknown;

/** The addon, loaded once per thread. */
export const native: TlsBinding = nodeGypBuild(packageRoot) as TlsBinding;

/** Flag bits and state slots (from the C header, never retyped). */
export const C = native.constants;
/** The value data-path calls return on failure. */
export const FAILED = C.FAILED;

/** Per-thread report slots: `state[C.S_FLAGS]`, `state[C.S_OUT]`, `state[C.S_PENDING]`. */
export const state = new Int32Array(C.S_SIZE);
/**
 * Per-thread ciphertext output: each call writes what it produced at offset 0, and the
 * caller writes it to its transport (or copies it) before the next call. Eight full
 * records: one send() call encrypts up to ~128 KiB.
 */
export const out = new Uint8Array(8 * (C.RECORD_PLAIN + C.RECORD_OVERHEAD));
native.init(state, out);

/** Live native TLS objects of this thread: connections and contexts not yet freed. */
export function tlsStats(): { connections: number; contexts: number } {
  return native.stats();
}
