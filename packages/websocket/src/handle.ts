import { Opcode } from '@simple-stream/frames';
import type { SendStatus, Socket } from '@simple-stream/epoll-server';
import { Message } from './message.js';
import type { CloseInfo } from './message-reader.js';
import type { Agreement } from './server-handshake.js';
import type { ReadyState, WebSocket } from './websocket.js';
import { WebSocketError, WebSocketErrorCode } from './websocket-error.js';

/**
 * What `serve()` and `dial()` hand to callbacks: one WebSocket connection, as a
 * uWebSockets.js or `ws` user expects it (`ws.send`, `ws.end`, `ws.data`…), over the
 * epoll server's Socket (sends go through its backpressure: `SendStatus`,
 * `bufferedAmount`, the `drain` callback) and the {@link WebSocket} stream.
 */
export class WebSocketHandle<D = unknown> {
  readonly #socket: Socket<Message>;
  readonly #ws: WebSocket;
  #remote: { readonly address: string; readonly port: number } | undefined;

  /** @internal Made by serve() and dial() for each connection. */
  constructor(socket: Socket<Message>) {
    this.#socket = socket;
    this.#ws = socket.stream as WebSocket;
  }

  /** The application's data for this connection (an upgrade hook may set it). */
  get data(): D {
    return this.#ws.data as D;
  }

  set data(value: D) {
    this.#ws.data = value;
  }

  /**
   * Sends a message: a string as text, bytes as binary unless `isBinary` is false (then
   * as text: they must be UTF-8). Returns 'closed' once our close frame is sent.
   */
  send(data: string | Uint8Array, isBinary?: boolean): SendStatus {
    if (!this.#sendable()) return 'closed';
    const binary = isBinary ?? typeof data !== 'string';
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    return this.#socket.sendFrame(new Message(payload, binary ? Opcode.Binary : Opcode.Text));
  }

  /**
   * Sends a message made once for many connections by `prepare()` (framed once, deflated
   * once where it can be shared), or any Message (`Message.text('hi')`).
   */
  sendPrepared(message: Message): SendStatus {
    return this.#sendable() ? this.#socket.sendFrame(message) : 'closed';
  }

  /** Sends a ping (at most 125 bytes); the peer's pong comes to the `pong` callback. */
  ping(data?: Uint8Array): SendStatus {
    return this.#sendable() ? this.#socket.sendFrame(data === undefined ? PING : Message.ping(data)) : 'closed';
  }

  /**
   * Closes gracefully: a close frame with `code` and `reason` (at most 123 bytes), then
   * the connection closes when the peer answers (or after `closeTimeoutMs`).
   */
  end(code = 1000, reason = ''): void {
    this.#ws.end(code, reason);
  }

  /** Closes at once, without a close frame; `close` is called with code 1006. */
  close(): void {
    this.#socket.close(null);
  }

  /**
   * @internal Fails the connection for an exception of the application's: a close frame
   * 1011 (internal error), flushed, then the connection closed with WS_HANDLER_THREW.
   */
  fail(cause: unknown, where: string): void {
    const error = new WebSocketError(WebSocketErrorCode.HandlerThrew, `the ${where} callback threw`, 1011, { cause });
    if (this.#sendable()) {
      this.#socket.sendFrame(Message.close(1011));
      this.#ws.flush();
    }
    this.#socket.close(error);
  }

  /** Bytes accepted by `send` that the peer has not taken yet (backpressure). */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** 'connecting', 'open', 'closing' (our close frame sent) or 'closed'. */
  get readyState(): ReadyState {
    return this.#socket.closed ? 'closed' : this.#ws.readyState;
  }

  /** The agreed subprotocol; null when none. */
  get protocol(): string | null {
    return this.#ws.protocol;
  }

  /** The opening handshake's outcome: subprotocol, extensions, and the request (server) or 101 (client). */
  get agreement(): Agreement | null {
    return this.#ws.agreement;
  }

  /** The peer's close frame, once received. */
  get peerClose(): CloseInfo | null {
    return this.#ws.peerClose;
  }

  /** The peer's address and port (known from the handshake on, so `close` can read it too). */
  get remoteAddress(): { readonly address: string; readonly port: number } {
    return this.#remote ?? this.#socket.remoteAddress;
  }

  /**
   * @internal The handshake completed: the peer's address is looked up now, while the fd
   * can tell it (getpeername), so that it is still there once the connection is closed.
   */
  opened(): void {
    try {
      this.#remote = this.#socket.remoteAddress;
    } catch {
      // The peer is gone already (ENOTCONN): nothing to remember; `close` follows.
    }
  }

  /** The connection's socket fd. */
  get fd(): number {
    return this.#socket.fd;
  }

  /** The WebSocket stream (its inner Plain or Secure has the TLS facts). */
  get stream(): WebSocket {
    return this.#ws;
  }

  /** The epoll server's Socket of the connection. */
  get socket(): Socket<Message> {
    return this.#socket;
  }

  #sendable(): boolean {
    return this.#ws.acceptsMessages && !this.#socket.closed;
  }
}

const PING = Message.ping();
