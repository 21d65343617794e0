import { FrameError, FrameErrorCode, FrameReader, encodeFrameInto, type Frame, type FrameBuilder } from '@simple-stream/frames';
import { END, type Transport } from './transport.js';
import { sharedReadArena, type ReadArena } from './read-arena.js';
import { giveBuffer, KEEP_OUTPUT, takeBuffer } from './spare-buffers.js';
import type { Stream } from './stream.js';

/** Options of a {@link Plain} stream. */
export interface PlainOptions {
  /** Where reads go; default: the thread's shared arena. */
  arena?: ReadArena;
  /** Lower the builder's maxFrameSize for this stream. */
  maxFrameSize?: number;
}

const EMPTY = new Uint8Array(0);

/**
 * simple-stream's Plain stream: frames over any {@link Transport}, without blocking.
 *
 * `nbRecv` reads until the transport would block and returns every complete frame;
 * `nbSend` encodes a frame into the stream's output queue and writes what the transport
 * takes, keeping the rest, in order, for `flush`. `cork()` holds writes until `uncork()`
 * so that a batch of sends leaves in one write. `bRecv`/`bSend` await readiness.
 * Payloads are views that stay valid: reads never overwrite bytes already handed out.
 */
export class Plain<F extends Frame = Frame> implements Stream<F> {
  readonly transport: Transport;
  readonly #builder: FrameBuilder<F>;
  readonly #reader: FrameReader<F>;
  readonly #arena: ReadArena;
  #out: Uint8Array = EMPTY;
  #outStart = 0;
  #outEnd = 0;
  #corked = 0;
  #blocked = false;
  #ended = false;
  #shutdownPending = false;

  constructor(transport: Transport, builder: FrameBuilder<F>, options: PlainOptions = {}) {
    this.transport = transport;
    this.#builder = builder;
    this.#reader = new FrameReader(builder, { maxFrameSize: options.maxFrameSize });
    this.#arena = options.arena ?? sharedReadArena;
  }

  /** The framing of this stream. */
  get builder(): FrameBuilder<F> {
    return this.#builder;
  }

  /** True once the peer has finished sending (END was read). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes of an incomplete received frame. */
  get buffered(): number {
    return this.#reader.buffered;
  }

  /** Bytes sent with nbSend that the transport has not taken yet. */
  get queued(): number {
    return this.#outEnd - this.#outStart;
  }

  /** True while the last write could not take everything (backpressure). */
  get blocked(): boolean {
    return this.#blocked;
  }

  /**
   * Reads until the transport would block (or ends) and returns the complete frames, in
   * order. Throws FrameError on bad bytes (with the frames before them in `frames`),
   * `TRUNCATED` when the stream ends inside a frame, TransportError on failures.
   */
  nbRecv(): F[] {
    let frames: F[] = [];
    if (this.#ended) return frames;
    const transport = this.transport;
    const arena = this.#arena;
    try {
      for (;;) {
        const bytes = arena.bytes;
        const room = arena.room;
        const n = transport.read(bytes, arena.offset, room);
        if (n > 0) {
          const got = this.#reader.push(arena.commit(n));
          if (got.length > 0) frames = frames.length === 0 ? got : frames.concat(got);
          if (n < room && transport.shortMeansWouldBlock) break;
        } else {
          if (n === END) this.#end();
          break;
        }
      }
    } catch (err) {
      if (err instanceof FrameError && frames.length > 0) err.frames = frames.concat(err.frames as F[]);
      throw err;
    }
    return frames;
  }

  /**
   * Queues `frame` and, unless corked, writes what the transport takes now. Returns
   * false when bytes are left waiting for the transport (backpressure), true otherwise.
   */
  nbSend(frame: F): boolean {
    if (this.#shutdownPending) throw new RangeError('send after shutdown');
    const length = frame.byteLength;
    const out = this.#reserve(length);
    const written = encodeFrameInto(frame, out, this.#outEnd);
    if (written !== length) throw new RangeError(`frame encoded ${written} bytes, its byteLength is ${length}`);
    this.#outEnd += length;
    if (this.#corked === 0 && !this.#blocked) return this.flush();
    return !this.#blocked;
  }

  /** Builds a frame around `payload` with this stream's builder and sends it. */
  nbSendPayload(payload: Uint8Array): boolean {
    return this.nbSend(this.#builder.build(payload));
  }

  /** Writes queued bytes until done or the transport would block; true when none remain. */
  flush(): boolean {
    const transport = this.transport;
    while (this.#outStart < this.#outEnd) {
      const want = this.#outEnd - this.#outStart;
      const n = transport.write(this.#out, this.#outStart, want);
      this.#outStart += n;
      if (n < want && (n === 0 || transport.shortMeansWouldBlock)) {
        this.#blocked = true;
        return false;
      }
    }
    this.#outStart = this.#outEnd = 0;
    this.#blocked = false;
    if (this.#out.length > KEEP_OUTPUT) {
      giveBuffer(this.#out);
      this.#out = EMPTY;
    }
    if (this.#shutdownPending) transport.shutdown();
    return true;
  }

  /** Holds writes (nbSend only queues) until as many `uncork` calls. */
  cork(): void {
    this.#corked++;
  }

  /** Releases one `cork`; the last one flushes. Returns what flush returns, or true. */
  uncork(): boolean {
    if (this.#corked > 0 && --this.#corked === 0) return this.flush();
    return !this.#blocked;
  }

  /** Resolves with the next complete frames (an empty array once the stream has ended). */
  async bRecv(): Promise<F[]> {
    for (;;) {
      const frames = this.nbRecv();
      if (frames.length > 0 || this.#ended) return frames;
      await this.transport.readable();
    }
  }

  /** Sends `frame` and resolves once the transport has taken every queued byte. */
  async bSend(frame: F): Promise<void> {
    this.nbSend(frame);
    while (!this.flush()) await this.transport.writable();
  }

  /** Ends the sending side once the queued bytes are written (at once if none are). */
  shutdown(): void {
    if (this.#shutdownPending) return;
    this.#shutdownPending = true;
    if (this.queued === 0) this.transport.shutdown();
  }

  /** Closes the transport; queued bytes are dropped. */
  close(): void {
    giveBuffer(this.#out);
    this.#out = EMPTY;
    this.#outStart = this.#outEnd = 0;
    this.transport.close();
  }

  #end(): void {
    this.#ended = true;
    const held = this.#reader.buffered;
    if (held > 0) {
      throw new FrameError(FrameErrorCode.Truncated, `the stream ended inside a frame, ${held} bytes in`, held);
    }
  }

  /** Room for `n` more output bytes at #outEnd: compacts, then grows by doubling. */
  #reserve(n: number): Uint8Array {
    let out = this.#out;
    if (this.#outEnd + n <= out.length) return out;
    const queued = this.#outEnd - this.#outStart;
    if (queued + n <= out.length) {
      out.copyWithin(0, this.#outStart, this.#outEnd);
    } else {
      const size = Math.max(1024, 2 * out.length, queued + n);
      const grown = takeBuffer(size);
      if (queued > 0) grown.set(out.subarray(this.#outStart, this.#outEnd), 0);
      giveBuffer(out);
      this.#out = out = grown;
    }
    this.#outStart = 0;
    this.#outEnd = queued;
    return out;
  }
}
