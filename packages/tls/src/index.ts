/**
 * @simple-stream/tls: Secure, simple-stream's TLS stream (the surface of Plain, over any
 * Transport), and TlsContext for servers (SNI, client certificates, ALPN, tickets) and
 * clients (verification on by default). TLS is done by the OpenSSL that the node binary
 * carries, inside a small native addon.
 */
export { Secure, type SecureOptions } from './secure.js';
export {
  TlsContext,
  TlsContextRef,
  type Pem,
  type TlsVersion,
  type CommonContextOptions,
  type ServerContextOptions,
  type ClientContextOptions,
} from './context.js';
export type { SniContexts } from './sni.js';
export type { PeerCertificate } from './certificate.js';
export type { TlsSession } from './session.js';
export { TlsError } from './errors.js';
export { tlsStats } from './native.js';
