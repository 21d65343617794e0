import { isIP } from 'node:net';
import { peerCertificateOf, type PeerCertificate } from './certificate.js';
import type { TlsContext } from './context.js';
import type { TransportError } from '@simple-stream/stream';
import { TlsError, takeNativeError, takeTlsError } from './errors.js';
import { C, FAILED, native, state, type NativeInfo } from './native.js';

const engines = new FinalizationRegistry<number>((id) => native.connFree(id));

/**
 * One native TLS connection: the calls of the data path with their flags, the SNI
 * choice, and the cold-path facts (cached once the handshake is done). After each call,
 * {@link produced} ciphertext bytes wait at the start of the thread's `out` array: the
 * caller must take them before the next call into the addon.
 */
export class Engine {
  readonly context: TlsContext;
  /** The SST_F_* flags after the last call. */
  flags = 0;
  /** Ciphertext bytes the last call left in `out`. */
  produced = 0;
  /** fd mode: ciphertext held inside because the socket was full. */
  pending = 0;
  /** The socket TLS reads and writes itself (fd mode), or -1. */
  readonly fd: number;
  /** The failure that ended this connection, if one did. */
  error: TlsError | TransportError | null = null;
  #id: number;
  #info: NativeInfo | null = null;
  #peer: PeerCertificate | null | undefined;
  /** fd mode: the socket byte counts, kept when the native connection is freed. */
  #socketBytes: [number, number] = [0, 0];

  constructor(context: TlsContext, servername: string | undefined, allowEof: boolean, fd = -1) {
    let sni: string | null = null;
    let host: string | null = null;
    let ip: string | null = null;
    if (!context.isServer) {
      const name = servername ?? context.servername;
      if (name === undefined && context.rejectUnauthorized) {
        throw new TypeError('a verifying TLS client needs a servername (or rejectUnauthorized: false)');
      }
      if (name !== undefined && isIP(name) !== 0) ip = name;
      else if (name !== undefined) sni = host = name;
    }
    this.context = context;
    this.fd = fd;
    const id = native.connCreate(context.nativeId, sni, host, ip, allowEof, fd);
    if (id === FAILED) throw takeTlsError('cannot create a TLS connection');
    this.#id = id;
    engines.register(this, id, this);
  }

  get handshakeDone(): boolean {
    return (this.flags & C.F_HANDSHAKE_DONE) !== 0;
  }

  /**
   * Decrypts into `plain`; see TlsBinding.recv. Returns bytes or FAILED. fd mode:
   * `shortReadDrains` says that a short read(2) empties the socket (edge-triggered, and
   * no end seen), which spares the read that would only meet EAGAIN.
   */
  recv(input: Uint8Array | null, length: number, plain: Uint8Array, offset: number, room: number, shortReadDrains = false): number {
    state[C.S_SHORT_READ_DRAINS] = shortReadDrains ? 1 : 0;
    const n = native.recv(this.#live(), input, 0, length, plain, offset, room);
    this.#settle();
    return n;
  }

  /** Encrypts what fits of `plain[offset, offset+length)`. Returns bytes taken or FAILED. */
  send(plain: Uint8Array, offset: number, length: number): number {
    const n = native.send(this.#live(), plain, offset, length);
    this.#settle();
    return n;
  }

  /** Produces close_notify (after the handshake). Returns 0 or FAILED. */
  shutdown(): number {
    const n = native.shutdown(this.#live());
    this.#settle();
    return n;
  }

  /** fd mode: moves held ciphertext to `out` (see {@link produced}). */
  takePending(): void {
    native.takePending(this.#live());
    this.#settle();
  }

  /** The transport ended. */
  eof(): void {
    native.eof(this.#live());
  }

  /** SNI: picks the context for the name the client sent and lets the handshake go on. */
  chooseContext(): void {
    const name = native.info(this.#live()).servername;
    let id = 0;
    try {
      const chosen = name === null ? this.context : this.context.contextFor(name);
      if (chosen !== this.context) id = chosen.nativeId; // throws for a disposed context
    } catch (err) {
      throw this.fail(new TlsError('SNI_FAILED', `choosing the context for ${name} failed`, {}, { cause: err }));
    }
    native.selectContext(this.#id, id);
  }

  /** Records the failure the addon just reported (or `error`) and returns it. */
  fail(error?: TlsError): TlsError | TransportError {
    this.error ??= error ?? takeNativeError(this.handshakeDone ? 'TLS failed' : 'TLS handshake failed');
    return this.error;
  }

  /** Negotiated facts; complete once the handshake is done (then cached). */
  get info(): NativeInfo {
    if (this.#info !== null) return this.#info;
    const info = native.info(this.#live());
    if (this.handshakeDone) this.#info = info;
    return info;
  }

  /** The peer's certificate (null without one); cached after the handshake. */
  get peerCertificate(): PeerCertificate | null {
    if (this.#peer !== undefined) return this.#peer;
    const raw = this.#id === 0 ? null : native.peerCertificate(this.#id);
    const peer = raw === null ? null : peerCertificateOf(raw);
    if (this.handshakeDone) this.#peer = peer;
    return peer;
  }

  /** fd mode: [read, written] bytes on the socket so far (cold path: a native call). */
  get socketBytes(): [number, number] {
    if (this.#id !== 0 && this.fd >= 0) this.#socketBytes = native.socketBytes(this.#id);
    return this.#socketBytes;
  }

  /** Frees the native connection (idempotent). */
  free(): void {
    if (this.#id === 0) return;
    void this.socketBytes;
    if (this.handshakeDone) {
      // Keep what users may still ask after close.
      void this.info;
      void this.peerCertificate;
    }
    engines.unregister(this);
    native.connFree(this.#id);
    this.#id = 0;
  }

  #settle(): void {
    this.flags = state[C.S_FLAGS];
    this.produced = state[C.S_OUT];
    this.pending = state[C.S_PENDING];
  }

  #live(): number {
    if (this.#id === 0) throw new TlsError('CLOSED', 'the TLS connection is closed');
    return this.#id;
  }
}
