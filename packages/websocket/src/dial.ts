import { connect, type ConnectOptions } from '@simple-stream/epoll-server';
import { Dispatcher, type WebSocketHandlers } from './dispatcher.js';
import type { WebSocketHandle } from './handle.js';
import type { WebSocketClientOptions } from './options.js';
import { WebSocketError, WebSocketErrorCode } from './websocket-error.js';

/** Where `dial()` connects, and its WebSocket options (`host` defaults to `addr:port`). */
export interface DialOptions extends Omit<WebSocketClientOptions, 'host' | 'onHandshake' | 'deliverPings'>, ConnectOptions {
  /** The Host field (and TLS server name); default `addr:port`. */
  host?: string;
}

/** The callbacks of a client connection (a server's, without `upgrade` and `http`). */
export type ClientHandlers<D = unknown> = Omit<WebSocketHandlers<D>, 'upgrade' | 'http'>;

/**
 * Connects a WebSocket client over the epoll server's `connect()` (TLS with a client
 * context in `tls`). Resolves with the connection's handle once the server's 101 is
 * accepted (after `open`); rejects when the connection fails before: a TransportError
 * (ECONNREFUSED…), a TlsError, or a WebSocketError (`WS_HANDSHAKE_FAILED` with the
 * server's `status`, `WS_HANDSHAKE_TIMEOUT`).
 */
export function dial<D = unknown>(options: DialOptions, handlers: ClientHandlers<D>): Promise<WebSocketHandle<D>> {
  const { addr = '127.0.0.1', port, maxQueued, queuePolicy, ...ws } = options;
  const host = ws.host ?? (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);
  const dispatcher = new Dispatcher<D>('client', handlers, { ...ws, host });
  return new Promise((resolve, reject) => {
    dispatcher.onSettled((handle, reason) => {
      if (handle !== null) resolve(handle);
      else reject(reason ?? new WebSocketError(WebSocketErrorCode.HandshakeFailed, 'the connection closed before the handshake completed', 1006));
    });
    connect(dispatcher, { addr, port, maxQueued, queuePolicy }).catch(reject);
  });
}
