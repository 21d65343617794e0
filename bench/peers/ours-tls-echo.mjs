// Our TLS echo: @simple-stream/epoll-server running Secure (@simple-stream/tls) over
// FdTransport, Simple framing. By default with the fd fast path (`{ fd }`: OpenSSL reads
// and writes the socket itself); with --no-fd, Secure over the FdTransport (ciphertext
// through the Transport). With --nodelay, TCP_NODELAY on every accepted socket.
// Args: CERT KEY [--no-fd] [--nodelay] [ROOT: another built checkout].
// Prints "PORT <n>" once listening.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [certPath, keyPath, ...rest] = process.argv.slice(2);
const noFd = rest.includes('--no-fd');
const noDelay = rest.includes('--nodelay');
const root = rest.find((a) => !a.startsWith('--')) ?? join(dirname(fileURLToPath(import.meta.url)), '../..');
const load = (pkg) => import(pathToFileURL(resolve(root, `packages/${pkg}/dist/index.js`)).href);
const [{ begin, FdTransport, setNoDelay }, { SimpleFrameBuilder }, { Secure, TlsContext }] = await Promise.all([load('epoll-server'), load('frames'), load('tls')]);

const ctx = TlsContext.server({ cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), minVersion: 'TLSv1.2' });
const builder = new SimpleFrameBuilder();
const server = await begin(
  {
    onNewConnection: (fd) => {
      if (noDelay) setNoDelay(fd, true);
      return new Secure(new FdTransport(fd), builder, ctx, noFd ? {} : { fd });
    },
    onDataReceived: (socket, payload) => socket.send(payload),
  },
  { addr: '127.0.0.1', port: 0 },
);
console.log(`PORT ${server.port}`);
