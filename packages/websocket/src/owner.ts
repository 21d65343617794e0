import type { Message } from './message.js';

/**
 * The connection a WebSocket runs on when a server or client drives it: the epoll
 * server's Socket, which hands itself over with `attach` (see `WebSocket#attach`).
 */
export interface WebSocketOwner {
  /** Sends through the connection, which keeps its output moving (EPOLLOUT, backpressure). */
  sendFrame(frame: Message): unknown;
  /** Closes the connection now, reporting `reason`. */
  close(reason: Error | null): void;
  /** The peer's address. */
  readonly remoteAddress?: { readonly address: string; readonly port: number };
}
