import { encodeFrameInto, type Frame, type FrameBuilder } from '@simple-stream/frames';
import { END, sharedReadArena, type ReadArena, type Stream, type Transport } from '@simple-stream/stream';
import { ByteQueue } from './byte-queue.js';
import { CipherOutput } from './cipher-output.js';
import { TlsContextRef, type TlsContext } from './context.js';
import { Engine } from './engine.js';
import { TlsError } from './errors.js';
import { FrameInput } from './frame-input.js';
import { C } from './native.js';
import { TlsSession } from './session.js';

/** Options of a {@link Secure} stream. */
export interface SecureOptions {
  /** Where plaintext is decrypted to (frames are views into it); default: the thread's shared arena. */
  arena?: ReadArena;
  /** Lower the builder's maxFrameSize for this stream. */
  maxFrameSize?: number;
  /** Client: the server name (SNI and certificate check); default: the context's. */
  servername?: string;
  /**
   * Treat a transport end without the peer's close_notify as an error even between
   * records. Default false: a clean end there reads as END (as Node and most servers
   * do); a record cut short is always a TlsError.
   */
  requireCloseNotify?: boolean;
  /**
   * The fast path over a raw socket (e.g. `FdTransport#fd`): TLS reads and writes this
   * non-blocking socket fd itself, so `nbRecv` is one native call (read + decrypt into
   * the arena) and `flush` one more (encrypt + send), with no ciphertext copy through
   * JavaScript. The transport is still used to wait (`readable`/`writable`), to shut down
   * and to close. Its byte counters do not count what TLS moves itself.
   */
  fd?: number;
}

// Ciphertext read from the transport, consumed (or kept) by the engine at each call: one
// array per thread serves every stream.
const scratch = new Uint8Array(64 * 1024);

/**
 * simple-stream's Secure stream: frames over TLS over any {@link Transport}, without
 * blocking, with the same surface and semantics as `Plain`.
 *
 * The handshake runs inside `nbRecv` and `flush`; its output is queued like any output,
 * so `queued > 0` tells an event loop to wait for writability. Frames sent before the
 * handshake completes wait (encrypted once it does). `shutdown` sends close_notify, then
 * shuts the transport's write side; the peer's close_notify reads as END. TLS failures
 * throw {@link TlsError} (after the alert for the peer is written, when it can be), and
 * every later call throws it again.
 */
export class Secure<F extends Frame = Frame> extends TlsSession implements Stream<F> {
  readonly transport: Transport;
  readonly #builder: FrameBuilder<F>;
  readonly #plain = new ByteQueue();
  readonly #cipher: CipherOutput;
  readonly #input: FrameInput<F>;
  /** 0: open; 1: shutdown asked; 2: close_notify queued; 3: transport shut down. */
  #shutdown = 0;

  /**
   * @param context a server or client context, or a {@link TlsContextRef} (its current
   * context is taken now: replacing it later affects new streams only).
   */
  constructor(transport: Transport, builder: FrameBuilder<F>, context: TlsContext | TlsContextRef, options: SecureOptions = {}) {
    const ctx = context instanceof TlsContextRef ? context.current : context;
    const fd = options.fd ?? -1;
    if (!Number.isInteger(fd) || fd < -1) throw new RangeError(`fd must be a non-negative integer, got ${fd}`);
    super(new Engine(ctx, options.servername, options.requireCloseNotify !== true, fd));
    this.transport = transport;
    this.#cipher = new CipherOutput(transport, this.engine);
    this.#input = new FrameInput(this.engine, this.#cipher, builder, options.arena ?? sharedReadArena, options.maxFrameSize);
    this.#builder = builder;
  }

  /**
   * A Secure in fd mode over a socket transport (an epoll-server `FdTransport`, or any
   * Transport carrying its socket's `fd`): what a server's `onNewConnection(fd)` returns,
   * `Secure.overSocket(new FdTransport(fd), builder, contextRef)`.
   */
  static overSocket<F extends Frame>(
    transport: Transport & { readonly fd: number },
    builder: FrameBuilder<F>,
    context: TlsContext | TlsContextRef,
    options: Omit<SecureOptions, 'fd'> = {},
  ): Secure<F> {
    return new Secure(transport, builder, context, { ...options, fd: transport.fd });
  }

  /** fd mode: the TLS bytes read and written on the socket (see Stream#socketBytes). */
  socketBytes(): { read: number; written: number } {
    const [read, written] = this.engine.socketBytes;
    return { read, written };
  }

  /** The framing of this stream. */
  get builder(): FrameBuilder<F> {
    return this.#builder;
  }

  /** The context this stream started with (an SNI choice may serve another). */
  get context(): TlsContext {
    return this.engine.context;
  }

  /** True once the peer has finished sending (close_notify, or a clean end). */
  get ended(): boolean {
    return this.#input.ended;
  }

  /** Bytes of an incomplete received frame. */
  get buffered(): number {
    return this.#input.buffered;
  }

  /** Bytes waiting to go out: frames not yet encrypted plus ciphertext the transport has not taken. */
  get queued(): number {
    return this.#plain.size + this.#cipher.size + this.engine.pending;
  }

  /** True while the last write could not take everything (backpressure). */
  get blocked(): boolean {
    return this.#cipher.blocked;
  }

  /**
   * Reads until the transport would block (or ends) and returns the complete frames, in
   * order. Advances the handshake. Throws TlsError, FrameError (with the frames before
   * the bad bytes in `frames`; `TRUNCATED` when the stream ends inside a frame) or
   * TransportError.
   */
  nbRecv(): F[] {
    this.#check();
    const input = this.#input;
    if (!input.ended) {
      input.guard(() => this.#receive());
      // The handshake may have just completed: what waited for it can go now. (A write
      // failure here repeats at the next call: deliver what arrived first.)
      if (this.#cipher.corked === 0 && this.queued > 0 && !this.#cipher.blocked) {
        try {
          this.flush();
        } catch (err) {
          const frames = input.take();
          if (frames.length === 0) throw err;
          return frames;
        }
      }
    }
    return input.take();
  }

  /**
   * Queues `frame` and, unless corked, encrypts and writes what the transport takes now.
   * Returns false when bytes are left waiting (backpressure, or the handshake).
   */
  nbSend(frame: F): boolean {
    if (this.#shutdown !== 0) throw new RangeError('send after shutdown');
    this.#check();
    const length = frame.byteLength;
    const plain = this.#plain;
    const written = encodeFrameInto(frame, plain.reserve(length), plain.end);
    if (written !== length) throw new RangeError(`frame encoded ${written} bytes, its byteLength is ${length}`);
    plain.end += length;
    if (this.#cipher.corked === 0 && !this.#cipher.blocked) return this.flush();
    return !this.#cipher.blocked;
  }

  /** Builds a frame around `payload` with this stream's builder and sends it. */
  nbSendPayload(payload: Uint8Array): boolean {
    return this.nbSend(this.#builder.build(payload));
  }

  /**
   * Writes queued ciphertext, then encrypts and writes queued frames, until done or the
   * transport would block. True when nothing remains.
   */
  flush(): boolean {
    this.#check();
    if (!this.#cipher.write()) return false;
    const engine = this.engine;
    const plain = this.#plain;
    if (!this.#input.started) this.#input.decrypt(null, 0);
    // Also drains what the engine holds: output that did not fit in `out`, or (fd mode)
    // in the socket.
    while ((plain.size > 0 && engine.handshakeDone) || (engine.flags & C.F_MORE_OUT) !== 0 || engine.pending > 0) {
      const taken = engine.send(plain.bytes, plain.start, plain.size);
      const open = this.#cipher.deliver(taken);
      plain.consume(taken);
      if (!open) return false;
      if (taken === 0 && engine.produced === 0) break;
    }
    if (plain.size > 0) return false; // the handshake is not done: nbRecv will go on
    if (this.#shutdown === 1) this.#closeNotify();
    if (this.#shutdown === 2 && this.queued === 0) {
      this.#shutdown = 3;
      this.transport.shutdown();
    }
    return this.queued === 0;
  }

  /** Holds writes (nbSend only queues) until as many `uncork` calls. */
  cork(): void {
    this.#cipher.corked++;
  }

  /** Releases one `cork`; the last one flushes. Returns what flush returns, or true. */
  uncork(): boolean {
    if (this.#cipher.corked > 0 && --this.#cipher.corked === 0) return this.flush();
    return !this.#cipher.blocked;
  }

  /** Resolves with the next complete frames (an empty array once the stream has ended). */
  async bRecv(): Promise<F[]> {
    for (;;) {
      const frames = this.nbRecv();
      if (frames.length > 0 || this.#input.ended) return frames;
      await this.#progress();
    }
  }

  /** Sends `frame` and resolves once every queued byte is encrypted and taken by the transport. */
  async bSend(frame: F): Promise<void> {
    this.nbSend(frame);
    await this.#drain();
  }

  /** Resolves once every queued byte is encrypted and taken by the transport. */
  bFlush(): Promise<void> {
    return this.#drain();
  }

  /** Resolves once the handshake is done (frames that arrive meanwhile wait for nbRecv). */
  async bHandshake(): Promise<void> {
    while (!this.handshakeComplete) {
      this.#check();
      if (this.#input.ended) throw new TlsError('CLOSED', 'the peer closed during the handshake');
      this.flush();
      this.#input.hold(this.nbRecv());
      if (!this.handshakeComplete) await this.#progress();
    }
  }

  /** Sends close_notify once queued frames are out, then ends the transport's sending side. */
  shutdown(): void {
    if (this.#shutdown !== 0) return;
    this.#shutdown = 1;
    if (this.engine.error === null && this.#cipher.corked === 0 && !this.#cipher.blocked) this.flush();
  }

  /** Closes the transport and frees the TLS connection; queued bytes are dropped. */
  close(): void {
    this.#plain.clear();
    this.#cipher.clear();
    this.engine.free();
    this.transport.close();
  }

  /** Reads until the transport would block or ends, decrypting as it goes. */
  #receive(): void {
    // fd mode: the engine reads the socket itself, until EAGAIN (or a short read).
    const input = this.#input;
    const transport = this.transport;
    if (this.engine.fd >= 0 || !input.started) input.decrypt(null, 0, transport.shortMeansWouldBlock);
    while (!input.ended && this.engine.fd < 0) {
      const n = transport.read(scratch, 0, scratch.length);
      if (n > 0) {
        input.decrypt(scratch, n);
        if (n < scratch.length && transport.shortMeansWouldBlock) break;
      } else {
        if (n === END) input.endOfInput();
        break;
      }
    }
  }

  #closeNotify(): void {
    this.#shutdown = 2;
    if (this.engine.handshakeDone) this.#cipher.deliver(this.engine.shutdown());
  }

  #check(): void {
    const error = this.engine.error;
    if (error !== null) throw error;
  }

  /** Waits for what the stream needs: writability while blocked, else readability. */
  async #progress(): Promise<void> {
    if (this.#cipher.blocked) {
      // fd mode: hand held output to the transport, so that it sees EAGAIN itself.
      this.#cipher.takePending();
      if (!this.#cipher.write()) await this.transport.writable();
      this.flush();
    } else if (this.engine.fd < 0 || !this.#probe()) {
      await this.transport.readable();
    }
  }

  /**
   * fd mode, before waiting: one read through the transport, so that it learns the
   * socket is drained (or takes what arrived meanwhile). True when it got bytes or the end.
   */
  #probe(): boolean {
    const n = this.transport.read(scratch, 0, scratch.length);
    const input = this.#input;
    if (n > 0) input.guard(() => input.decrypt(scratch, n));
    else if (n === END) input.guard(() => input.endOfInput());
    return n > 0 || n === END;
  }

  async #drain(): Promise<void> {
    while (!this.flush()) {
      if (!this.#cipher.blocked && this.#input.ended) throw new TlsError('CLOSED', 'the peer closed before the handshake completed');
      const wasBlocked = this.#cipher.blocked;
      await this.#progress();
      if (!wasBlocked) this.#input.hold(this.nbRecv());
    }
  }
}
