import { EventEmitter } from 'node:events';
import { Acceptor } from './acceptor.js';
import type { Broker } from './broker.js';
import type { Config } from './config.js';
import type { Stats } from './counters.js';
import { FdLedger } from './fd-ledger.js';
import { handlerModuleUrl } from './handler-module.js';
import { native } from './native.js';
import { setNoDelay } from './socket-options.js';
import { detachedCopy, MAX_THREADS, workerOf, type ListenerInfo, type WorkerCommand, type WorkerReport } from './thread-messages.js';
import { WorkerSlot } from './worker-slot.js';

/** A worker that ended while the pool was running, as the `workerExit` event reports it. */
export interface WorkerExit {
  /** Its index; a replacement with the same index took its place unless the pool was closing. */
  worker: number;
  /** The thread's exit code. */
  code: number;
  /** What it threw, if it died of an uncaught exception. */
  error: Error | null;
  /** The fds of its connections, closed by the pool and reported removed (`WORKER_DIED`). */
  connections: number[];
  /** True when a new worker took its index. */
  replaced: boolean;
}

const ZERO: Stats = { connections: 0, accepted: 0, removed: 0, messagesReceived: 0, messagesSent: 0, bytesReceived: 0, bytesSent: 0 };

/**
 * hydrogen's multithreaded server: `config.maxThreads` worker threads, each running its
 * own epoll loop, slab and connections with a handler from the same module, behind one
 * listening socket whose connections the main thread accepts and deals out in turn.
 *
 * Why the main thread accepts and deals fds out in turn, rather than an SO_REUSEPORT
 * listener in every worker: both were measured here (2 workers, 2 shared cores, the churn
 * client of bench/workers.mjs, 7 interleaved rounds, twice). SO_REUSEPORT churned a little
 * more, 13.2-13.3 k connections/s at 51-52% server CPU against 12.5-12.7 k at 61%: the
 * hop through the main thread costs a wake-up per accepted batch. But the kernel spreads
 * reuseport connections by a hash of their addresses: 64 connections over 4 workers, 20
 * times, gave 9 to 24 per worker, where dealing in turn gives exactly 16 every time. And an
 * accept path that outlives the workers is what makes a dead worker survivable: a reuseport
 * worker's death takes its queue of unaccepted connections with it, and nobody else would
 * know which fds it held. Evenness and that were worth the few percent.
 *
 * A connection stays with the worker it was given for its whole life, so its frames stay
 * in order. A worker that dies (an exception outside the Handler callbacks, `process.exit`)
 * is replaced by a new one with the same index; the connections it held are closed, and
 * reported removed with ConnectionError `WORKER_DIED`: to the replacement's handler
 * (`onConnectionRemoved`) and on the main thread by the `workerExit` event.
 */
export class WorkerPool extends EventEmitter implements Broker {
  /** The listening socket's fd (on the main thread; workers never accept). */
  readonly fd: number;
  readonly address: string;
  readonly port: number;
  /** Worker threads. */
  readonly threads: number;
  readonly #url: string;
  readonly #config: Config;
  readonly #acceptor: Acceptor;
  readonly #ledger = new FdLedger();
  readonly #slots: Array<WorkerSlot | null>;
  /** Connections dealt out per worker index, each batch as one message. */
  readonly #batches: number[][];
  #turn = 0;
  #sequence = 0;
  #closing: Promise<void> | null = null;

  /** @internal Use `begin(module, config)`. */
  constructor(module: string | URL, config: Config) {
    super();
    const threads = config.maxThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new RangeError(`maxThreads must be a whole number from 1 to ${MAX_THREADS}, got ${threads}`);
    this.threads = threads;
    this.#url = handlerModuleUrl(module);
    this.#acceptor = new Acceptor(config, (fds, count) => this.#deal(fds, count));
    ({ fd: this.fd, address: this.address, port: this.port } = this.#acceptor);
    // Accepted sockets inherit TCP_NODELAY from the listening socket (Linux): set once here,
    // it saves the workers a setsockopt per connection.
    let inherited = false;
    if (config.noDelay ?? true) {
      try {
        setNoDelay(this.fd, true);
        inherited = true;
      } catch {
        // Left to the workers, per connection, as on one thread.
      }
    }
    this.#config = inherited ? { ...config, noDelay: false } : { ...config };
    this.#batches = Array.from({ length: threads }, () => []);
    this.#slots = [];
    try {
      for (let i = 0; i < threads; i++) this.#slots.push(this.#spawn(i, [], ''));
    } catch (err) {
      this.#closing = Promise.resolve();
      this.#acceptor.close();
      for (const slot of this.#slots) void slot?.close(0);
      throw err;
    }
  }

  /** @internal Resolves once every worker runs; on a failure, ends them all and rejects. */
  async start(): Promise<void> {
    try {
      await Promise.all(this.#slots.map((slot) => slot!.ready));
    } catch (err) {
      this.#closing = Promise.resolve();
      this.#acceptor.close();
      // Closed rather than terminated: a worker ended while it still loads modules can
      // leave the files it was reading open.
      await Promise.all(this.#slots.map((slot) => slot?.close(0)));
      throw err;
    }
    this.#acceptor.start();
  }

  /** Sends `payload` to the subscribers of `topic` on every worker. */
  publish(topic: string, payload: Uint8Array): void {
    this.#broadcast({ type: 'publish', topic, payload: detachedCopy(payload) }, -1);
  }

  /**
   * Hands `payload` to the worker that owns connection `id`. True if that worker runs
   * (it drops the message if the connection is gone by then), false otherwise.
   */
  send(id: number, payload: Uint8Array): boolean {
    const slot = this.#slots[workerOf(id)];
    if (slot === undefined || slot === null || slot.ended) return false;
    const copy = detachedCopy(payload);
    slot.post({ type: 'send', id, payload: copy }, [copy.buffer as ArrayBuffer]);
    return true;
  }

  /** accept(2) failures other than EAGAIN (EMFILE…), counted rather than thrown. */
  get acceptErrors(): number {
    return this.#acceptor.errors;
  }

  /**
   * The figures of every running worker, summed (asynchronous: each worker answers for
   * itself, between two batches of its events).
   */
  async stats(): Promise<Stats> {
    const sum: Record<string, number> = { ...ZERO };
    for (const stats of await this.workerStats()) {
      if (stats === null) continue;
      for (const [key, value] of Object.entries(stats)) if (typeof value === 'number') sum[key] = (sum[key] ?? 0) + value;
    }
    return sum as unknown as Stats;
  }

  /** Each worker's figures, by worker index; null for a worker that is not running. */
  workerStats(): Promise<Array<Stats | null>> {
    return Promise.all(this.#slots.map((slot) => slot?.stats() ?? null));
  }

  /**
   * Stops accepting, then closes every worker's server: each lets its connections send
   * what they have queued (up to `timeoutMs`, default 5 s, as `Server.close`) and closes
   * them. Resolves once every worker thread has ended: a worker whose handler keeps its
   * event loop busy (a timer, an open handle) is ended 2 s after its server closed.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 5000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#acceptor.close();
    await Promise.all(this.#slots.map((slot) => slot?.close(timeoutMs)));
  }

  #spawn(worker: number, orphans: number[], cause: string): WorkerSlot {
    const listener: ListenerInfo = { fd: this.fd, address: this.address, port: this.port };
    return new WorkerSlot({ worker, threads: this.threads, url: this.#url, config: this.#config, listener, orphans, cause }, {
      report: (slot, report) => this.#relay(slot, report),
      exit: (slot, code, error) => this.#exited(slot, code, error),
    });
  }

  /** Deals a batch of accepted fds out in turn, one message per worker. */
  #deal(fds: Int32Array, count: number): void {
    const slots = this.#slots;
    const batches = this.#batches;
    for (let i = 0; i < count; i++) {
      const fd = fds[i];
      // The main thread's addon instance accepted it and would close it at its teardown:
      // from now on it is the worker's, or the ledger's once the worker is gone.
      native.release(fd);
      const worker = this.#nextWorker();
      if (worker < 0) {
        native.close(fd);
        continue;
      }
      this.#ledger.record(fd, worker);
      batches[worker].push(fd, ++this.#sequence * MAX_THREADS + worker);
    }
    for (let w = 0; w < batches.length; w++) {
      if (batches[w].length === 0) continue;
      slots[w]!.post({ type: 'adopt', connections: batches[w] });
      batches[w] = [];
    }
  }

  /** The next worker in turn that has not ended, or -1 if none is left. */
  #nextWorker(): number {
    const slots = this.#slots;
    for (let tries = 0; tries < slots.length; tries++) {
      const w = this.#turn;
      this.#turn = (w + 1) % slots.length;
      const slot = slots[w];
      if (slot !== null && !slot.ended) return w;
    }
    return -1;
  }

  #relay(from: WorkerSlot, report: WorkerReport): void {
    if (report.type === 'publish') this.#broadcast(report, from.index);
    else if (report.type === 'send') {
      const slot = this.#slots[workerOf(report.id)];
      slot?.post(report, [report.payload.buffer as ArrayBuffer]);
    } else if (report.type === 'poolStats') {
      void this.stats().then((stats) => from.post({ type: 'poolStats', request: report.request, stats }));
    }
  }

  /** Posts `command` to every worker but `except` (its payload is cloned for each). */
  #broadcast(command: WorkerCommand, except: number): void {
    for (const slot of this.#slots) if (slot !== null && slot.index !== except) slot.post(command);
  }

  #exited(slot: WorkerSlot, code: number, error: Error | null): void {
    const connections = this.#ledger.takeOpen(slot.index);
    for (const fd of connections) {
      try {
        native.close(fd);
      } catch {
        // Gone already: nothing left to close.
      }
    }
    if (this.#slots[slot.index] !== slot) return;
    // A worker that died before its server ran (a handler module that throws, say) would
    // die again: its index stays empty and the others take its share.
    const replaced = this.#closing === null && slot.wasReady;
    const cause = error === null ? `exit code ${code}` : `${error.name}: ${error.message}`;
    this.#slots[slot.index] = replaced ? this.#spawn(slot.index, connections, cause) : null;
    // Workers ending cleanly because the pool closes them are no news.
    if (this.#closing !== null && error === null && connections.length === 0) return;
    this.emit('workerExit', { worker: slot.index, code, error, connections, replaced } satisfies WorkerExit);
  }
}
