import { Worker } from 'node:worker_threads';
import type { Stats } from './counters.js';
import { withoutSourceCondition } from './exec-argv.js';
import type { WorkerCommand, WorkerReport, WorkerStart } from './thread-messages.js';

/** A worker's entry point: the built one, whether this module runs from src/ or dist/. */
const ENTRY = new URL('../dist/worker-main.js', import.meta.url);
/** How long a worker that reported `closed` may take to end on its own. */
const EXIT_GRACE_MS = 2000;

/** What a slot tells its pool. */
export interface SlotEvents {
  /** A report the slot does not answer itself (publish, send). */
  report(slot: WorkerSlot, report: WorkerReport): void;
  /** The worker ended; `error` is what it threw, if it threw. */
  exit(slot: WorkerSlot, code: number, error: Error | null): void;
}

/**
 * One worker thread of a pool, from its start to its end: its port, its readiness, the
 * requests it answers (stats), and its close.
 */
export class WorkerSlot {
  /** The worker index, 0 to threads - 1. */
  readonly index: number;
  /** Resolves once the worker runs its server; rejects if it ends first. */
  readonly ready: Promise<void>;
  /** Resolves once the worker has ended. */
  readonly exited: Promise<void>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, (stats: Stats | null) => void>();
  #nextRequest = 0;
  #running = false;
  #ended = false;
  #error: Error | null = null;

  constructor(start: WorkerStart, events: SlotEvents) {
    this.index = start.worker;
    const worker = (this.#worker = new Worker(ENTRY, { workerData: start, execArgv: workerExecArgv() }));
    let ready!: () => void;
    let failed!: (err: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)));
    // A pool that stopped waiting (closing) must not see an unhandled rejection.
    this.ready.catch(() => undefined);
    let ended!: () => void;
    this.exited = new Promise<void>((resolve) => (ended = resolve));
    worker.on('message', (report: WorkerReport) => {
      if (report.type === 'ready') {
        this.#running = true;
        ready();
      } else if (report.type === 'stats') {
        this.#pending.get(report.request)?.(report.stats);
        this.#pending.delete(report.request);
      } else if (report.type !== 'closed') events.report(this, report);
    });
    worker.on('error', (err) => (this.#error ??= err));
    worker.on('exit', (code) => {
      this.#ended = true;
      for (const answer of this.#pending.values()) answer(null);
      this.#pending.clear();
      failed(this.#error ?? new Error(`worker ${this.index} exited (code ${code}) before its server ran`));
      ended();
      events.exit(this, code, this.#error);
    });
  }

  /** True once the worker reported its server running (false again once it ended). */
  get running(): boolean {
    return this.#running && !this.#ended;
  }

  /** True once the worker reported its server running, even if it has ended since. */
  get wasReady(): boolean {
    return this.#running;
  }

  /** True once the worker has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Sends `command`; a worker that has ended drops it. */
  post(command: WorkerCommand, transfer?: ArrayBuffer[]): void {
    if (!this.#ended) this.#worker.postMessage(command, transfer);
  }

  /** The worker's figures, or null if it ended before answering. */
  stats(): Promise<Stats | null> {
    if (this.#ended) return Promise.resolve(null);
    const request = ++this.#nextRequest;
    return new Promise((resolve) => {
      this.#pending.set(request, resolve);
      this.post({ type: 'stats', request });
    });
  }

  /**
   * Closes the worker's server (its connections drain for up to `timeoutMs`) and waits for
   * the thread to end, ending it if it lingers past a grace period.
   */
  async close(timeoutMs: number): Promise<void> {
    this.post({ type: 'close', timeoutMs });
    const timer = setTimeout(() => void this.#worker.terminate(), timeoutMs + EXIT_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The Node options a worker runs with: the process's own (undefined: Node passes them on,
 * leaving out those a worker cannot take), less the condition that makes this repository's
 * tests load TypeScript sources.
 */
function workerExecArgv(): string[] | undefined {
  const kept = withoutSourceCondition(process.execArgv);
  return kept.length === process.execArgv.length ? undefined : kept;
}
