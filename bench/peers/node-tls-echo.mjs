// The `tls` peer: the Simple-frame echo of user-echo.mjs on tls.createServer. Args: CERT
// KEY [--cork] [--nodelay] (socket.setNoDelay() on every connection). Prints "PORT <n>"
// once listening; runs until killed.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { userEcho } from './user-echo.mjs';

const [certPath, keyPath] = process.argv.slice(2);
const cork = process.argv.includes('--cork');
const noDelay = process.argv.includes('--nodelay');

const server = tls.createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath), minVersion: 'TLSv1.2' }, (socket) => {
  if (noDelay) socket.setNoDelay(true);
  userEcho(socket, { cork });
});
// Handshakes cut short by a client's reset are the client's business, not a crash.
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
