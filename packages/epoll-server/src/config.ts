/** hydrogen's Config, plus the limits a Node server needs. */
export interface Config {
  /** Address to listen on (numeric IPv4 or IPv6); default '0.0.0.0'. */
  addr?: string;
  /** Port to listen on; 0 (the default) picks any free port: read it from `server.port`. */
  port?: number;
  /** Worker threads; only 1 is supported until the worker pool lands. */
  maxThreads?: number;
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
}

/** The handshake time limit of a config, in ms (0: none). */
export function handshakeTimeoutOf(config: Pick<Config, 'handshakeTimeoutMs'>): number {
  const ms = config.handshakeTimeoutMs ?? 10_000;
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`handshakeTimeoutMs must be a finite number ≥ 0, got ${ms}`);
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
