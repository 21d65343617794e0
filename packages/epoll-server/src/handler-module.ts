import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Frame } from '@simple-stream/frames';
import type { Broker } from './broker.js';
import type { Handler } from './handler.js';

/** What a handler module's factory is given, once in each worker. */
export interface WorkerContext {
  /** This worker's index, 0 to `threads - 1`; a replacement worker keeps its predecessor's. */
  readonly worker: number;
  /** Worker threads in the pool (`config.maxThreads`). */
  readonly threads: number;
  /** `config.workerData`, cloned into this worker. */
  readonly data: unknown;
  /** Publish and send, reaching connections on every worker. */
  readonly server: Broker;
}

/**
 * A handler module, given to `begin` by path or URL when the server runs worker threads:
 * each worker imports it and takes its `default` export (else its `handler` export),
 * which is either a Handler, or a factory called once per worker with its
 * {@link WorkerContext} that returns a Handler or a promise of one. The module runs in
 * every worker, so module-level state is per worker; share through `context.server`.
 */
export type HandlerModule<F extends Frame = Frame> = Handler<F> | ((context: WorkerContext) => Handler<F> | Promise<Handler<F>>);

/**
 * The URL of a handler module given as a file URL (a URL or a 'file:' string) or a path,
 * absolute or relative to the working directory.
 */
export function handlerModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith('file:')) return new URL(module).href;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

/** Imports the handler module at `url` and makes this worker's handler. */
export async function loadHandler(url: string, context: WorkerContext): Promise<Handler> {
  const exports = (await import(url)) as { default?: unknown; handler?: unknown };
  const exported = exports.default ?? exports.handler;
  const handler = typeof exported === 'function' ? await (exported as (c: WorkerContext) => unknown)(context) : exported;
  if (!isHandler(handler)) {
    throw new TypeError(`${url}: the default (or 'handler') export must be a Handler or a function returning one, with onNewConnection and onDataReceived`);
  }
  return handler;
}

function isHandler(value: unknown): value is Handler {
  const h = value as Partial<Handler> | null;
  return typeof h === 'object' && h !== null && typeof h.onNewConnection === 'function' && typeof h.onDataReceived === 'function';
}
