// The `ws` peer: the `ws` package's WebSocketServer echoing every message as its README
// shows, `ws.send(data, { binary: isBinary })`, with bufferutil (the native masking and
// unmasking ws uses when it is installed; the peer refuses to run without it).
// Args: [--deflate] (`perMessageDeflate: true`: ws's defaults, what most users turn on)
// or [--deflate=readme] (the tuned settings of ws's README: level 3, memLevel 7, no
// context takeover either way, server window 2^10, threshold 1024).
// Prints "PORT <n>" once listening; runs until killed.
import { createRequire } from 'node:module';
import { WebSocketServer } from 'ws';

try {
  createRequire(import.meta.url)('bufferutil');
} catch {
  console.error('ws-echo: bufferutil is not installed (npm install): ws would mask and unmask in JavaScript');
  process.exit(1);
}
if (process.env.WS_NO_BUFFER_UTIL) {
  console.error('ws-echo: WS_NO_BUFFER_UTIL is set: ws would not use bufferutil');
  process.exit(1);
}

const deflateArg = process.argv.find((a) => a.startsWith('--deflate'));
const readme = {
  zlibDeflateOptions: { chunkSize: 1024, memLevel: 7, level: 3 },
  zlibInflateOptions: { chunkSize: 10 * 1024 },
  clientNoContextTakeover: true,
  serverNoContextTakeover: true,
  serverMaxWindowBits: 10,
  concurrencyLimit: 10,
  threshold: 1024,
};
const perMessageDeflate = deflateArg === undefined ? false : deflateArg === '--deflate=readme' ? readme : true;

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
