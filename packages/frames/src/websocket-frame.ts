import { encodeFrame, type Frame } from './frame.js';
import { writeU32 } from './bytes.js';
import { applyMask, randomMaskKey } from './mask.js';

/** RFC 6455 opcodes. 3-7 and 11-15 are reserved. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** The RSV bits of the first byte, as the `rsv` value of a frame: RSV1 is 0b100. */
export const Rsv = { Rsv1: 0b100, Rsv2: 0b010, Rsv3: 0b001 } as const;

/** The largest payload of a control frame (close, ping, pong). */
export const MAX_CONTROL_PAYLOAD = 125;

/** How to build a {@link WebSocketFrame}. */
export interface WebSocketFrameOptions {
  /** Last frame of its message; default true. */
  fin?: boolean;
  /** RSV bits (see {@link Rsv}); default 0. */
  rsv?: number;
  /**
   * Mask the payload on the wire (clients must): `true` for a random key, or the key as
   * 4 bytes or a u32 whose top byte is the first key byte. Default: not masked.
   */
  mask?: boolean | number | Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });
const EMPTY = new Uint8Array(0);

/** The wire length of a header for `n` bytes of payload. */
export function webSocketHeaderLength(n: number, masked: boolean): number {
  return (n < 126 ? 2 : n < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/** True for the close codes an endpoint may send (RFC 6455 7.4, IANA registry). */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
  );
}

/**
 * The body of a close frame: empty when `code` is omitted, else the code and `reason` in
 * UTF-8. Checks the code and that a reason has one; the caller checks the length.
 */
export function closePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new TypeError('a close reason needs a close code');
    return EMPTY;
  }
  if (!isValidCloseCode(code)) throw new RangeError(`${code} is not a close code an endpoint may send`);
  const text = encoder.encode(reason);
  const body = new Uint8Array(2 + text.length);
  body[0] = code >>> 8;
  body[1] = code & 0xff;
  body.set(text, 2);
  return body;
}

/**
 * One WebSocket frame (RFC 6455 section 5.2). `payload` is the application data, never
 * masked; the mask is applied when the frame is encoded.
 */
export class WebSocketFrame implements Frame {
  readonly opcode: number;
  readonly fin: boolean;
  /** RSV1-3 as three bits, RSV1 the most significant (see {@link Rsv}). */
  readonly rsv: number;
  /** Whether the frame is masked on the wire. */
  readonly masked: boolean;
  /** The mask key as a u32 (first key byte on top); 0 when not masked. */
  readonly maskKey: number;
  readonly payload: Uint8Array;
  readonly byteLength: number;

  /**
   * A frame as it is: no protocol rule is checked beyond the field ranges, so tests can
   * build invalid frames too. Use the static helpers to build valid ones.
   */
  constructor(opcode: number, payload: Uint8Array, fin = true, rsv = 0, maskKey: number | null = null) {
    if ((opcode & 0xf) !== opcode) throw new RangeError(`opcode must be 0 to 15, got ${opcode}`);
    if ((rsv & 0x7) !== rsv) throw new RangeError(`rsv must be 0 to 7, got ${rsv}`);
    this.opcode = opcode;
    this.fin = fin;
    this.rsv = rsv;
    this.masked = maskKey !== null;
    this.maskKey = maskKey === null ? 0 : maskKey >>> 0;
    this.payload = payload;
    this.byteLength = webSocketHeaderLength(payload.length, this.masked) + payload.length;
  }

  /** A text frame; a string is encoded as UTF-8. */
  static text(data: string | Uint8Array, options?: WebSocketFrameOptions): WebSocketFrame {
    return make(0x1, typeof data === 'string' ? encoder.encode(data) : data, options);
  }

  /** A binary frame. */
  static binary(data: Uint8Array, options?: WebSocketFrameOptions): WebSocketFrame {
    return make(0x2, data, options);
  }

  /** A continuation frame of a fragmented message (`fin: false` until the last one). */
  static continuation(data: Uint8Array, options?: WebSocketFrameOptions): WebSocketFrame {
    return make(0x0, data, options);
  }

  /** A ping; `data` at most 125 bytes. */
  static ping(data: Uint8Array = EMPTY, options?: WebSocketFrameOptions): WebSocketFrame {
    return make(0x9, controlPayload(data), options);
  }

  /** A pong; `data` at most 125 bytes (a reply carries the ping's data). */
  static pong(data: Uint8Array = EMPTY, options?: WebSocketFrameOptions): WebSocketFrame {
    return make(0xa, controlPayload(data), options);
  }

  /**
   * A close frame: no body when `code` is omitted, else the code and a UTF-8 reason of at
   * most 123 bytes.
   */
  static close(code?: number, reason = '', options?: WebSocketFrameOptions): WebSocketFrame {
    return make(0x8, controlPayload(closePayload(code, reason)), options);
  }

  /** True for close, ping and pong (opcodes 8 and up). */
  get isControl(): boolean {
    return this.opcode >= 0x8;
  }

  /** A close frame's status code: 1005 (no status) when its body is empty. */
  get closeCode(): number | undefined {
    if (this.opcode !== 0x8) return undefined;
    return this.payload.length >= 2 ? (this.payload[0] << 8) | this.payload[1] : 1005;
  }

  /** A close frame's reason text ('' when none; invalid UTF-8 is replaced, not thrown). */
  get closeReason(): string {
    return this.opcode === 0x8 && this.payload.length > 2 ? decoder.decode(this.payload.subarray(2)) : '';
  }

  toBytes(): Uint8Array {
    return encodeFrame(this);
  }

  encodeInto(target: Uint8Array, offset: number): number {
    const first = (this.fin ? 0x80 : 0) | (this.rsv << 4) | this.opcode;
    return writeWebSocketFrame(target, offset, first, this.payload, this.masked, this.maskKey);
  }
}

/**
 * Writes one frame at `target[offset]` and returns its length: the header, whose first
 * byte is `first` (FIN, RSV bits and opcode), then `payload`, masked with `maskKey` when
 * `masked`. The payload is copied and then masked in `target`, so the caller's bytes
 * never change. Every sender of WebSocket frames encodes through here.
 */
export function writeWebSocketFrame(
  target: Uint8Array,
  offset: number,
  first: number,
  payload: Uint8Array,
  masked: boolean,
  maskKey: number,
): number {
  const n = payload.length;
  const maskBit = masked ? 0x80 : 0;
  let at = offset;
  target[at] = first;
  if (n < 126) {
    target[at + 1] = maskBit | n;
    at += 2;
  } else if (n < 0x10000) {
    target[at + 1] = maskBit | 126;
    target[at + 2] = n >>> 8;
    target[at + 3] = n & 0xff;
    at += 4;
  } else {
    target[at + 1] = maskBit | 127;
    writeU32(target, at + 2, Math.floor(n / 0x100000000));
    writeU32(target, at + 6, n >>> 0);
    at += 10;
  }
  if (masked) {
    writeU32(target, at, maskKey);
    at += 4;
    target.set(payload, at);
    applyMask(target, at, at + n, maskKey);
  } else {
    target.set(payload, at);
  }
  return at + n - offset;
}

function make(opcode: number, payload: Uint8Array, options: WebSocketFrameOptions = {}): WebSocketFrame {
  const fin = options.fin ?? true;
  if (opcode >= 0x8 && !fin) throw new RangeError('control frames cannot be fragmented');
  return new WebSocketFrame(opcode, payload, fin, options.rsv ?? 0, maskKeyOf(options.mask));
}

function maskKeyOf(mask: WebSocketFrameOptions['mask']): number | null {
  if (mask === undefined || mask === false) return null;
  if (mask === true) return randomMaskKey();
  if (typeof mask === 'number') return mask >>> 0;
  if (mask.length !== 4) throw new RangeError(`a mask key has 4 bytes, got ${mask.length}`);
  return ((mask[0] << 24) | (mask[1] << 16) | (mask[2] << 8) | mask[3]) >>> 0;
}

function controlPayload(data: Uint8Array): Uint8Array {
  if (data.length > MAX_CONTROL_PAYLOAD) {
    throw new RangeError(`control frames carry at most ${MAX_CONTROL_PAYLOAD} bytes, got ${data.length}`);
  }
  return data;
}
