import type { Frame } from '@simple-stream/frames';
import { Acceptor } from './acceptor.js';
import { ThreadBroker, type Broker } from './broker.js';
import { handshakeTimeoutOf, idleTimeoutOf, limitsOf, proxyProtocolOf, type Config } from './config.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { Counters, type Stats } from './counters.js';
import { ConnectionError, ConnectionErrorCode } from './errors.js';
import type { Handler } from './handler.js';
import { HandshakeDeadlines } from './handshakes.js';
import { IdleSweep } from './idle.js';
import { WorkerPool } from './pool.js';
import { native } from './native.js';
import { ProxyGate } from './proxy-gate.js';
import type { ProxyHeader } from './proxy-header.js';
import { reactor } from './reactor.js';
import { setNoDelay } from './socket-options.js';
import { StatsRequests } from './stats-request.js';

/**
 * @internal A worker's server: it listens on nothing itself; its pool accepts and hands it
 * connections (`adopt`), and its broker forwards what belongs to other workers.
 */
export interface Attachment {
  readonly broker: ThreadBroker;
  /** The pool's listening socket, as `fd`, `address` and `port` report it. */
  readonly fd: number;
  readonly address: string;
  readonly port: number;
  /** The figures of the whole pool (every worker's, summed), for stats requests. */
  readonly figures: () => Promise<Stats>;
}

/**
 * hydrogen's server: a listening socket on the thread's reactor, accepting until the
 * kernel's queue is empty on each edge, and the connections it accepted. In a worker
 * pool, each worker runs one without a listener of its own (see `WorkerPool`).
 */
export class Server<F extends Frame = Frame> implements ConnectionOwner<F>, Broker {
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
  /** The listener, or null in a worker (its pool accepts). */
  readonly #acceptor: Acceptor | null;
  readonly #handshakes: HandshakeDeadlines<F>;
  readonly #idle: IdleSweep<F>;
  /** Sockets still sending their PROXY header (`config.proxyProtocol`), else null. */
  readonly #proxyGate: ProxyGate | null;
  /** @internal hydrogen's stats requests (`config.statsRequests`), else null. */
  readonly statsRequests: StatsRequests | null;
  /** @internal This thread's connections by id and their subscriptions. */
  readonly broker: ThreadBroker;
  #lastId = 0;
  #closing: Promise<void> | null = null;
  #allRemoved: (() => void) | null = null;

  /** @internal Use {@link begin}. */
  constructor(handler: Handler<F>, config: Config, attachment?: Attachment) {
    const limits = limitsOf(config);
    this.handler = handler;
    this.maxQueued = limits.maxQueued;
    this.queuePolicy = limits.queuePolicy;
    this.#handshakes = new HandshakeDeadlines(handshakeTimeoutOf(config));
    this.#idle = new IdleSweep(idleTimeoutOf(config));
    this.#noDelay = config.noDelay ?? true;
    const proxyProtocol = proxyProtocolOf(config);
    this.#proxyGate =
      proxyProtocol === false
        ? null
        : new ProxyGate(proxyProtocol, handshakeTimeoutOf(config), (fd, id, header) => this.#open(fd, id, header), (fd, reason) => this.#refuse(fd, reason));
    // One thread's figures; a worker pool must give a source that sums its workers.
    this.statsRequests = config.statsRequests === true ? new StatsRequests(attachment?.figures ?? (() => this.stats())) : null;
    this.broker = attachment?.broker ?? new ThreadBroker();
    const r = reactor();
    r.reserve(r.size + 1 + (config.preAllocated ?? 1024));
    if (attachment !== undefined) {
      ({ fd: this.fd, address: this.address, port: this.port } = attachment);
      this.#acceptor = null;
      r.hold();
      return;
    }
    const acceptor = (this.#acceptor = new Acceptor(config, (fds, count) => {
      for (let i = 0; i < count; i++) this.#admit(fds[i], ++this.#lastId);
    }));
    ({ fd: this.fd, address: this.address, port: this.port } = acceptor);
    acceptor.start();
  }

  /** accept(2) failures other than EAGAIN (EMFILE…), counted rather than thrown. */
  get acceptErrors(): number {
    return this.#acceptor?.errors ?? 0;
  }

  /** Sends `payload` to the subscribers of `topic` (see {@link Broker.publish}). */
  publish(topic: string, payload: Uint8Array): void {
    this.broker.publish(topic, payload);
  }

  /** Sends `payload` to connection `id` (see {@link Broker.send}). */
  send(id: number, payload: Uint8Array): boolean {
    return this.broker.send(id, payload);
  }

  /** @internal A worker's server takes over connection `fd`, accepted by its pool as `id`. */
  adopt(fd: number, id: number): void {
    this.#admit(fd, id);
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

  /** Sockets accepted whose PROXY header has not all arrived (`config.proxyProtocol`). */
  get awaitingProxyHeader(): number {
    return this.#proxyGate?.pending ?? 0;
  }

  received(count: number): void {
    this.#counters.messagesReceived += count;
  }

  sent(): void {
    this.#counters.messagesSent++;
  }

  removed(connection: Connection<F>, reason: Error | null): void {
    this.#counters.retire(connection);
    this.broker.detach(connection.socket);
    this.#idle.forget(connection);
    this.statsRequests?.forget(connection.socket);
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
    if (this.#acceptor !== null) this.#acceptor.close();
    else reactor().release();
    this.#handshakes.stop();
    this.#idle.stop();
    this.#proxyGate?.close();
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

  /** A new socket: its stream starts now, or once its PROXY header is read and removed. */
  #admit(fd: number, id: number): void {
    if (this.#proxyGate === null) this.#open(fd, id, null);
    else this.#proxyGate.admit(fd, id);
  }

  /** Its PROXY header was missing, malformed or late: the socket is closed already. */
  #refuse(fd: number, reason: Error): void {
    this.#counters.accepted++;
    this.#counters.removed++;
    this.#report(fd, reason);
  }

  #open(fd: number, id: number, proxied: ProxyHeader | null): void {
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
      connection = new Connection(this, fd, this.handler.onNewConnection(fd), id, proxied);
    } catch (err) {
      native.close(fd);
      const reason = err instanceof ConnectionError ? err : new ConnectionError(ConnectionErrorCode.HandlerThrew, 'onNewConnection threw', { cause: err });
      this.#counters.removed++;
      this.#report(fd, reason);
      return;
    }
    this.#counters.live.add(connection);
    this.broker.attach(connection.socket);
    this.#handshakes.watch(connection);
    this.#idle.watch(connection);
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
 *
 * Given a Handler, the server runs on the calling thread (`config.maxThreads` must be 1).
 * Given a handler module (a path or URL, see `HandlerModule`), it runs `config.maxThreads`
 * worker threads that each load the module, and resolves with their `WorkerPool` once
 * every worker runs (each calls its handler's `onServerCreated` with the listening fd).
 */
export function begin<F extends Frame = Frame>(handler: Handler<F>, config?: Config): Promise<Server<F>>;
export function begin(module: string | URL, config?: Config): Promise<WorkerPool>;
export async function begin<F extends Frame = Frame>(handler: Handler<F> | string | URL, config: Config = {}): Promise<Server<F> | WorkerPool> {
  if (typeof handler === 'string' || handler instanceof URL) {
    const pool = new WorkerPool(handler, config);
    await pool.start();
    return pool;
  }
  const threads = config.maxThreads ?? 1;
  if (threads !== 1) throw new RangeError(`maxThreads ${threads}: worker threads load the handler from a module: pass its path or URL to begin()`);
  const server = new Server(handler, config);
  try {
    handler.onServerCreated?.(server.fd);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
