// The `tls` peer: a Simple-frame echo server as a user would write it with node:tls, the
// same code as net-echo.mjs over tls.createServer: frames parsed from 'data' events (the
// leftover joined with Buffer.concat), one socket.write per frame; with --cork, the
// writes of one 'data' event are corked and leave together on the next tick.
// With --nodelay, socket.setNoDelay() on every connection. Args: CERT KEY [--cork] [--nodelay]. Prints "PORT <n>" once listening; runs until killed.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const [certPath, keyPath] = process.argv.slice(2);
const cork = process.argv.includes('--cork');
const noDelay = process.argv.includes('--nodelay');

function encode(payload) {
  const frame = Buffer.allocUnsafe(payload.length + 4);
  frame[0] = 0x01;
  frame.writeUInt16BE(payload.length, 1);
  payload.copy(frame, 3);
  frame[payload.length + 3] = 0x17;
  return frame;
}

const server = tls.createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath), minVersion: 'TLSv1.2' }, (socket) => {
  let leftover = null;
  if (noDelay) socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    const buf = leftover === null ? chunk : Buffer.concat([leftover, chunk]);
    let off = 0;
    if (cork) socket.cork();
    while (buf.length - off >= 3) {
      if (buf[off] !== 0x01) return socket.destroy(new Error('bad frame guard'));
      const length = buf.readUInt16BE(off + 1);
      if (buf.length - off < length + 4) break;
      if (buf[off + 3 + length] !== 0x17) return socket.destroy(new Error('bad frame trailer'));
      socket.write(encode(buf.subarray(off + 3, off + 3 + length)));
      off += length + 4;
    }
    leftover = off < buf.length ? buf.subarray(off) : null;
    if (cork) process.nextTick(() => socket.uncork());
  });
});
// Handshakes cut short by a client's reset are the client's business, not a crash.
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
