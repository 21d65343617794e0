// Our HTTP mock (examples/http-mock) in a process of its own. Prints "PORT <n>".
// An optional argument names another checkout to take examples/http-mock from (to compare
// a change side by side: node bench/http.mjs --also=/path/to/checkout).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../..');
const { startHttpMock } = await import(pathToFileURL(resolve(root, 'examples/http-mock/server.mjs')).href);
const server = await startHttpMock({ host: '127.0.0.1', port: 0 });
console.log(`PORT ${server.port}`);
