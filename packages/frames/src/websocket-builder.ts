import { FrameError, FrameErrorCode } from './frame-error.js';
import { readU32 } from './bytes.js';
import { LimitedFrameBuilder } from './limited-builder.js';
import { applyMask, randomMaskKey } from './mask.js';
import { MAX_CONTROL_PAYLOAD, WebSocketFrame } from './websocket-frame.js';

/** The default largest payload of one WebSocket frame: 100 MiB, as in `ws`. */
export const WEBSOCKET_DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

/** Options of a {@link WebSocketFrameBuilder}. */
export interface WebSocketFrameBuilderOptions {
  /**
   * `'server'`: frames received must be masked and frames built are not (RFC 6455 5.1).
   * `'client'`: frames received must not be masked and frames built are, with a random
   * key. Omitted: both are accepted and built frames are not masked.
   */
  role?: 'server' | 'client';
  /** Refuse frames declaring more payload than this; default 100 MiB. */
  maxPayload?: number;
  /** RSV bits that negotiated extensions allow (RSV1, 0b100, for permessage-deflate). */
  allowedRsv?: number;
}

/**
 * Decodes and builds RFC 6455 frames. Decoding checks everything section 5 says of one
 * frame, failing as soon as the bytes that break a rule arrive, and unmasks the payload
 * in place, so the frame's payload is a view into the decoded bytes.
 */
export class WebSocketFrameBuilder extends LimitedFrameBuilder<WebSocketFrame> {
  readonly role: 'server' | 'client' | undefined;
  readonly allowedRsv: number;

  constructor(options: WebSocketFrameBuilderOptions = {}) {
    // 14 bytes: the longest header, a 64-bit length and a mask key.
    super(options.maxPayload ?? WEBSOCKET_DEFAULT_MAX_PAYLOAD, Number.MAX_SAFE_INTEGER - 14, 14);
    const allowedRsv = options.allowedRsv ?? 0;
    if ((allowedRsv & 0x7) !== allowedRsv) throw new RangeError(`allowedRsv must be 0 to 7, got ${allowedRsv}`);
    this.role = options.role;
    this.allowedRsv = allowedRsv;
  }

  /** A binary frame, masked with a random key on the client side. */
  protected frame(payload: Uint8Array): WebSocketFrame {
    return new WebSocketFrame(0x2, payload, true, 0, this.role === 'client' ? randomMaskKey() : null);
  }

  frameLength(buf: Uint8Array, start: number, end: number): number {
    const available = end - start;
    if (available < 2) return -1;
    const mask = buf[start + 1] & 0x80 ? 4 : 0;
    const n = buf[start + 1] & 0x7f;
    if (n < 126) return 2 + mask + n;
    if (n === 126) return available < 4 ? -1 : 4 + mask + ((buf[start + 2] << 8) | buf[start + 3]);
    return available < 10 ? -1 : 10 + mask + readU32(buf, start + 2) * 0x100000000 + readU32(buf, start + 6);
  }

  decodeAt(buf: Uint8Array, start: number, end: number): WebSocketFrame | null {
    const available = end - start;
    if (available < 1) return null;
    const b0 = buf[start];
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >>> 4) & 0x7;
    if ((opcode > 0x2 && opcode < 0x8) || opcode > 0xa) {
      throw new FrameError(FrameErrorCode.WsReservedOpcode, `reserved opcode 0x${opcode.toString(16)}`, 0);
    }
    if ((rsv & ~this.allowedRsv) !== 0) {
      throw new FrameError(FrameErrorCode.WsRsvNotAllowed, `RSV bits 0b${rsv.toString(2).padStart(3, '0')} set without an extension`, 0);
    }
    const control = opcode >= 0x8;
    if (control && !fin) throw new FrameError(FrameErrorCode.WsControlFragmented, 'a control frame without FIN', 0);
    if (available < 2) return null;

    const b1 = buf[start + 1];
    const masked = (b1 & 0x80) !== 0;
    if (masked ? this.role === 'client' : this.role === 'server') {
      throw masked
        ? new FrameError(FrameErrorCode.WsMasked, 'a client received a masked frame', 1)
        : new FrameError(FrameErrorCode.WsUnmasked, 'a server received an unmasked frame', 1);
    }
    let n = b1 & 0x7f;
    // Checked on the length byte itself, so an oversized control frame fails at once.
    if (control && n > MAX_CONTROL_PAYLOAD) {
      throw new FrameError(FrameErrorCode.WsControlTooLong, 'a control frame of more than 125 bytes', 1);
    }
    let header = 2;
    if (n === 126) {
      if (available < 4) return null;
      n = (buf[start + 2] << 8) | buf[start + 3];
      if (n < 126) throw nonMinimal(n);
      header = 4;
    } else if (n === 127) {
      if (available < 10) return null;
      const high = readU32(buf, start + 2);
      if (high >= 0x80000000) throw new FrameError(FrameErrorCode.WsLengthTopBit, 'a 64-bit length with its top bit set', 2);
      n = high * 0x100000000 + readU32(buf, start + 6);
      if (n < 0x10000) throw nonMinimal(n);
      header = 10;
    }
    if (n > this.maxPayload) {
      throw new FrameError(FrameErrorCode.PayloadTooLarge, `a frame of ${n} bytes, over maxPayload ${this.maxPayload}`, 1);
    }
    const payloadStart = start + header + (masked ? 4 : 0);
    if (end - payloadStart < n) return null;
    let key: number | null = null;
    if (masked) {
      key = readU32(buf, payloadStart - 4);
      applyMask(buf, payloadStart, payloadStart + n, key);
    }
    return new WebSocketFrame(opcode, buf.subarray(payloadStart, payloadStart + n), fin, rsv, key);
  }
}

function nonMinimal(n: number): FrameError {
  return new FrameError(FrameErrorCode.WsNonMinimalLength, `length ${n} not in the fewest bytes`, 1);
}

/**
 * The close code to send when a WebSocket connection fails with `error`: 1009 (message
 * too big) for size limits, 1002 (protocol error) for every other framing error.
 */
export function closeCodeFor(error: FrameError): number {
  return error.code === FrameErrorCode.PayloadTooLarge || error.code === FrameErrorCode.FrameTooLarge ? 1009 : 1002;
}
