import type { ProxyProtocolMode } from './proxy-header.js';

/** hydrogen's Config, plus the limits a Node server needs. */
export interface Config {
  /** Address to listen on (numeric IPv4 or IPv6); default '0.0.0.0'. */
  addr?: string;
  /** Port to listen on; 0 (the default) picks any free port: read it from `server.port`. */
  port?: number;
  /**
   * Worker threads (hydrogen's I/O workers), 1 to 64; default 1. Above 1 the handler must
   * be given to `begin` as a module that every worker loads (see `HandlerModule`); with a
   * module, even 1 runs the handler in a worker thread of its own.
   */
  maxThreads?: number;
  /**
   * With a handler module: a value every worker's handler factory receives as
   * `context.data` (structured-cloned into each worker: plain data, no functions).
   */
  workerData?: unknown;
  /**
   * Closes a connection with ConnectionError `IDLE_TIMEOUT` once nothing was read from or
   * written to it for this many ms; 0 (the default) never does. Checked by one timer per
   * thread every `min(1000, limit / 4)` ms (at least 10), never before the limit.
   */
  idleTimeoutMs?: number;
  /** Connection slots made up front (the table grows past them); default 1,024. */
  preAllocated?: number;
  /** listen(2) backlog; default 511. */
  backlog?: number;
  /** SO_REUSEPORT on the listening socket, so several processes can share the port. */
  reusePort?: boolean;
  /** Bytes a slow reader may have queued before `queuePolicy` applies; default 1 MiB. */
  maxQueued?: number;
  /** Over `maxQueued`: close the connection (default) or drop the message. */
  queuePolicy?: 'close' | 'drop';
  /**
   * Time a connection has to complete its handshake, for streams that have one (a
   * `Secure` from @simple-stream/tls, or any stream exposing `handshakeComplete`):
   * past it the connection is closed with ConnectionError `HANDSHAKE_TIMEOUT`. Default
   * 10,000 ms; 0 turns the limit off. Checked by one timer per server, every
   * `min(250, limit / 4)` ms, so a stalled peer goes at most that much late.
   */
  handshakeTimeoutMs?: number;
  /**
   * TCP_NODELAY on accepted sockets; default true. Writes already leave once per batch
   * (corking), so Nagle's algorithm only adds delay: with it, a small reply that follows
   * another send (TLS 1.3's session tickets, say) waits ~40 ms for the peer's delayed ACK.
   */
  noDelay?: boolean;
  /**
   * Expect a PROXY protocol header (HAProxy's v1 text line, v2 binary header, or `'any'`
   * of them) before each connection's data; default false. The header is read off the
   * socket before `onNewConnection`, so no stream ever sees it, and `socket.remoteAddress`
   * is then the client's (`socket.peerAddress` the proxy's, `socket.proxyHeader` all of
   * it). A connection that does not start with a valid header is closed and reported as
   * removed (with no `onNewConnection` before) with ConnectionError `PROXY_PROTOCOL`; one
   * whose header has not all arrived within `handshakeTimeoutMs` (if not 0) with
   * `HANDSHAKE_TIMEOUT`; a TLS handshake's own limit starts after the header. Turn it on
   * only behind a proxy that sends the header: it is trusted as it comes.
   */
  proxyProtocol?: ProxyProtocolMode;
  /**
   * Answer hydrogen's stats request (see `StatsRequests`): a frame whose payload is
   * 0x0D then a big-endian float32 of seconds gets, that many seconds later, one frame
   * of JSON with the server's figures and the machine's RAM and CPU use. Such frames
   * then never reach `onDataReceived`. Default false.
   */
  statsRequests?: boolean;
}

/** The PROXY protocol mode of a config, checked. */
export function proxyProtocolOf(config: Pick<Config, 'proxyProtocol'>): ProxyProtocolMode {
  const mode = config.proxyProtocol ?? false;
  if (mode !== false && mode !== 'v1' && mode !== 'v2' && mode !== 'any') {
    throw new RangeError(`proxyProtocol must be false, 'v1', 'v2' or 'any', got ${String(mode)}`);
  }
  return mode;
}

/** The handshake time limit of a config, in ms (0: none). */
export function handshakeTimeoutOf(config: Pick<Config, 'handshakeTimeoutMs'>): number {
  const ms = config.handshakeTimeoutMs ?? 10_000;
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`handshakeTimeoutMs must be a finite number ≥ 0, got ${ms}`);
  return ms;
}

/** The idle time limit of a config, in ms (0: none). */
export function idleTimeoutOf(config: Pick<Config, 'idleTimeoutMs'>): number {
  const ms = config.idleTimeoutMs ?? 0;
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`idleTimeoutMs must be a finite number ≥ 0, got ${ms}`);
  return ms;
}

/** The effective limits of a server or client connection. */
export interface Limits {
  maxQueued: number;
  queuePolicy: 'close' | 'drop';
}

/** Checks and defaults the limits of a config. */
export function limitsOf(config: Pick<Config, 'maxQueued' | 'queuePolicy'>): Limits {
  const maxQueued = config.maxQueued ?? 1024 * 1024;
  if (!(maxQueued > 0)) throw new RangeError(`maxQueued must be positive, got ${maxQueued}`);
  const queuePolicy = config.queuePolicy ?? 'close';
  if (queuePolicy !== 'close' && queuePolicy !== 'drop') throw new RangeError(`queuePolicy must be 'close' or 'drop'`);
  return { maxQueued, queuePolicy };
}
