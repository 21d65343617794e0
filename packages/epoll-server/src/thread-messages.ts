/**
 * What a worker pool's threads say to each other over each worker's MessagePort (the
 * main thread holds one per worker; workers never share an object). One port per worker
 * keeps everything a worker is told in order: the connections it is given, the messages
 * for them, then `close`.
 */
import type { Config } from './config.js';
import type { Stats } from './counters.js';

/** The most worker threads a pool runs: connection ids carry their worker's index. */
export const MAX_THREADS = 64;

/**
 * Connection ids of a pool are `sequence * MAX_THREADS + worker`: unique for the life of
 * the pool (fds are reused, ids are not), and any thread can tell which worker owns one.
 */
export function workerOf(id: number): number {
  return id % MAX_THREADS;
}

/** The pool's listening socket, as a worker's server reports it (`server.fd`, `port`). */
export interface ListenerInfo {
  fd: number;
  address: string;
  port: number;
}

/** What a worker is started with (its `workerData`). */
export interface WorkerStart {
  /** The worker's index, 0 to threads - 1; a replacement keeps it. */
  worker: number;
  threads: number;
  /** The handler module's URL. */
  url: string;
  /** The pool's config, cloned (only plain values cross threads). */
  config: Config;
  listener: ListenerInfo;
  /** fds of this worker's dead predecessor, to report removed (`WORKER_DIED`). */
  orphans: number[];
  /** Why the predecessor died, for the report. */
  cause: string;
}

/** Main thread to worker. */
export type WorkerCommand =
  /** New connections: `[fd, id, fd, id, …]`, accepted by the main thread. */
  | { type: 'adopt'; connections: number[] }
  | { type: 'publish'; topic: string; payload: Uint8Array }
  | { type: 'send'; id: number; payload: Uint8Array }
  | { type: 'stats'; request: number }
  /** The answer to a worker's `poolStats`: every worker's figures, summed. */
  | { type: 'poolStats'; request: number; stats: Stats }
  | { type: 'close'; timeoutMs: number };

/** Worker to main thread. */
export type WorkerReport =
  /** The handler is loaded and the worker's server runs: it can take connections. */
  | { type: 'ready' }
  /** Published on this worker: for the other workers (this one has delivered it). */
  | { type: 'publish'; topic: string; payload: Uint8Array }
  /** For a connection another worker owns. */
  | { type: 'send'; id: number; payload: Uint8Array }
  | { type: 'stats'; request: number; stats: Stats }
  /** The pool's figures, for a stats request one of this worker's connections made. */
  | { type: 'poolStats'; request: number }
  /** The worker's server is closed: every connection removed, output drained. */
  | { type: 'closed' };

/**
 * A copy of `payload` that owns its buffer, for postMessage with that buffer transferred:
 * a payload is often a view into a large shared read buffer, which postMessage would clone
 * whole.
 */
export function detachedCopy(payload: Uint8Array): Uint8Array {
  return payload.slice();
}
