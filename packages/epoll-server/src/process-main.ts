/**
 * The entry point of a process group's server process (see `beginProcesses`): waits for
 * its `start` on the IPC channel, runs the server on the group's port with SO_REUSEPORT,
 * and answers the supervisor's commands. With `maxThreads` 1 the handler runs on this
 * process's main thread, as `begin(handler)` would; above 1 this process runs a worker pool.
 */
import type { Broker } from './broker.js';
import type { Stats } from './counters.js';
import { loadHandler } from './handler-module.js';
import type { WorkerPool } from './pool.js';
import type { ProcessCommand, ProcessReport, ProcessStart } from './process-messages.js';
import { begin, type Server } from './server.js';

if (process.send === undefined) {
  console.error('process-main: a server process of beginProcesses(), started with an IPC channel');
  process.exit(2);
}

let server: Server | WorkerPool | null = null;
let closing = false;

const report = (message: ProcessReport, then?: () => void): void => {
  if (process.connected) process.send!(message, undefined, undefined, then);
  else then?.();
};

/** Closes the server (if it runs) and ends the process once it has said so. */
async function closeAndExit(timeoutMs: number): Promise<void> {
  if (closing) return;
  closing = true;
  await server?.close({ timeoutMs });
  report({ type: 'closed' }, () => process.exit(0));
}

async function start({ index, processes, url, config }: ProcessStart): Promise<void> {
  try {
    if ((config.maxThreads ?? 1) > 1) {
      server = await begin(url, config);
    } else {
      // Publish and send reach this process's connections only; the server they go
      // through exists once the handler it needs has been made.
      const broker: Broker = {
        publish: (topic, payload) => server?.publish(topic, payload),
        send: (id, payload) => server?.send(id, payload) ?? false,
      };
      const handler = await loadHandler(url, { worker: 0, threads: 1, data: config.workerData, server: broker });
      server = await begin(handler, config);
    }
  } catch (err) {
    const message = `server process ${index} of ${processes}: ${err instanceof Error ? err.message : String(err)}`;
    report({ type: 'failed', message }, () => process.exit(1));
    return;
  }
  report({ type: 'listening', address: server.address, port: server.port });
}

process.on('message', (command: ProcessCommand) => {
  switch (command.type) {
    case 'start':
      void start(command.start);
      break;
    case 'stats':
      void Promise.resolve<Stats | null>(server?.stats() ?? null).then((stats) => report({ type: 'stats', request: command.request, stats }));
      break;
    case 'close':
      void closeAndExit(command.timeoutMs);
      break;
  }
});

// A supervisor that is gone cannot close us: close on our own rather than linger.
process.on('disconnect', () => void closeAndExit(5000));
// Ctrl-C reaches every process of the terminal's foreground group: the supervisor closes
// the group in order, so a server process leaves SIGINT to it. SIGTERM, sent to one
// process on purpose, closes that one.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void closeAndExit(5000));
