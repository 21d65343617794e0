// A WebSocket echo server on @simple-stream/websocket: every message comes back to its
// sender with its type (text as text, binary as binary); over TLS (wss://) with `tls`.
import { serve } from '@simple-stream/websocket';

/**
 * Starts the echo server.
 * @param {{ host?: string, port?: number, tls?: import('@simple-stream/tls').TlsContext | import('@simple-stream/tls').TlsContextRef,
 *   handshakeTimeoutMs?: number, deflate?: boolean, maxMessage?: number }} options
 * @returns {Promise<import('@simple-stream/websocket').WebSocketServer>}
 */
export function startWebSocketEcho({ host = '127.0.0.1', port = 0, tls, handshakeTimeoutMs, deflate = false, maxMessage } = {}) {
  return serve(
    { addr: host, port, tls, handshakeTimeoutMs, deflate, maxMessage },
    {
      message(ws, data, isBinary) {
        ws.send(data, isBinary);
      },
      // A plain GET (a browser, curl, a health check) gets a hint instead of 426.
      http: (request) =>
        request.path === '/' ? { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'simple-stream WebSocket echo: connect with ws:// or wss://\n' } : undefined,
    },
  );
}
