import type { MessagePort } from 'node:worker_threads';
import { ThreadBroker } from './broker.js';
import { detachedCopy, workerOf, type WorkerReport } from './thread-messages.js';

/**
 * A worker's broker: its own connections are served here, the rest goes to the main
 * thread, which passes it on (a publish to every other worker, a send to the owner). One
 * port each way keeps a worker's messages to any one connection in the order they were
 * sent.
 */
export class WorkerBroker extends ThreadBroker {
  readonly #worker: number;
  readonly #port: MessagePort;

  constructor(worker: number, port: MessagePort) {
    super();
    this.#worker = worker;
    this.#port = port;
  }

  override publish(topic: string, payload: Uint8Array): void {
    this.publishHere(topic, payload);
    this.#post({ type: 'publish', topic, payload: detachedCopy(payload) });
  }

  override send(id: number, payload: Uint8Array): boolean {
    if (workerOf(id) === this.#worker) return this.sendHere(id, payload);
    this.#post({ type: 'send', id, payload: detachedCopy(payload) });
    return true;
  }

  #post(report: WorkerReport & { payload: Uint8Array }): void {
    this.#port.postMessage(report, [report.payload.buffer as ArrayBuffer]);
  }
}
