// Our WebSocket echo: `serve` from @simple-stream/websocket (on the epoll server), echoing
// every message with `ws.send(data, isBinary)`. Args: [--deflate] (`deflate: true`: our
// permessage-deflate defaults) or [--deflate=N] (`deflate: { threshold: N }`: compress
// replies of N bytes and more) [ROOT: another built checkout to take the package from].
// Prints "PORT <n>" once listening; runs until killed.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const deflateArg = args.find((a) => a.startsWith('--deflate'));
const deflate = deflateArg === undefined ? undefined : deflateArg === '--deflate' ? true : { threshold: Number(deflateArg.slice('--deflate='.length)) };
const root = args.find((a) => !a.startsWith('--')) ?? join(dirname(fileURLToPath(import.meta.url)), '../..');
const { serve } = await import(pathToFileURL(resolve(root, 'packages/websocket/dist/index.js')).href);
if (typeof serve !== 'function') {
  console.error(`ours-ws-echo: ${root}/packages/websocket/dist/index.js exports no serve() (not built, or not written yet)`);
  process.exit(1);
}

const server = await serve(
  { addr: '127.0.0.1', port: 0, maxMessage: 1 << 20, ...(deflate === undefined ? {} : { deflate }) },
  {
    message(ws, data, isBinary) {
      ws.send(data, isBinary);
    },
  },
);
console.log(`PORT ${server.port}`);
