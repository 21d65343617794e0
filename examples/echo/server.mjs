// The Simple-frame echo server of hydrogen's README, on @simple-stream/epoll-server:
// every frame a client sends comes back to it, framed the same way; over TLS too.
import { begin, FdTransport } from '@simple-stream/epoll-server';
import { Checksum32FrameBuilder, SimpleFrameBuilder } from '@simple-stream/frames';
import { Plain } from '@simple-stream/stream';
import { Secure } from '@simple-stream/tls';

/** The framings the echo server speaks, by the name the CLI takes. */
export const framings = {
  simple: () => new SimpleFrameBuilder(),
  checksum32: () => new Checksum32FrameBuilder(),
};

/**
 * Starts an echo server; with `tls` (a TlsContext, or a TlsContextRef whose `replace()`
 * serves new connections a renewed certificate), every connection is a Secure stream.
 * @param {{ host?: string, port?: number, threads?: number, framing?: keyof typeof framings,
 *   tls?: import('@simple-stream/tls').TlsContext | import('@simple-stream/tls').TlsContextRef,
 *   handshakeTimeoutMs?: number }} options
 */
export function startEcho({ host = '127.0.0.1', port = 0, threads = 1, framing = 'simple', tls, handshakeTimeoutMs } = {}) {
  const makeBuilder = framings[framing];
  if (makeBuilder === undefined) throw new RangeError(`unknown framing ${framing}: use ${Object.keys(framings).join(', ')}`);
  // Builders keep no state, so one serves every connection.
  const builder = makeBuilder();
  return begin(
    {
      onNewConnection: tls === undefined ? (fd) => new Plain(new FdTransport(fd), builder) : (fd) => Secure.overSocket(new FdTransport(fd), builder, tls),
      onDataReceived: (socket, payload) => socket.send(payload),
    },
    { addr: host, port, maxThreads: threads, handshakeTimeoutMs },
  );
}
