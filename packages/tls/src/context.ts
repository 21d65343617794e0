import { rootCertificates } from 'node:tls';
import { TlsError, takeTlsError } from './errors.js';
import { C, FAILED, native, type NativeContextOptions } from './native.js';
import { SniTable, type SniContexts } from './sni.js';

/** PEM text: a string or its bytes. */
export type Pem = string | Uint8Array;
/** The protocol versions a context may allow. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** Options of both sides. */
export interface CommonContextOptions {
  /** Our certificate, then the intermediates of its chain (one PEM, or one per entry). */
  cert?: Pem | readonly Pem[];
  /** The private key of `cert` (PEM; encrypted keys need `passphrase`). */
  key?: Pem;
  passphrase?: string;
  /** Trusted CA certificates that verify the peer. A client defaults to Node's roots. */
  ca?: Pem | readonly Pem[];
  /** Oldest version allowed; default 'TLSv1.2'. */
  minVersion?: TlsVersion;
  /** Newest version allowed; default 'TLSv1.3'. */
  maxVersion?: TlsVersion;
  /** OpenSSL cipher list for TLS 1.2 and older (e.g. 'ECDHE-ECDSA-AES128-GCM-SHA256'). */
  ciphers?: string;
  /** TLS 1.3 suites (e.g. 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256'). */
  cipherSuites?: string;
  /** ALPN protocols, most preferred first ('h2', 'http/1.1', 'my-proto/1'). */
  alpnProtocols?: readonly string[];
}

/** Options of a server context. */
export interface ServerContextOptions extends CommonContextOptions {
  cert: Pem | readonly Pem[];
  key: Pem;
  /** Ask clients for a certificate, verified against `ca`; without one, or with a bad one, the handshake still completes with `authorized === false`. */
  requestCert?: boolean;
  /** Ask for a client certificate and fail handshakes without a valid one (mTLS). */
  requireCert?: boolean;
  /** Session tickets (stateless resumption); default true. */
  sessionTickets?: boolean;
  /** Seconds a session may be resumed; default OpenSSL's (300). */
  sessionTimeout?: number;
  /**
   * Per host name contexts chosen by the client's SNI: exact names or `*.example.com`
   * (one label), matched case-insensitively. A chosen context brings its certificate,
   * key, `ca`, `requestCert`/`requireCert` and `alpnProtocols`; the protocol versions and
   * ciphers stay this context's. Unmatched names get this context.
   */
  sniContexts?: SniContexts;
  /** Or a function choosing one (after `sniContexts` found none); undefined: this context. */
  sni?: (servername: string) => TlsContext | null | undefined;
}

/** Options of a client context. */
export interface ClientContextOptions extends CommonContextOptions {
  /** The server name: sent as SNI and checked against the certificate (an IP address is checked against its IP SANs and not sent). Each Secure may override it. */
  servername?: string;
  /** Verify the server's chain and name (the default); `false` is the explicit opt-out, leaving the result in `authorized`. */
  rejectUnauthorized?: boolean;
}

const contexts = new FinalizationRegistry<number>((id) => native.contextFree(id));
let defaultCa: string | undefined;
const versions: Record<TlsVersion, number> = { 'TLSv1.2': C.TLS1_2_VERSION, 'TLSv1.3': C.TLS1_3_VERSION };

/**
 * TLS settings and credentials, immutable once made: one context serves any number of
 * connections. To change certificates, make a new context and hand it to new handshakes
 * (see {@link TlsContextRef}); connections already made keep the one they started with.
 * The native context is freed by {@link dispose} or when the object is collected.
 */
export class TlsContext {
  /** True for a server context. */
  readonly isServer: boolean;
  /** The client's default server name. */
  readonly servername: string | undefined;
  /** Client: whether failed verification fails the handshake. */
  readonly rejectUnauthorized: boolean;
  readonly #sni: SniTable | null;
  #id: number;

  private constructor(server: boolean, nativeOptions: NativeContextOptions, extra: { servername?: string; rejectUnauthorized?: boolean; sni?: SniTable | null }) {
    const id = native.contextCreate(nativeOptions);
    if (id === FAILED) throw takeTlsError(server ? 'bad server context options' : 'bad client context options');
    this.#id = id;
    this.isServer = server;
    this.servername = extra.servername;
    this.rejectUnauthorized = extra.rejectUnauthorized ?? true;
    this.#sni = extra.sni ?? null;
    contexts.register(this, id, this);
  }

  /** A server context. Throws TlsError (`code` from OpenSSL) for bad PEM or options. */
  static server(options: ServerContextOptions): TlsContext {
    if (options.cert === undefined || options.key === undefined) throw new TypeError('a server context needs cert and key');
    const sni = options.sniContexts !== undefined || options.sni !== undefined ? new SniTable(options.sniContexts, options.sni) : null;
    const verify = options.requireCert === true ? 2 : options.requestCert === true ? 1 : 0;
    if (verify !== 0 && options.ca === undefined) throw new TypeError('requestCert/requireCert need ca');
    return new TlsContext(true, { ...common(options), server: true, verify, sni: sni !== null, tickets: options.sessionTickets ?? true, sessionTimeout: options.sessionTimeout }, { sni });
  }

  /** A client context. Throws TlsError for bad PEM or options. */
  static client(options: ClientContextOptions = {}): TlsContext {
    const reject = options.rejectUnauthorized ?? true;
    const base = common(options);
    base.ca ??= (defaultCa ??= rootCertificates.join('\n'));
    return new TlsContext(false, { ...base, server: false, verify: reject ? 2 : 1 }, { servername: options.servername, rejectUnauthorized: reject });
  }

  /** @internal The native id; throws once disposed. */
  get nativeId(): number {
    if (this.#id === 0) throw new TlsError('DISPOSED', 'the TLS context was disposed');
    return this.#id;
  }

  /** True once {@link dispose} was called. */
  get disposed(): boolean {
    return this.#id === 0;
  }

  /** True when this server context chooses contexts by SNI. */
  get hasSni(): boolean {
    return this.#sni !== null;
  }

  /** The context serving `servername` (SNI); this one when none is set for it. */
  contextFor(servername: string): TlsContext {
    const chosen = this.#sni?.lookup(servername);
    if (chosen === undefined || chosen === this) return this;
    if (!chosen.isServer) throw new TlsError('SNI_FAILED', `the SNI context for ${servername} is not a server context`);
    return chosen;
  }

  /** Frees the native context now; connections made from it keep working. */
  dispose(): void {
    if (this.#id === 0) return;
    contexts.unregister(this);
    native.contextFree(this.#id);
    this.#id = 0;
  }
}

/**
 * A replaceable context: whoever accepts connections reads {@link current} for each new
 * handshake, so `replace()` (e.g. after renewing certificates) takes effect for new
 * connections while established ones keep the context they started with.
 */
export class TlsContextRef {
  #current: TlsContext;

  constructor(initial: TlsContext) {
    this.#current = initial;
  }

  /** The context new handshakes use. */
  get current(): TlsContext {
    return this.#current;
  }

  /** Makes `next` serve new handshakes; returns the previous context (dispose it whenever: live connections keep it). */
  replace(next: TlsContext): TlsContext {
    if (next.isServer !== this.#current.isServer) throw new TypeError('replace a server context with a server context (or client with client)');
    const previous = this.#current;
    this.#current = next;
    return previous;
  }
}

function pem(value: Pem | readonly Pem[] | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? (value as readonly Pem[]) : [value as Pem];
  if (list.length === 0) throw new TypeError(`${name} is empty`);
  return list.map((p) => (typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('latin1'))).join('\n');
}

function version(v: TlsVersion | undefined, fallback: TlsVersion, name: string): number {
  const n = versions[v ?? fallback];
  if (n === undefined) throw new RangeError(`${name} must be 'TLSv1.2' or 'TLSv1.3', got ${String(v)}`);
  return n;
}

/** ALPN's wire format: each protocol as a length byte and its bytes. */
function alpnWire(protocols: readonly string[] | undefined): Uint8Array | undefined {
  if (protocols === undefined || protocols.length === 0) return undefined;
  const parts = protocols.map((p) => Buffer.from(p, 'utf8'));
  for (const p of parts) if (p.length < 1 || p.length > 255) throw new RangeError('ALPN protocol names must be 1 to 255 bytes');
  return Buffer.concat(parts.flatMap((p) => [Buffer.of(p.length), p]));
}

function common(o: CommonContextOptions): Omit<NativeContextOptions, 'server' | 'verify'> {
  const minVersion = version(o.minVersion, 'TLSv1.2', 'minVersion');
  const maxVersion = version(o.maxVersion, 'TLSv1.3', 'maxVersion');
  if (minVersion > maxVersion) throw new RangeError('minVersion is newer than maxVersion');
  return {
    cert: pem(o.cert, 'cert'),
    key: pem(o.key, 'key'),
    passphrase: o.passphrase,
    ca: pem(o.ca, 'ca'),
    minVersion,
    maxVersion,
    ciphers: o.ciphers,
    cipherSuites: o.cipherSuites,
    alpn: alpnWire(o.alpnProtocols),
  };
}
