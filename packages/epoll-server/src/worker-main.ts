/**
 * The entry point of a pool's worker thread: loads the handler module, runs the one-thread
 * server machinery (its own reactor, slab and connections) on connections the main thread
 * accepted, and answers the main thread's commands. Everything here runs on the worker's
 * own event loop; the only thing it shares with other threads is its MessagePort.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConnectionError, ConnectionErrorCode } from './errors.js';
import { loadHandler } from './handler-module.js';
import { PoolFigures } from './pool-figures.js';
import { Server } from './server.js';
import type { WorkerCommand, WorkerReport, WorkerStart } from './thread-messages.js';
import { WorkerBroker } from './worker-broker.js';

const start = workerData as WorkerStart;
const port = parentPort!;
const broker = new WorkerBroker(start.worker, port);
const handler = await loadHandler(start.url, {
  worker: start.worker,
  threads: start.threads,
  data: start.config.workerData,
  server: broker,
});
const figures = new PoolFigures(port);
const server = new Server(handler, start.config, { broker, ...start.listener, figures: () => figures.request() });
handler.onServerCreated?.(start.listener.fd);

// The connections of a dead predecessor: the main thread closed them; the handler hears
// of them here, on the thread that serves its worker index now.
for (const fd of start.orphans) {
  try {
    handler.onConnectionRemoved?.(fd, new ConnectionError(ConnectionErrorCode.WorkerDied, `worker ${start.worker} died: ${start.cause}`));
  } catch (err) {
    process.emitWarning(`onConnectionRemoved threw: ${String(err)}`, 'HandlerWarning');
  }
}

const report = (message: WorkerReport): void => port.postMessage(message);

port.on('message', (command: WorkerCommand) => {
  switch (command.type) {
    case 'adopt': {
      const list = command.connections;
      for (let i = 0; i < list.length; i += 2) server.adopt(list[i], list[i + 1]);
      break;
    }
    case 'publish':
      broker.publishHere(command.topic, command.payload);
      break;
    case 'send':
      broker.sendHere(command.id, command.payload);
      break;
    case 'stats':
      report({ type: 'stats', request: command.request, stats: server.stats() });
      break;
    case 'poolStats':
      figures.answer(command.request, command.stats);
      break;
    case 'close':
      void server.close({ timeoutMs: command.timeoutMs }).then(() => {
        report({ type: 'closed' });
        // Nothing of ours is left to keep the thread alive: it ends once the handler's own
        // timers and handles (if any) are done, and the pool ends it past a bound.
        port.unref();
      });
      break;
  }
});
report({ type: 'ready' });
