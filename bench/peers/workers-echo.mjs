// The worker pool peer: begin() with bench/peers/workers-handler.mjs on N worker threads,
// or, with 0, the same handler as an object on the main thread (no pool: the baseline).
//   node workers-echo.mjs THREADS [HASH_ROUNDS]
// Prints "PORT <n>" once the server runs; runs until killed.
import { begin } from '@simple-stream/epoll-server';
import makeHandler from './workers-handler.mjs';

const threads = Number(process.argv[2] ?? 1);
const hash = Number(process.argv[3] ?? 0);
const config = { addr: '127.0.0.1', port: 0, maxThreads: Math.max(threads, 1), workerData: { hash } };
const server =
  threads === 0
    ? await begin(makeHandler({ worker: 0, threads: 1, data: { hash } }), { ...config, workerData: undefined })
    : await begin(new URL('./workers-handler.mjs', import.meta.url), config);
console.log(`PORT ${server.port}`);
