import { encodeFrame, type Frame } from './frame.js';
import { FrameError, FrameErrorCode } from './frame-error.js';
import { readU32, writeU32 } from './bytes.js';
import { LimitedFrameBuilder } from './limited-builder.js';

const OVERHEAD = 8;
/** The default largest payload of a Checksum32 frame: 16 MiB. */
export const CHECKSUM32_DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/** The sum of `bytes[start..end)` modulo 2^32. */
export function checksum32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  // Partial sums stay far below 2^53, so a plain number adds exactly; fold every 2^20 bytes.
  let sum = 0;
  let i = start;
  while (i < end) {
    const stop = Math.min(end, i + 0x100000);
    let part = 0;
    for (; i < stop; i++) part += bytes[i];
    sum = (sum + part) % 0x100000000;
  }
  return sum;
}

/** u32 big-endian payload length, payload, u32 big-endian checksum (sum of bytes mod 2^32). */
export class Checksum32Frame implements Frame {
  readonly payload: Uint8Array;
  readonly byteLength: number;
  /** The checksum of the payload. */
  readonly checksum: number;

  constructor(payload: Uint8Array, checksum = checksum32(payload)) {
    if (payload.length > 0xffffffff) throw new RangeError('a Checksum32 frame carries at most 2^32-1 bytes');
    this.payload = payload;
    this.byteLength = payload.length + OVERHEAD;
    this.checksum = checksum;
  }

  toBytes(): Uint8Array {
    return encodeFrame(this);
  }

  encodeInto(target: Uint8Array, offset: number): number {
    const n = this.payload.length;
    writeU32(target, offset, n);
    target.set(this.payload, offset + 4);
    writeU32(target, offset + 4 + n, this.checksum);
    return n + OVERHEAD;
  }
}

/** Options of a {@link Checksum32FrameBuilder}. */
export interface Checksum32FrameBuilderOptions {
  /** Refuse frames declaring more payload than this; default 16 MiB. */
  maxPayload?: number;
}

/** Decodes and builds {@link Checksum32Frame}s. A wrong checksum is a FrameError. */
export class Checksum32FrameBuilder extends LimitedFrameBuilder<Checksum32Frame> {
  constructor(options: Checksum32FrameBuilderOptions = {}) {
    super(options.maxPayload ?? CHECKSUM32_DEFAULT_MAX_PAYLOAD, 0xffffffff, OVERHEAD);
  }

  protected frame(payload: Uint8Array): Checksum32Frame {
    return new Checksum32Frame(payload);
  }

  frameLength(buf: Uint8Array, start: number, end: number): number {
    return end - start < 4 ? -1 : readU32(buf, start) + OVERHEAD;
  }

  decodeAt(buf: Uint8Array, start: number, end: number): Checksum32Frame | null {
    const available = end - start;
    if (available < 4) return null;
    const n = readU32(buf, start);
    if (n > this.maxPayload) {
      throw new FrameError(FrameErrorCode.PayloadTooLarge, `Checksum32 frame declares ${n} bytes, over ${this.maxPayload}`, 0);
    }
    if (available < n + OVERHEAD) return null;
    const payloadEnd = start + 4 + n;
    const expected = readU32(buf, payloadEnd);
    const actual = checksum32(buf, start + 4, payloadEnd);
    if (actual !== expected) {
      throw new FrameError(
        FrameErrorCode.ChecksumMismatch,
        `Checksum32 frame says ${expected}, its payload sums to ${actual}`,
        4 + n,
      );
    }
    return new Checksum32Frame(buf.subarray(start + 4, payloadEnd), actual);
  }
}
