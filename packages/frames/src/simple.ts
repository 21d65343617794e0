import { encodeFrame, type Frame } from './frame.js';
import { FrameError, FrameErrorCode } from './frame-error.js';
import { hex } from './bytes.js';
import { LimitedFrameBuilder } from './limited-builder.js';

const START = 0x01;
const END = 0x17;
const OVERHEAD = 4;
/** The largest payload a Simple frame can carry: its length is a u16. */
export const SIMPLE_MAX_PAYLOAD = 0xffff;

/** simple-stream's basic framing: 0x01, u16 big-endian payload length, payload, 0x17. */
export class SimpleFrame implements Frame {
  readonly payload: Uint8Array;
  readonly byteLength: number;

  /** @throws RangeError when `payload` is longer than 65,535 bytes. */
  constructor(payload: Uint8Array) {
    if (payload.length > SIMPLE_MAX_PAYLOAD) {
      throw new RangeError(`a Simple frame carries at most ${SIMPLE_MAX_PAYLOAD} bytes, got ${payload.length}`);
    }
    this.payload = payload;
    this.byteLength = payload.length + OVERHEAD;
  }

  toBytes(): Uint8Array {
    return encodeFrame(this);
  }

  encodeInto(target: Uint8Array, offset: number): number {
    const n = this.payload.length;
    target[offset] = START;
    target[offset + 1] = n >>> 8;
    target[offset + 2] = n & 0xff;
    target.set(this.payload, offset + 3);
    target[offset + 3 + n] = END;
    return n + OVERHEAD;
  }
}

/** Options of a {@link SimpleFrameBuilder}. */
export interface SimpleFrameBuilderOptions {
  /** Refuse frames declaring more payload than this (at most, and by default, 65,535). */
  maxPayload?: number;
}

/** Decodes and builds {@link SimpleFrame}s. A wrong guard byte is a FrameError. */
export class SimpleFrameBuilder extends LimitedFrameBuilder<SimpleFrame> {
  constructor(options: SimpleFrameBuilderOptions = {}) {
    super(options.maxPayload ?? SIMPLE_MAX_PAYLOAD, SIMPLE_MAX_PAYLOAD, OVERHEAD);
  }

  protected frame(payload: Uint8Array): SimpleFrame {
    return new SimpleFrame(payload);
  }

  frameLength(buf: Uint8Array, start: number, end: number): number {
    return end - start < 3 ? -1 : ((buf[start + 1] << 8) | buf[start + 2]) + OVERHEAD;
  }

  decodeAt(buf: Uint8Array, start: number, end: number): SimpleFrame | null {
    const available = end - start;
    if (available < 1) return null;
    if (buf[start] !== START) {
      throw new FrameError(FrameErrorCode.SimpleBadStart, `Simple frame starts with 0x${hex(buf[start])}, not 0x01`, 0);
    }
    if (available < 3) return null;
    const n = (buf[start + 1] << 8) | buf[start + 2];
    if (n > this.maxPayload) {
      throw new FrameError(FrameErrorCode.PayloadTooLarge, `Simple frame declares ${n} bytes, over ${this.maxPayload}`, 1);
    }
    if (available < n + OVERHEAD) return null;
    const endGuard = start + 3 + n;
    if (buf[endGuard] !== END) {
      throw new FrameError(FrameErrorCode.SimpleBadEnd, `Simple frame ends with 0x${hex(buf[endGuard])}, not 0x17`, 3 + n);
    }
    return new SimpleFrame(buf.subarray(start + 3, endGuard));
  }
}
