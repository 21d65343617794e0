// `ours` for connections.mjs: examples/echo's Simple-frame echo in P server processes
// sharing one port (beginProcesses: SO_REUSEPORT, the kernel spreads the connections).
// Prints "PORT <n>" once every process listens; SIGTERM closes the group and exits.
//   node bench/peers/processes-echo.mjs [P]
import { beginProcesses } from '@simple-stream/epoll-server';

const processes = Number(process.argv[2] ?? 4);
const group = await beginProcesses(new URL('../../examples/echo/worker.mjs', import.meta.url), {
  processes,
  addr: '127.0.0.1',
  port: 0,
  workerData: { framing: 'simple' },
});
group.on('exit', ({ index, pid, code, signal }) => console.error(`processes-echo: server process ${index} (pid ${pid}) died (${signal ?? code})`));
process.on('SIGTERM', () => void group.close().then(() => process.exit(0)));
console.log(`PORT ${group.port}`);
