/**
 * One unit of a framed byte stream: its payload and how it looks on the wire.
 *
 * Frames decoded by a {@link FrameBuilder} usually hold their payload as a view into the
 * bytes they were decoded from, so decoding copies nothing.
 */
export interface Frame {
  /** The application data carried by the frame (after unmasking, for WebSocket). */
  readonly payload: Uint8Array;
  /** The number of bytes the frame takes on the wire; `toBytes().length` equals it. */
  readonly byteLength: number;
  /** Encodes the frame into a new array of `byteLength` bytes. */
  toBytes(): Uint8Array;
  /**
   * Optional fast path for senders that gather many frames into one buffer: writes the
   * frame's `byteLength` wire bytes at `target[offset]` and returns `byteLength`.
   */
  encodeInto?(target: Uint8Array, offset: number): number;
}

/** What {@link FrameBuilder.decode} returns when one complete frame starts the buffer. */
export interface Decoded<F extends Frame = Frame> {
  /** The decoded frame. */
  readonly frame: F;
  /** How many bytes at the start of the buffer the frame used: 1 to `buf.length`. */
  readonly length: number;
}

/**
 * The plug-in point for framings, ours and users' own.
 *
 * Contract (checked by the fuzz harness in `fuzz/` for any builder):
 * - `decode(buf)` looks only at the start of `buf`. It returns `null` when more bytes are
 *   needed, `{ frame, length }` when one complete frame of `length` bytes (1 ≤ length ≤
 *   `buf.length`) is there, and throws {@link FrameError} when the bytes can never become
 *   a valid frame. It throws nothing else, whatever the bytes.
 * - Builders keep no state between calls: the answer depends on the bytes alone, so a
 *   prefix that was incomplete stays incomplete until more bytes come. Buffering is done
 *   once, by {@link FrameReader} and the streams.
 * - A frame never needs more than `maxFrameSize` bytes; a builder that can tell from a
 *   header that it would, throws at once instead of asking for more.
 */
export interface FrameBuilder<F extends Frame = Frame> {
  /** The largest number of bytes one frame may take on the wire. */
  readonly maxFrameSize: number;
  /** Decodes one frame from the start of `buf` (see the contract above). */
  decode(buf: Uint8Array): Decoded<F> | null;
  /** Builds a frame that carries `payload`, for sending. */
  build(payload: Uint8Array): F;
  /**
   * Optional fast path used by {@link FrameReader}: the same as
   * `decode(buf.subarray(start, end))`, returning the frame itself (its `byteLength` is
   * the length used) and saving the allocation of a view and a result per frame.
   */
  decodeAt?(buf: Uint8Array, start: number, end: number): F | null;
  /**
   * Optional hint for buffering: the wire length of the frame that starts at `buf[start]`
   * once its header is within `buf[start..end)`, else -1. It lets FrameReader hold a frame
   * that spans chunks in one allocation of its final size. It must agree with `decode`.
   */
  frameLength?(buf: Uint8Array, start: number, end: number): number;
}

/**
 * Writes `frame`'s wire bytes at `target[offset]` and returns how many were written,
 * using the frame's own `encodeInto` when it has one.
 */
export function encodeFrameInto(frame: Frame, target: Uint8Array, offset: number): number {
  if (frame.encodeInto !== undefined) return frame.encodeInto(target, offset);
  const bytes = frame.toBytes();
  target.set(bytes, offset);
  return bytes.length;
}

/**
 * `toBytes()` for a frame that can encode itself: a new array of `byteLength` bytes,
 * filled by its `encodeInto`.
 */
export function encodeFrame(frame: Pick<Frame, 'byteLength'> & Required<Pick<Frame, 'encodeInto'>>): Uint8Array {
  const out = new Uint8Array(frame.byteLength);
  frame.encodeInto(out, 0);
  return out;
}
