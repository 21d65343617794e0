import type { Frame } from '@simple-stream/frames';
import { handshakeTimeoutOf, limitsOf, type Config } from './config.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { Counters, type Stats } from './counters.js';
import { ConnectionError, ConnectionErrorCode } from './errors.js';
import type { Handler } from './handler.js';
import { HandshakeDeadlines } from './handshakes.js';
import { EAGAIN, Epoll, native } from './native.js';
import { reactor, type Endpoint } from './reactor.js';
import { setNoDelay } from './socket-options.js';

/**
 * hydrogen's server: a listening socket on the thread's reactor, accepting until the
 * kernel's queue is empty on each edge, and the connections it accepted.
 */
export class Server<F extends Frame = Frame> implements ConnectionOwner<F>, Endpoint {
  readonly handler: Handler<F>;
  readonly maxQueued: number;
  readonly queuePolicy: 'close' | 'drop';
  /** The listening socket's fd. */
  readonly fd: number;
  /** The bound address and port (the port the kernel picked when 0 was asked). */
  readonly address: string;
  readonly port: number;
  readonly #counters = new Counters<F>();
  readonly #noDelay: boolean;
  readonly #accepted = new Int32Array(128);
  readonly #token: number;
  readonly #handshakes: HandshakeDeadlines<F>;
  #closing: Promise<void> | null = null;
  #allRemoved: (() => void) | null = null;
  /** accept(2) failures other than EAGAIN (EMFILE…), counted rather than thrown. */
  acceptErrors = 0;

  /** @internal Use {@link begin}. */
  constructor(handler: Handler<F>, config: Config) {
    const limits = limitsOf(config);
    this.handler = handler;
    this.maxQueued = limits.maxQueued;
    this.queuePolicy = limits.queuePolicy;
    this.#handshakes = new HandshakeDeadlines(handshakeTimeoutOf(config));
    this.#noDelay = config.noDelay ?? true;
    this.fd = native.listen(config.addr ?? '0.0.0.0', config.port ?? 0, config.backlog ?? 511, {
      reuseAddr: true,
      reusePort: config.reusePort ?? false,
    });
    const local = native.localAddress(this.fd);
    this.address = local.address;
    this.port = local.port;
    const r = reactor();
    r.reserve(r.size + 1 + (config.preAllocated ?? 1024));
    this.#token = r.add(this, this.fd, Epoll.IN | Epoll.ET);
    r.hold();
  }

  /** Current figures: connections, messages and bytes in both directions. */
  stats(): Stats {
    return this.#counters.snapshot();
  }

  /** The handshake time limit in ms (`config.handshakeTimeoutMs`; 0: none). */
  get handshakeTimeoutMs(): number {
    return this.#handshakes.limitMs;
  }

  /** The connections open now. */
  get connections(): number {
    return this.#counters.live.size;
  }

  onEvents(): void {
    const out = this.#accepted;
    for (;;) {
      const n = native.accept(this.fd, out);
      if (n < 0) {
        if (n !== -EAGAIN) this.acceptErrors++;
        return;
      }
      for (let i = 0; i < n; i++) this.#open(out[i]);
      if (n < out.length) {
        if (out[n] !== -EAGAIN) this.acceptErrors++;
        return;
      }
    }
  }

  received(count: number): void {
    this.#counters.messagesReceived += count;
  }

  sent(): void {
    this.#counters.messagesSent++;
  }

  removed(connection: Connection<F>, reason: Error | null): void {
    this.#counters.retire(connection);
    this.#report(connection.fd, reason);
    if (this.#allRemoved !== null && this.#counters.live.size === 0) this.#allRemoved();
  }

  /**
   * Stops accepting, lets every connection send what it has queued, closes them all, and
   * resolves when they are removed. Connections whose output has not drained after
   * `timeoutMs` (default 5 s) are closed with ConnectionError `SERVER_CLOSED`.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 5000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const r = reactor();
    r.remove(this.#token, this.fd);
    native.close(this.fd);
    r.release();
    this.#handshakes.stop();
    const live = this.#counters.live;
    if (live.size > 0) {
      const done = new Promise<void>((resolve) => (this.#allRemoved = resolve));
      for (const c of [...live]) c.end();
      const timer = setTimeout(() => {
        const error = new ConnectionError(ConnectionErrorCode.ServerClosed, `output not drained within ${timeoutMs} ms of close()`);
        for (const c of [...live]) c.close(error);
      }, timeoutMs);
      if (live.size > 0) await done;
      clearTimeout(timer);
    }
  }

  #open(fd: number): void {
    this.#counters.accepted++;
    if (this.#noDelay) {
      try {
        setNoDelay(fd, true);
      } catch {
        // Not TCP (or already gone): nothing to turn off; the connection goes on as it is.
      }
    }
    let connection: Connection<F>;
    try {
      connection = new Connection(this, fd, this.handler.onNewConnection(fd));
    } catch (err) {
      native.close(fd);
      const reason = err instanceof ConnectionError ? err : new ConnectionError(ConnectionErrorCode.HandlerThrew, 'onNewConnection threw', { cause: err });
      this.#counters.removed++;
      this.#report(fd, reason);
      return;
    }
    this.#counters.live.add(connection);
    this.#handshakes.watch(connection);
    if (this.handler.onOpen !== undefined) {
      try {
        this.handler.onOpen(connection.socket);
      } catch (err) {
        connection.close(new ConnectionError(ConnectionErrorCode.HandlerThrew, 'onOpen threw', { cause: err }));
      }
    }
  }

  #report(fd: number, reason: Error | null): void {
    try {
      this.handler.onConnectionRemoved?.(fd, reason);
    } catch (err) {
      // The connection is already gone: nothing to close. Keep serving, but say so.
      process.emitWarning(`onConnectionRemoved threw: ${String(err)}`, 'HandlerWarning');
    }
  }
}

/**
 * Starts a server (hydrogen's `begin`): listens on `config.addr:config.port`, calls
 * `handler.onServerCreated` with the listening fd, and resolves with the server.
 */
export async function begin<F extends Frame = Frame>(handler: Handler<F>, config: Config = {}): Promise<Server<F>> {
  const threads = config.maxThreads ?? 1;
  if (threads !== 1) throw new RangeError(`maxThreads ${threads}: only 1 is supported until the worker pool lands`);
  const server = new Server(handler, config);
  try {
    handler.onServerCreated?.(server.fd);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
