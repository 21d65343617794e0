import type { Decoded, Frame, FrameBuilder } from './frame.js';

/**
 * What the three framings share: a payload limit checked when building and declared to
 * FrameReader as `maxFrameSize`, and `decode` as a view of the `decodeAt` fast path.
 */
export abstract class LimitedFrameBuilder<F extends Frame> implements FrameBuilder<F> {
  /** The largest payload a frame may declare or carry. */
  readonly maxPayload: number;
  readonly maxFrameSize: number;

  /**
   * @param maxPayload the configured limit, checked against `0..ceiling`
   * @param ceiling the largest limit the wire format allows
   * @param overhead the most bytes a frame takes beyond its payload
   */
  protected constructor(maxPayload: number, ceiling: number, overhead: number) {
    if (!Number.isSafeInteger(maxPayload) || maxPayload < 0 || maxPayload > ceiling) {
      throw new RangeError(`maxPayload must be an integer from 0 to ${ceiling}, got ${maxPayload}`);
    }
    this.maxPayload = maxPayload;
    this.maxFrameSize = maxPayload + overhead;
  }

  /**
   * A frame carrying `payload`, for sending.
   * @throws RangeError when `payload` is longer than `maxPayload`: a builder never makes
   *   a frame its own decode would refuse.
   */
  build(payload: Uint8Array): F {
    if (payload.length > this.maxPayload) {
      throw new RangeError(`a payload of ${payload.length} bytes is over maxPayload ${this.maxPayload}`);
    }
    return this.frame(payload);
  }

  decode(buf: Uint8Array): Decoded<F> | null {
    const frame = this.decodeAt(buf, 0, buf.length);
    return frame === null ? null : { frame, length: frame.byteLength };
  }

  abstract decodeAt(buf: Uint8Array, start: number, end: number): F | null;

  abstract frameLength(buf: Uint8Array, start: number, end: number): number;

  /** Makes the frame for a payload already checked against the limit. */
  protected abstract frame(payload: Uint8Array): F;
}
