import { ConnectionError, ConnectionErrorCode } from './errors.js';
import type { SocketAddress } from './native.js';

/**
 * Which PROXY protocol headers a server expects in front of every connection (HAProxy's
 * specification): `'v1'` the text line, `'v2'` the binary header, `'any'` either (told
 * apart by their first byte), `false` none.
 */
export type ProxyProtocolMode = false | 'v1' | 'v2' | 'any';

/** What a PROXY protocol header said about the connection it preceded. */
export interface ProxyHeader {
  /** 1 for the text line, 2 for the binary header. */
  readonly version: 1 | 2;
  /**
   * `'PROXY'`: relayed on behalf of a client. `'LOCAL'` (v2 only): opened by the proxy
   * itself (a health check), whose addresses are the socket's own.
   */
  readonly command: 'PROXY' | 'LOCAL';
  /**
   * The original client, or null when the header carries no address to use: LOCAL, v1
   * `UNKNOWN`, v2 `AF_UNSPEC` or a datagram transport (the real endpoints stand then).
   */
  readonly source: SocketAddress | null;
  /** The address the client connected to (the proxy's listener), or null as for `source`. */
  readonly destination: SocketAddress | null;
  /** Bytes the header took on the wire; the connection's own data starts after them. */
  readonly length: number;
}

/** A malformed header: the typed error its connection is closed with. */
export function proxyProtocolError(message: string): ConnectionError {
  return new ConnectionError(ConnectionErrorCode.ProxyProtocol, `PROXY protocol: ${message}`);
}
