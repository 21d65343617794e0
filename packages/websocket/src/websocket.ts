import { FrameError, Opcode, type Frame, type FrameBuilder, type WebSocketFrame } from '@simple-stream/frames';
import { Waiters, type Stream, type Transport } from '@simple-stream/stream';
import { checkAnswer, makeKey, upgradeRequest } from './client-handshake.js';
import { Deadlines, Wait, deadlineError, type DeadlineOwner } from './deadlines.js';
import type { WebSocketOwner } from './owner.js';
import { RawFrame, encodeResponse, errorResponse } from './http-response.js';
import { drain, hostname, innerStream } from './inner-stream.js';
import { Message } from './message.js';
import { messageBuilder } from './message-builder.js';
import { FrameAction, MessageReader, type CloseInfo } from './message-reader.js';
import { MessageWriter } from './message-writer.js';
import { DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_MESSAGE, deflateOptionsOf, limit } from './options.js';
import type { WebSocketClientOptions, WebSocketOptions, WebSocketServerOptions } from './options.js';
import { MAX_INFLATED_MESSAGE, PerMessageDeflate, type DeflateOptions } from './permessage-deflate.js';
import { answerRequest } from './request-answer.js';
import type { Agreement } from './server-handshake.js';
import { UpgradeFrameBuilder, type HeadFrame } from './upgrade-builder.js';
import { WebSocketError, WebSocketErrorCode as Code, framingFailure } from './websocket-error.js';

/** Reading heads (server: requests, plain HTTP included; client: waiting for the 101). */
const CONNECTING = 0;
const OPEN = 1;
/** Our close frame is sent; the peer's is awaited (until closeTimeoutMs). */
const CLOSING = 2;
/** Close frames exchanged, or a plain HTTP connection done (a client waits for the server's FIN). */
const CLOSED = 3;
/** Failed while open: what answers the messages before the failure still goes, then close() sends the close frame. */
const FAILING = 4;
/** Failed: `#error` says why; the transport is to be closed. */
const FAILED = 5;

const STATES = ['connecting', 'open', 'closing', 'closed', 'closing', 'closed'] as const;
/** What {@link WebSocket.readyState} says. */
export type ReadyState = (typeof STATES)[number];

const EMPTY = new Uint8Array(0);
const PING = Message.ping();

/**
 * One WebSocket connection (RFC 6455) as a simple-stream {@link Stream} of {@link Message}s:
 * the epoll server drives it as it drives Plain or Secure (`onNewConnection: (fd) =>
 * WebSocket.accept(new FdTransport(fd), options)`). Inside, a Plain (or, with `tls`,
 * Secure) stream reads through an UpgradeFrameBuilder (HTTP heads, then frames), so the
 * framing and buffering are the streams' own. `nbRecv()` returns whole messages (reassembled,
 * UTF-8 checked, decompressed); pings are answered and closes echoed. `handshakeComplete`
 * is false until the 101, so a server's `handshakeTimeoutMs` bounds a slow head.
 *
 * Once the close frames are exchanged, `ended` turns true: a server's connection sends what
 * is queued, then closes TCP first (reason null; `peerClose` says what the peer sent); a
 * client waits (up to `closeTimeoutMs`) for the server to. A failure throws a {@link WebSocketError}
 * from nbRecv carrying the messages received before it; close() (the connection's next step)
 * flushes what answered them, then the close frame it calls for (1002, 1007, 1009, 1011).
 */
export class WebSocket implements Stream<Message>, DeadlineOwner {
  /** True on the server's side of the connection. */
  readonly isServer: boolean;
  /** The application's data for this connection (an upgrade hook's `data` lands here). */
  data: unknown = undefined;
  readonly #inner: Stream<Frame>;
  readonly #builder: UpgradeFrameBuilder;
  readonly #options: WebSocketOptions;
  readonly #reader: MessageReader;
  readonly #writer: MessageWriter;
  readonly #deadlines: Deadlines;
  readonly #deflateOptions: DeflateOptions | null;
  readonly #maxMessage: number;
  readonly #closeTimeoutMs: number;
  readonly #key: string = '';
  #state = CONNECTING;
  #ended = false;
  #released = false;
  /** Woken by close(), for blocking reads waiting on the transport. */
  #closing: Waiters | null = null;
  #error: Error | null = null;
  #owner: WebSocketOwner | null = null;
  #agreement: Agreement | null = null;
  /** Messages sent before the handshake completed, sent right after it. */
  #early: Message[] | null = null;
  /** Messages received while waiting for something else (bHandshake). */
  #held: Message[] = [];

  /** @internal Use {@link WebSocket.accept} or {@link WebSocket.connect}. */
  constructor(role: 'server' | 'client', transport: Transport, options: WebSocketServerOptions | WebSocketClientOptions) {
    const o = options as WebSocketClientOptions;
    this.isServer = role === 'server';
    this.#options = o;
    this.#maxMessage = limit('maxMessage', o.maxMessage, DEFAULT_MAX_MESSAGE);
    this.#closeTimeoutMs = limit('closeTimeoutMs', o.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS);
    this.#deadlines = new Deadlines(this, limit('idleTimeoutMs', o.idleTimeoutMs, 0, true));
    this.#deflateOptions = deflateOptionsOf(o.deflate);
    this.#reader = new MessageReader(this.#maxMessage, o.deliverPings === true);
    this.#writer = new MessageWriter(!this.isServer);
    this.#builder = new UpgradeFrameBuilder({
      role,
      maxHeadSize: limit('maxHeadSize', o.maxHeadSize, DEFAULT_MAX_HEAD_SIZE),
      maxPayload: this.#maxMessage,
      allowCompression: this.#deflateOptions !== null,
    });
    const servername = this.isServer ? undefined : (o.servername ?? hostname(o.host));
    this.#inner = innerStream(transport, this.#builder, { tls: o.tls, arena: o.arena, servername });
    if (this.isServer) return;
    this.#key = makeKey();
    const handshakeMs = limit('handshakeTimeoutMs', o.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, true);
    this.#inner.nbSend(new RawFrame(upgradeRequest(o, this.#key, this.#deflateOptions)));
    if (handshakeMs > 0) this.#deadlines.start(Wait.Handshake, handshakeMs);
  }

  /** The server's side of a connection on `transport` (e.g. `new FdTransport(fd)`). */
  static accept(transport: Transport, options: WebSocketServerOptions = {}): WebSocket {
    return new WebSocket('server', transport, options);
  }

  /** The client's side: sends the upgrade request on `transport` now. */
  static connect(transport: Transport, options: WebSocketClientOptions): WebSocket {
    return new WebSocket('client', transport, options);
  }

  /** The inner stream's transport. */
  get transport(): Transport {
    return this.#inner.transport;
  }

  /** Frames a payload as a binary message (what the epoll Socket's `send(payload)` uses). */
  get builder(): FrameBuilder<Message> {
    return messageBuilder;
  }

  /** The Plain or Secure stream underneath (TLS facts: `(ws.inner as Secure).protocol`). */
  get inner(): Stream<Frame> {
    return this.#inner;
  }

  /** True once there is nothing more to read: closed cleanly, or a plain HTTP connection done. */
  get ended(): boolean {
    return this.#ended;
  }

  /** True once the opening handshake completed (the 101 sent, or accepted). */
  get handshakeComplete(): boolean {
    return this.#agreement !== null;
  }

  get queued(): number {
    return this.#inner.queued;
  }

  get blocked(): boolean {
    return this.#inner.blocked;
  }

  /** 'connecting', 'open', 'closing' (our close frame sent, or owed after a failure) or 'closed'. */
  get readyState(): ReadyState {
    return STATES[this.#state];
  }

  /** True while nbSend takes messages: connecting (they wait), open, or failing (see close()). */
  get acceptsMessages(): boolean {
    return this.#state <= OPEN || this.#state === FAILING;
  }

  /** The agreed subprotocol; null when none (or not yet agreed). */
  get protocol(): string | null {
    return this.#agreement === null ? null : this.#agreement.protocol;
  }

  /** What the opening handshake agreed on (and the request or 101 it read), once done. */
  get agreement(): Agreement | null {
    return this.#agreement;
  }

  /** The peer's close frame, once received. */
  get peerClose(): CloseInfo | null {
    return this.#reader.peerClose;
  }

  /** Why the connection failed, if it did. */
  get error(): Error | null {
    return this.#error;
  }

  /** When the last pong arrived (performance.now(), within the ticker's period); 0 if none has. */
  get lastPong(): number {
    return this.#reader.lastPong;
  }

  /** The peer's address, once the connection is attached to its owner. */
  get remoteAddress(): { readonly address: string; readonly port: number } | undefined {
    return this.#owner?.remoteAddress;
  }

  /** The connection this runs on (the epoll server calls it before `onOpen`): pings and deadlines act through it. */
  attach(owner: WebSocketOwner): void {
    this.#owner = owner;
  }

  /** The messages complete now, in order; throws WebSocketError (or the transport's error) when the connection fails. */
  nbRecv(): Message[] {
    if (this.#error !== null) throw this.#error;
    if (this.#ended) return this.#takeHeld();
    let frames: Frame[];
    try {
      frames = this.#inner.nbRecv();
    } catch (err) {
      return this.#afterFailedRead(err);
    }
    return this.#process(frames, null);
  }

  /**
   * Sends a message framed for this side (masked by a client, compressed when agreed). A
   * close message starts the closing handshake. Sent before the handshake completes, it
   * waits for it; after our close frame, it is dropped (RFC 6455 5.5.1). False: backpressure.
   */
  nbSend(message: Message): boolean {
    if (this.#state !== OPEN && this.#state !== FAILING) {
      if (this.#state === CONNECTING) (this.#early ??= []).push(message);
      return !this.#inner.blocked;
    }
    const opcode = message.opcode;
    if (opcode < Opcode.Close) return this.#writer.data(this.#inner, message);
    if (opcode === Opcode.Close) {
      this.#state = CLOSING;
      this.#deadlines.start(Wait.CloseFrame, this.#closeTimeoutMs);
    }
    return this.#writer.control(this.#inner, opcode, message.payload);
  }

  nbSendPayload(payload: Uint8Array): boolean {
    return this.nbSend(new Message(payload));
  }

  flush(): boolean {
    return this.#inner.flush();
  }

  cork(): void {
    this.#inner.cork();
  }

  uncork(): boolean {
    return this.#inner.uncork();
  }

  /** Resolves with the next messages (an empty array once the connection has ended). */
  async bRecv(): Promise<Message[]> {
    for (;;) {
      const messages = this.nbRecv();
      if (messages.length > 0 || this.#ended) return messages;
      const received = await this.#bRead();
      if (received.length > 0 || this.#ended) return received;
    }
  }

  /** Sends `message` (after the handshake, waiting for it) and resolves once it is written. */
  async bSend(message: Message): Promise<void> {
    if (this.#agreement === null) await this.bHandshake();
    this.nbSend(message);
    await drain(this.#inner);
  }

  /** Resolves once the opening handshake completes (messages that came with it wait for nbRecv). */
  async bHandshake(): Promise<void> {
    while (this.#agreement === null) {
      if (this.#error !== null) throw this.#error;
      if (this.#ended || this.#released) throw new WebSocketError(Code.HandshakeFailed, 'the connection closed before the handshake completed', 1006);
      await drain(this.#inner);
      // Whatever came with the 101 (and was held before) waits for the next read.
      this.#held = await this.#bRead();
    }
  }

  /** Starts the closing handshake: the connection closes when the peer answers, or after closeTimeoutMs. */
  end(code = 1000, reason = ''): void {
    if (this.#state <= OPEN) this.#send(Message.close(code, reason));
  }

  /** Same as `end()`: the Stream's graceful end. */
  shutdown(): void {
    this.end();
  }

  /** Sends a ping (at most 125 bytes; also when idle half the limit); the pong is recorded in `lastPong`. */
  ping(data?: Uint8Array): void {
    this.#send(data === undefined ? PING : Message.ping(data));
  }

  /** Closes the transport at once; queued bytes are dropped, but flushed (with the close frame owed) after a failure. */
  close(): void {
    if (this.#released) return;
    if (this.#error instanceof WebSocketError) this.#tellFailure();
    this.#released = true;
    this.#ended = true;
    this.#closing?.wake();
    this.#state = this.#state >= FAILING ? FAILED : CLOSED;
    this.#deadlines.stop();
    this.#writer.deflate?.close();
    this.#inner.close();
  }

  /** @internal A deadline passed (see Deadlines). */
  timedOut(kind: number): void {
    // A client after the close frames, when the server did not close TCP in time: done anyway.
    const error = kind === Wait.ServerEnd ? null : deadlineError(kind, this.#closeTimeoutMs);
    if (error === null) this.#ended = true;
    else this.#fail(error);
    if (this.#owner !== null) this.#owner.close(error);
    else this.close();
  }

  /** The last words of a failed connection: queued output (an HTTP refusal, echoes) and the close frame. */
  #tellFailure(): void {
    try {
      if (this.#state === FAILING) this.#writer.close(this.#inner, (this.#error as WebSocketError).closeCode);
      this.#inner.flush();
    } catch {
      // The transport is gone too: there is no one left to tell.
    }
  }

  /** Sends through the owner when attached (it keeps the output moving), else directly. */
  #send(message: Message): void {
    if (this.#owner !== null) this.#owner.sendFrame(message);
    else this.nbSend(message);
  }

  #takeHeld(): Message[] {
    const held = this.#held;
    this.#held = [];
    return held;
  }

  /** Waits for the inner stream's next frames and processes them. */
  async #bRead(): Promise<Message[]> {
    let frames: Frame[];
    try {
      // Raced with close(): a wait on a transport closed under it may never end.
      frames = await Promise.race([this.#inner.bRecv(), (this.#closing ??= new Waiters()).wait().then(() => [])]);
    } catch (err) {
      return this.#afterFailedRead(err);
    }
    if (this.#released && this.#error !== null) throw this.#error;
    return this.#released ? [] : this.#process(frames, null);
  }

  #afterFailedRead(err: unknown): Message[] {
    // Bad bytes: the frames before them still count, then the failure is answered.
    if (err instanceof FrameError && !(err instanceof WebSocketError)) return this.#process(err.frames as Frame[], err);
    // The transport (or TLS) failed: nothing can be sent any more.
    this.#state = FAILED;
    this.#error = err as Error;
    this.#deadlines.stop();
    throw err;
  }

  #process(frames: readonly Frame[], failure: FrameError | null): Message[] {
    this.#deadlines.seen();
    const out = this.#takeHeld();
    try {
      for (let i = 0; i < frames.length && this.#state < CLOSED; i++) {
        if (this.#state === CONNECTING) this.#onHead(frames[i] as HeadFrame);
        else if (this.#reader.read(frames[i] as WebSocketFrame, out) !== FrameAction.None) this.#onControl(frames[i] as WebSocketFrame);
      }
      if (failure !== null && this.#state < CLOSED) {
        const error = framingFailure(failure, this.isServer, this.#state === CONNECTING);
        if (error.status !== 0) this.#inner.nbSend(new RawFrame(encodeResponse(errorResponse(error.status, failure.message), false)));
        throw error;
      }
      if (this.#inner.ended && !this.#ended) this.#peerEnded();
    } catch (err) {
      if (!(err instanceof WebSocketError)) throw err;
      if (this.#error !== err) this.#fail(err);
      err.frames = out;
      throw err;
    }
    return out;
  }

  /** A ping to answer, or the peer's close frame (checked by the reader). */
  #onControl(f: WebSocketFrame): void {
    if (f.opcode === Opcode.Ping) {
      if (this.#state === OPEN) this.#writer.control(this.#inner, Opcode.Pong, f.payload);
      return;
    }
    // Echo the code (RFC 6455 5.5.1), not the reason.
    if (this.#state === OPEN) this.#writer.control(this.#inner, Opcode.Close, f.payload.length === 0 ? EMPTY : f.payload.subarray(0, 2));
    this.#state = CLOSED;
    if (!this.isServer) return this.#deadlines.start(Wait.ServerEnd, this.#closeTimeoutMs);
    // The server closes TCP first (RFC 6455 7.1.1): the connection ends once this is sent.
    this.#ended = true;
    this.#deadlines.stop();
  }

  /** A head, while connecting: a request to answer (server) or the 101 to check (client). */
  #onHead(frame: HeadFrame): void {
    if (!this.isServer) return this.#open(checkAnswer(frame, this.#key, (this.#options as WebSocketClientOptions).protocols, this.#deflateOptions));
    const answer = answerRequest(frame, this.#builder.upgraded, this.#options as WebSocketServerOptions, this.#deflateOptions, this);
    if (this.#released) return; // a hook closed the connection
    this.#inner.nbSend(new RawFrame(answer.bytes));
    if (answer.kind === 'refuse') throw answer.error;
    if (answer.kind === 'http') {
      if (!answer.keepAlive) this.#peerEnded();
      return;
    }
    if (answer.data !== undefined) this.data = answer.data;
    this.#open(answer.agreement);
  }

  #open(agreement: Agreement): void {
    this.#agreement = agreement;
    if (agreement.deflate !== null) {
      const options = { ...this.#deflateOptions, maxMessage: Math.min(this.#maxMessage, MAX_INFLATED_MESSAGE) };
      this.#reader.inflater = this.#writer.deflate = new PerMessageDeflate(this.isServer ? 'server' : 'client', agreement.deflate, options);
    }
    this.#state = OPEN;
    this.#deadlines.open();
    for (const message of this.#early ?? []) this.nbSend(message);
    this.#early = null;
    try {
      this.#options.onHandshake?.(this);
    } catch (err) {
      throw new WebSocketError(Code.HandlerThrew, 'onHandshake threw', 1011, { cause: err });
    }
  }

  /** The transport ended (the peer's FIN, or TLS close_notify); or a plain HTTP connection is done. */
  #peerEnded(): void {
    if (this.#state === CLOSED || (this.#state === CONNECTING && this.isServer)) {
      this.#state = CLOSED;
      this.#ended = true;
      this.#deadlines.stop();
      return;
    }
    if (this.#state === CONNECTING) throw new WebSocketError(Code.HandshakeFailed, 'the server closed the connection before answering', 1006);
    throw new WebSocketError(Code.AbnormalClosure, 'the peer closed the connection without a close frame', 1006);
  }

  /**
   * Records a failure. What the peer is told (a close frame with `err.closeCode` when one
   * can be sent: open, and not 1006) goes out from close(), after whatever the messages
   * received before the failure made the application send (Autobahn 3.2: the echo first).
   */
  #fail(err: WebSocketError): void {
    this.#state = this.#state === OPEN && err.closeCode !== 1006 ? FAILING : FAILED;
    this.#error = err;
    this.#reader.reset();
    this.#deadlines.stop();
  }
}
