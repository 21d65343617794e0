// Our TLS echo: @simple-stream/epoll-server running Secure (@simple-stream/tls) over
// FdTransport, Simple framing. By default with the fd fast path (`{ fd }`: OpenSSL reads
// and writes the socket itself); with --no-fd, Secure over the FdTransport (ciphertext
// through the Transport). With --nodelay, TCP_NODELAY on every accepted socket. With
// --batch-arena, streams read into an arena reused after each batch of events (payloads
// valid only during their callback, as in uWebSockets.js: ReadArena reuseAfterBatch).
// Args: CERT KEY [--no-fd] [--nodelay] [--batch-arena] [ROOT: another built checkout].
// Prints "PORT <n>" once listening.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [certPath, keyPath, ...rest] = process.argv.slice(2);
const noFd = rest.includes('--no-fd');
const noDelay = rest.includes('--nodelay');
const batchArena = rest.includes('--batch-arena');
const root = rest.find((a) => !a.startsWith('--')) ?? join(dirname(fileURLToPath(import.meta.url)), '../..');
const load = (pkg) => import(pathToFileURL(resolve(root, `packages/${pkg}/dist/index.js`)).href);
const [{ begin, FdTransport, setNoDelay }, { SimpleFrameBuilder }, { Secure, TlsContext }, { ReadArena }] = await Promise.all([load('epoll-server'), load('frames'), load('tls'), load('stream')]);

const ctx = TlsContext.server({ cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), minVersion: 'TLSv1.2' });
const builder = new SimpleFrameBuilder();
// 1 MiB: what one batch reads must fit, or the arena is replaced by fresh memory mid-batch.
const arena = batchArena ? new ReadArena(1024 * 1024, 16 * 1024, { reuseAfterBatch: true }) : undefined;
const server = await begin(
  {
    onNewConnection: (fd) => {
      if (noDelay) setNoDelay(fd, true);
      return new Secure(new FdTransport(fd), builder, ctx, noFd ? { arena } : { fd, arena });
    },
    onDataReceived: (socket, payload) => socket.send(payload),
  },
  { addr: '127.0.0.1', port: 0 },
);
console.log(`PORT ${server.port}`);
