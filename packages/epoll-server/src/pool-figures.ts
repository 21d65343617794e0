import type { MessagePort } from 'node:worker_threads';
import type { Stats } from './counters.js';
import type { WorkerReport } from './thread-messages.js';

/**
 * A worker's way to the figures of the whole pool (hydrogen's stats request answers with
 * the server's, not one worker's): it asks the main thread, which asks every worker and
 * answers with the sum.
 */
export class PoolFigures {
  readonly #port: MessagePort;
  readonly #pending = new Map<number, (stats: Stats) => void>();
  #lastRequest = 0;

  constructor(port: MessagePort) {
    this.#port = port;
  }

  /** Every worker's figures, summed. */
  request(): Promise<Stats> {
    const request = ++this.#lastRequest;
    return new Promise((resolve) => {
      this.#pending.set(request, resolve);
      this.#port.postMessage({ type: 'poolStats', request } satisfies WorkerReport);
    });
  }

  /** The main thread's answer to `request`. */
  answer(request: number, stats: Stats): void {
    this.#pending.get(request)?.(stats);
    this.#pending.delete(request);
  }
}
