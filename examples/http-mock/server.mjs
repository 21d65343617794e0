// The server of the Metal IO article: every HTTP/1.1 request gets the same keep-alive
// 200 with body "hello\n". A user's framer (HttpRequestFrameBuilder) on the epoll server.
import { begin, FdTransport } from '@simple-stream/epoll-server';
import { Plain } from '@simple-stream/stream';
import { HttpFrame, HttpRequestFrameBuilder } from './http-request-framer.mjs';

// Built once and sent by every connection: no allocation per response.
const RESPONSE = new HttpFrame(
  new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n'),
);

/** Starts the mock. @param {{ host?: string, port?: number }} options */
export function startHttpMock({ host = '127.0.0.1', port = 0 } = {}) {
  const builder = new HttpRequestFrameBuilder();
  return begin(
    {
      onNewConnection: (fd) => new Plain(new FdTransport(fd), builder),
      onDataReceived: (socket) => socket.sendFrame(RESPONSE),
    },
    { addr: host, port },
  );
}
