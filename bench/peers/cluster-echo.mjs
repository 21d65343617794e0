// `net` for connections.mjs: the node:net echo of user-echo.mjs in P node:cluster workers
// on one port (node:net has no reusePort before Node 22; cluster is how users spread a
// net server over processes). Default scheduling: the primary accepts and hands each
// connection to the workers in turn. Prints "PORT <n>" once every worker listens;
// SIGTERM ends the workers, then the primary.
//   node bench/peers/cluster-echo.mjs [P]
import cluster from 'node:cluster';
import net from 'node:net';
import { userEcho } from './user-echo.mjs';

const workers = Number(process.argv[2] ?? 4);
if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('listening', ({ port }) => {
      if (++listening === workers) console.log(`PORT ${port}`);
    });
  }
  let stopping = false;
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) console.error(`cluster-echo: worker ${worker.process.pid} died (${signal ?? code})`);
    if (Object.keys(cluster.workers).length === 0 && stopping) process.exit(0);
  });
  process.on('SIGTERM', () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
  });
} else {
  // In a cluster every worker's listen(0) gets the same port, picked by the primary.
  net.createServer((socket) => userEcho(socket)).listen(0, '127.0.0.1');
}
