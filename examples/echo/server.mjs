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
 * The echo Handler: `builder`'s frames back as they came; with `tls`, over Secure streams.
 * Builders keep no state, so one serves every connection.
 * @param {import('@simple-stream/frames').FrameBuilder} builder
 * @param {import('@simple-stream/tls').TlsContext | import('@simple-stream/tls').TlsContextRef | undefined} tls
 */
export function echoHandler(builder, tls) {
  return {
    onNewConnection: tls === undefined ? (fd) => new Plain(new FdTransport(fd), builder) : (fd) => Secure.overSocket(new FdTransport(fd), builder, tls),
    onDataReceived: (socket, payload) => socket.send(payload),
  };
}

/**
 * Starts an echo server; with `tls` (a TlsContext, or a TlsContextRef whose `replace()`
 * serves new connections a renewed certificate), every connection is a Secure stream.
 * With `threads` above 1, `threads` worker threads each load ./worker.mjs (a context does
 * not cross threads: give TLS as `tlsFiles`, PEM paths each worker reads) and the promise
 * resolves with their WorkerPool, whose `stats()` is asynchronous.
 * @param {{ host?: string, port?: number, threads?: number, framing?: keyof typeof framings,
 *   tls?: import('@simple-stream/tls').TlsContext | import('@simple-stream/tls').TlsContextRef,
 *   tlsFiles?: { cert: string, key: string, ca?: string },
 *   handshakeTimeoutMs?: number, statsRequests?: boolean, proxyProtocol?: false | 'v1' | 'v2' | 'any' }} options
 */
export function startEcho({ host = '127.0.0.1', port = 0, threads = 1, framing = 'simple', tls, tlsFiles, handshakeTimeoutMs, statsRequests, proxyProtocol } = {}) {
  const makeBuilder = framings[framing];
  if (makeBuilder === undefined) throw new RangeError(`unknown framing ${framing}: use ${Object.keys(framings).join(', ')}`);
  const config = { addr: host, port, maxThreads: threads, handshakeTimeoutMs, statsRequests, proxyProtocol };
  if (threads > 1) {
    if (tls !== undefined) throw new RangeError('with threads, give TLS as tlsFiles (each worker reads them)');
    return begin(new URL('./worker.mjs', import.meta.url), { ...config, workerData: { framing, tlsFiles } });
  }
  if (tlsFiles !== undefined) throw new RangeError('tlsFiles go with threads above 1: give a TLS context as tls');
  return begin(echoHandler(makeBuilder(), tls), config);
}
