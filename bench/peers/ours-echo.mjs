// Our echo server (examples/echo: @simple-stream/epoll-server, Simple framing) in a
// process of its own, like the peers. Prints "PORT <n>" once listening.
// An optional argument names another checkout to take examples/echo from (to compare a
// change side by side: node bench/echo.mjs --also=/path/to/checkout).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../..');
const { startEcho } = await import(pathToFileURL(resolve(root, 'examples/echo/server.mjs')).href);
const server = await startEcho({ host: '127.0.0.1', port: 0, framing: 'simple' });
console.log(`PORT ${server.port}`);
