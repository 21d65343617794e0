import { Opcode } from '@simple-stream/frames';
import { FdTransport, type Handler, type Socket } from '@simple-stream/epoll-server';
import { WebSocketHandle } from './handle.js';
import type { HttpRequest } from './http-head.js';
import type { HttpResponse } from './http-response.js';
import type { Message } from './message.js';
import type { WebSocketClientOptions, WebSocketServerOptions } from './options.js';
import type { UpgradeAnswer } from './server-handshake.js';
import { WebSocket } from './websocket.js';

/** The callbacks of `serve()` and `dial()`, each given the connection's handle. */
export interface WebSocketHandlers<D = unknown> {
  /**
   * Server: a valid upgrade request (check `request.header('origin')`, authorization…):
   * accept (nothing, `true`, or `{ protocol, headers, data }`) or refuse (`false` for 403,
   * or `{ status, headers, body }`). `ws.data` may be set here too. A throw answers 500,
   * and so does a promise: the decision is synchronous.
   */
  upgrade?(request: HttpRequest, ws: WebSocketHandle<D>): UpgradeAnswer;
  /** The handshake completed: the connection is open. */
  open?(ws: WebSocketHandle<D>): void;
  /**
   * A message. `data` stays valid after the call (never overwritten); text comes as its
   * UTF-8 bytes (checked) with `isBinary` false: `toText(data)` gives the string.
   */
  message(ws: WebSocketHandle<D>, data: Uint8Array, isBinary: boolean): void;
  /** Output held back by a slow peer has all been written (after a send said 'queued'). */
  drain?(ws: WebSocketHandle<D>): void;
  /**
   * The connection is gone (only for connections that opened). `code` and `reason` are
   * the peer's close frame's (1005: it had no code), or 1006 when none came; `error` is
   * null for a clean close, else why it failed (a WebSocketError with the close code sent,
   * a TransportError, a TlsError, a ConnectionError…).
   */
  close?(ws: WebSocketHandle<D>, code: number, reason: string, error: Error | null): void;
  /** A ping arrived (the pong is sent already). */
  ping?(ws: WebSocketHandle<D>, data: Uint8Array): void;
  /** A pong arrived. */
  pong?(ws: WebSocketHandle<D>, data: Uint8Array): void;
  /**
   * Server: a plain HTTP request (GET/HEAD without a body) on the same port; keep-alive is
   * honoured. Without this callback such requests get 426 Upgrade Required; returning
   * nothing answers 404. A throw answers 500.
   */
  http?(request: HttpRequest, ws: WebSocketHandle<D>): HttpResponse | undefined | void;
}

/**
 * The epoll server Handler behind `serve()` and `dial()`: it makes a WebSocket stream per
 * connection, a handle per socket, and turns the stream's messages and the connection's
 * events into the callbacks. The hooks of the WebSocket options are its own methods, so
 * one options object serves every connection.
 */
export class Dispatcher<D> implements Handler<Message> {
  /** The handles of open connections. */
  readonly open = new Set<WebSocketHandle<D>>();
  readonly #handlers: WebSocketHandlers<D>;
  readonly #server: boolean;
  readonly #options: WebSocketServerOptions | WebSocketClientOptions;
  readonly #handles = new Map<number, WebSocketHandle<D>>();
  /** Resolves `allClosed()` once no connection is open. */
  #emptied: (() => void) | null = null;
  /** Client: told the outcome of the opening handshake. */
  #settle: ((handle: WebSocketHandle<D> | null, reason: Error | null) => void) | null = null;

  constructor(role: 'server' | 'client', handlers: WebSocketHandlers<D>, options: WebSocketServerOptions | WebSocketClientOptions) {
    this.#handlers = handlers;
    this.#server = role === 'server';
    this.#options = {
      ...options,
      deliverPings: handlers.ping !== undefined || handlers.pong !== undefined,
      onHandshake: (ws) => this.#opened(ws),
      upgrade: handlers.upgrade === undefined ? undefined : (request, ws) => handlers.upgrade!(request, this.#handleOf(ws)),
      http: handlers.http === undefined ? undefined : (request, ws) => handlers.http!(request, this.#handleOf(ws)),
    };
  }

  /** Client: calls `settle` once, with the open handle or why the connection failed first. */
  onSettled(settle: (handle: WebSocketHandle<D> | null, reason: Error | null) => void): void {
    this.#settle = settle;
  }

  /** Resolves once no connection is open. */
  allClosed(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#emptied = resolve));
  }

  onNewConnection(fd: number): WebSocket {
    const transport = new FdTransport(fd);
    return this.#server
      ? WebSocket.accept(transport, this.#options as WebSocketServerOptions)
      : WebSocket.connect(transport, this.#options as WebSocketClientOptions);
  }

  onOpen(socket: Socket<Message>): void {
    const handle = new WebSocketHandle<D>(socket);
    socket.data = handle;
    this.#handles.set(socket.fd, handle);
  }

  onDataReceived(socket: Socket<Message>, payload: Uint8Array, message: Message): void {
    const ws = socket.data as WebSocketHandle<D>;
    const opcode = message.opcode;
    try {
      if (opcode === Opcode.Binary || opcode === Opcode.Text) this.#handlers.message(ws, payload, opcode === Opcode.Binary);
      else if (opcode === Opcode.Ping) this.#handlers.ping?.(ws, payload);
      else this.#handlers.pong?.(ws, payload);
    } catch (err) {
      ws.fail(err, opcode <= Opcode.Binary ? 'message' : opcode === Opcode.Ping ? 'ping' : 'pong');
    }
  }

  onDrain(socket: Socket<Message>): void {
    const ws = socket.data as WebSocketHandle<D>;
    try {
      this.#handlers.drain?.(ws);
    } catch (err) {
      ws.fail(err, 'drain');
    }
  }

  onConnectionRemoved(fd: number, reason: Error | null): void {
    const handle = this.#handles.get(fd);
    if (handle === undefined) return;
    this.#handles.delete(fd);
    if (!this.open.delete(handle)) {
      this.#settle?.(null, reason);
      return;
    }
    if (this.open.size === 0) this.#emptied?.();
    const peer = handle.peerClose;
    this.#handlers.close?.(handle, peer === null ? 1006 : peer.code, peer === null ? '' : peer.reason, reason);
  }

  #handleOf(ws: WebSocket): WebSocketHandle<D> {
    return this.#handles.get((ws.transport as FdTransport).fd)!;
  }

  #opened(ws: WebSocket): void {
    const handle = this.#handleOf(ws);
    handle.opened();
    this.open.add(handle);
    this.#settle?.(handle, null);
    this.#handlers.open?.(handle);
  }
}
