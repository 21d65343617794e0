import type { Frame, FrameBuilder } from './frame.js';
import { FrameError, FrameErrorCode } from './frame-error.js';

/** Options of a {@link FrameReader}. */
export interface FrameReaderOptions {
  /** Lowers the builder's `maxFrameSize` for this reader; it cannot raise it. */
  maxFrameSize?: number;
}

// The smallest number of bytes appended to an incomplete frame before decoding it again.
// Appending at least as much as is already held makes the copies of a frame that arrives
// in many pieces add up to at most twice its length.
const MIN_STEP = 256;

/**
 * Turns chunks of a byte stream into frames, with any builder: the buffering of every
 * stream in this project, written once.
 *
 * - A frame that arrives whole inside one chunk is handed out as a view into that chunk.
 * - Only the incomplete tail is kept, copied into memory the reader owns, so the caller
 *   may reuse a chunk once it no longer needs the frames decoded from it.
 * - Memory held never exceeds `maxFrameSize`; bytes that cannot fit in one frame are a
 *   {@link FrameError} with code `FRAME_TOO_LARGE`.
 * - After a FrameError the stream has lost its framing: every later `push` throws it again.
 */
export class FrameReader<F extends Frame = Frame> {
  readonly #builder: FrameBuilder<F>;
  readonly #maxFrameSize: number;
  #pending: Uint8Array | null = null;
  #pendingLength = 0;
  /** The pending frame's whole length, when the builder's frameLength hint told it; else -1. */
  #need = -1;
  #error: FrameError | null = null;

  constructor(builder: FrameBuilder<F>, options: FrameReaderOptions = {}) {
    const max = Math.min(builder.maxFrameSize, options.maxFrameSize ?? Infinity);
    if (!(max >= 1) || !Number.isSafeInteger(max)) {
      throw new RangeError(`maxFrameSize must be a positive safe integer, got ${max}`);
    }
    this.#builder = builder;
    this.#maxFrameSize = max;
  }

  /** The builder this reader decodes with. */
  get builder(): FrameBuilder<F> {
    return this.#builder;
  }

  /** The largest frame this reader accepts, in bytes on the wire. */
  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  /** Bytes of an incomplete frame held until more arrive. */
  get buffered(): number {
    return this.#pendingLength;
  }

  /** Bytes of memory the reader holds for the incomplete frame (at most `maxFrameSize`). */
  get retained(): number {
    return this.#pending === null ? 0 : this.#pending.length;
  }

  /** The FrameError that ended this stream, if one did. */
  get error(): FrameError | null {
    return this.#error;
  }

  /**
   * Adds the next chunk of the stream and returns the frames now complete, in order.
   * Frames may be views into `chunk`. Throws FrameError (carrying, in `frames`, the valid
   * frames that came before the bad bytes) when the stream can no longer be decoded.
   */
  push(chunk: Uint8Array): F[] {
    if (this.#error !== null) {
      // The frames it carried were delivered with the first throw.
      this.#error.frames = [];
      throw this.#error;
    }
    // A view made from a Buffer goes through Node's species constructor (about 25 ns more
    // per frame): decode from a plain Uint8Array over the same memory instead.
    if (chunk.constructor !== Uint8Array) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: F[] = [];
    try {
      let pos = 0;
      if (this.#pendingLength > 0) {
        pos = this.#resume(chunk, out);
        if (pos < 0) return out;
      }
      pos = this.#drain(chunk, pos, out);
      if (pos < chunk.length) this.#stash(chunk, pos);
    } catch (err) {
      this.#pending = null;
      this.#pendingLength = 0;
      this.#need = -1;
      if (err instanceof FrameError) {
        err.frames = out;
        this.#error = err;
      }
      throw err;
    }
    return out;
  }

  /** Decodes every complete frame of `buf` from `pos`; returns where decoding stopped. */
  #drain(buf: Uint8Array, pos: number, out: F[]): number {
    const builder = this.#builder;
    const end = buf.length;
    if (builder.decodeAt !== undefined) {
      // The hot path: no view and no result object per frame.
      while (pos < end) {
        const frame = builder.decodeAt(buf, pos, end);
        if (frame === null) break;
        pos += this.#checkLength(frame.byteLength, end - pos);
        out.push(frame);
      }
      return pos;
    }
    while (pos < end) {
      const used = this.#decodeGeneric(buf, pos, end, out);
      if (used === 0) break;
      pos += used;
    }
    return pos;
  }

  /** One decode through the plain `decode` contract; returns the bytes used or 0. */
  #decodeGeneric(buf: Uint8Array, start: number, end: number, out: F[]): number {
    const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    const decoded = this.#builder.decode(view);
    if (decoded === null) return 0;
    const used = this.#checkLength(decoded.length, end - start);
    out.push(decoded.frame);
    return used;
  }

  /**
   * Completes the pending frame with bytes from `chunk`. Returns the offset in `chunk`
   * where the bytes after that frame start, or -1 when all of `chunk` was taken and the
   * frame is still incomplete.
   */
  #resume(chunk: Uint8Array, out: F[]): number {
    const held = this.#pendingLength;
    let used = 0;
    for (;;) {
      const length = this.#pendingLength;
      const room = this.#maxFrameSize - length;
      // With the frame's length known, take exactly what it lacks; else grow by doubling.
      const want = this.#need > 0 ? this.#need - length : Math.max(length, MIN_STEP);
      const step = Math.min(chunk.length - used, room, want);
      if (step === 0) {
        if (room === 0) throw tooLarge(this.#maxFrameSize);
        return -1;
      }
      const pending = this.#reserve(length + step);
      pending.set(step === chunk.length ? chunk : chunk.subarray(used, used + step), length);
      this.#pendingLength = length + step;
      used += step;
      const frameLength = this.#decodeOne(pending, this.#pendingLength, out);
      if (frameLength > 0) {
        if (frameLength <= held) {
          throw new RangeError(
            `FrameBuilder is not stateless: a frame of ${frameLength} bytes was incomplete at ${held} bytes`,
          );
        }
        // The frame's payload may be a view into `pending`: hand the buffer over with it.
        this.#pending = null;
        this.#pendingLength = 0;
        this.#need = -1;
        return frameLength - held;
      }
      // No hint yet, or one the builder's decode disagrees with: ask (again).
      if (this.#need <= this.#pendingLength) this.#need = this.#hint(pending, this.#pendingLength);
    }
  }

  /** The builder's frameLength hint for the frame at buf[0..end), if usable; else -1. */
  #hint(buf: Uint8Array, end: number): number {
    const builder = this.#builder;
    if (builder.frameLength === undefined) return -1;
    const need = builder.frameLength(buf, 0, end);
    return need > end && need <= this.#maxFrameSize && Number.isSafeInteger(need) ? need : -1;
  }

  #decodeOne(buf: Uint8Array, end: number, out: F[]): number {
    const builder = this.#builder;
    if (builder.decodeAt !== undefined) {
      const frame = builder.decodeAt(buf, 0, end);
      if (frame === null) return 0;
      out.push(frame);
      return this.#checkLength(frame.byteLength, end);
    }
    return this.#decodeGeneric(buf, 0, end, out);
  }

  /**
   * A decoded length must lie within the bytes given (else the builder is broken) and
   * within this reader's maxFrameSize, whatever the chunking that delivered it.
   */
  #checkLength(length: number, available: number): number {
    if (!(Number.isInteger(length) && length >= 1 && length <= available)) {
      throw new RangeError(`FrameBuilder returned a frame length of ${length} with ${available} bytes available`);
    }
    if (length > this.#maxFrameSize) throw tooLarge(this.#maxFrameSize);
    return length;
  }

  /** Keeps the incomplete tail `chunk[pos..]` in memory the reader owns. */
  #stash(chunk: Uint8Array, pos: number): void {
    const length = chunk.length - pos;
    if (length >= this.#maxFrameSize) throw tooLarge(this.#maxFrameSize);
    const tail = chunk.subarray(pos);
    this.#need = this.#hint(tail, length);
    this.#reserve(length).set(tail, 0);
    this.#pendingLength = length;
  }

  /**
   * Makes room for `size` pending bytes: the frame's whole length at once when it is
   * known, else growing by doubling up to `maxFrameSize`.
   */
  #reserve(size: number): Uint8Array {
    const current = this.#pending;
    if (current !== null && current.length >= size) return current;
    const grown =
      this.#need >= size
        ? this.#need
        : Math.min(this.#maxFrameSize, Math.max(size, MIN_STEP, current === null ? 0 : current.length * 2));
    const next = new Uint8Array(grown);
    if (current !== null && this.#pendingLength > 0) next.set(current.subarray(0, this.#pendingLength), 0);
    this.#pending = next;
    return next;
  }
}


function tooLarge(max: number): FrameError {
  return new FrameError(FrameErrorCode.FrameTooLarge, `no complete frame within ${max} bytes`, max);
}
