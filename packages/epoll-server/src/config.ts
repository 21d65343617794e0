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
