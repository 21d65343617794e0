import { FrameError, Rsv, WebSocketFrameBuilder, type Decoded, type Frame, type FrameBuilder, type WebSocketFrame } from '@simple-stream/frames';
import { HttpHeadError, parseRequestHead, parseResponseHead, type HttpRequest, type HttpResponseHead } from './http-head.js';
import { RawFrame } from './http-response.js';
import { PartialTextCheck } from './partial-text.js';

/** The FrameError code of a head without its end within `maxHeadSize` bytes (answered 431). */
export const HEAD_TOO_LARGE = 'HTTP_HEAD_TOO_LARGE';
/** The FrameError code of invalid UTF-8 in a text frame not yet whole (failed with 1007). */
export const PARTIAL_TEXT_INVALID = 'WS_PARTIAL_TEXT_INVALID';

/**
 * One HTTP head as a frame: its bytes, and what they say (or why they say nothing). The
 * parsed head holds strings only, so keeping it does not keep the read buffer alive.
 */
export class HeadFrame implements Frame {
  readonly payload: Uint8Array;
  readonly byteLength: number;
  /** The parsed head; null when it is malformed (see `error`). */
  readonly head: HttpRequest | HttpResponseHead | null;
  /** Why the head could not be parsed. */
  readonly error: HttpHeadError | null;

  constructor(payload: Uint8Array, head: HttpRequest | HttpResponseHead | null, error: HttpHeadError | null) {
    this.payload = payload;
    this.byteLength = payload.length;
    this.head = head;
    this.error = error;
  }

  toBytes(): Uint8Array {
    return this.payload;
  }
}

/** Options of an {@link UpgradeFrameBuilder}. */
export interface UpgradeFrameBuilderOptions {
  /** 'server' reads a request head, 'client' a response head; then frames of that role. */
  role: 'server' | 'client';
  /** The largest head, CRLF CRLF included. */
  maxHeadSize: number;
  /** The largest frame payload. */
  maxPayload: number;
  /** Allow RSV1 (permessage-deflate may be negotiated; the WebSocket checks it was). */
  allowCompression: boolean;
}

/** The largest frame FrameReader is told the length of (see `frameLength`). */
const PREALLOCATE_LIMIT = 1024 * 1024;
const CR = 0x0d;
const LF = 0x0a;

/**
 * The framing of one WebSocket connection, from its first byte: HTTP/1.1 heads, then RFC
 * 6455 frames (through `WebSocketFrameBuilder`). Unlike the frames package's builders it
 * keeps state, so it serves one connection only: it switches to frames when it decodes a
 * head that turns the connection into a WebSocket (a request with `Upgrade: websocket`,
 * or a 101 response), so that frames following the head in the same read are decoded as
 * frames. A server keeps decoding heads after other requests (HTTP keep-alive).
 *
 * A head is a {@link HeadFrame}; a malformed one is still a frame (with `error`), so that
 * the WebSocket answers it. Only a head without its end within `maxHeadSize` is a
 * FrameError (`HTTP_HEAD_TOO_LARGE`).
 */
export class UpgradeFrameBuilder implements FrameBuilder<Frame> {
  readonly maxFrameSize: number;
  readonly #frames: WebSocketFrameBuilder;
  readonly #server: boolean;
  readonly #maxHeadSize: number;
  /** Server: checks text frames as they arrive (see PartialTextCheck). */
  readonly #partialText: PartialTextCheck | null;
  #upgraded = false;

  constructor(options: UpgradeFrameBuilderOptions) {
    this.#server = options.role === 'server';
    this.#maxHeadSize = options.maxHeadSize;
    this.#partialText = this.#server ? new PartialTextCheck() : null;
    this.#frames = new WebSocketFrameBuilder({
      role: options.role,
      maxPayload: options.maxPayload,
      allowedRsv: options.allowCompression ? Rsv.Rsv1 : 0,
    });
    this.maxFrameSize = Math.max(options.maxHeadSize, this.#frames.maxFrameSize);
  }

  /** True once a head switched decoding to WebSocket frames. */
  get upgraded(): boolean {
    return this.#upgraded;
  }

  /** Bytes to send as they are (the HTTP heads this side writes). */
  build(payload: Uint8Array): Frame {
    return new RawFrame(payload);
  }

  decode(buf: Uint8Array): Decoded<Frame> | null {
    const frame = this.decodeAt(buf, 0, buf.length);
    return frame === null ? null : { frame, length: frame.byteLength };
  }

  decodeAt(buf: Uint8Array, start: number, end: number): HeadFrame | WebSocketFrame | null {
    if (this.#upgraded) {
      const frame = this.#frames.decodeAt(buf, start, end);
      if (frame !== null) this.#partialText?.reset();
      else if (this.#partialText !== null && !this.#partialText.check(buf, start, end)) {
        throw new FrameError(PARTIAL_TEXT_INVALID, 'invalid UTF-8 in a text frame still arriving', 0);
      }
      return frame;
    }
    const limit = Math.min(end, start + this.#maxHeadSize);
    const headEnd = endOfHead(buf, start, limit);
    if (headEnd < 0) {
      if (limit - start >= this.#maxHeadSize) {
        throw new FrameError(HEAD_TOO_LARGE, `no end of the HTTP head within ${this.#maxHeadSize} bytes`, this.#maxHeadSize);
      }
      return null;
    }
    const bytes = buf.subarray(start, headEnd);
    let head: HttpRequest | HttpResponseHead;
    try {
      head = this.#server ? parseRequestHead(bytes.subarray(0, bytes.length - 4)) : parseResponseHead(bytes.subarray(0, bytes.length - 4));
    } catch (err) {
      if (!(err instanceof HttpHeadError)) throw err;
      return new HeadFrame(bytes, null, err);
    }
    this.#upgraded = this.#server ? isUpgradeRequest(head as HttpRequest) : (head as HttpResponseHead).status === 101;
    return new HeadFrame(bytes, head, null);
  }

  /**
   * The frame's length, as a hint for FrameReader to hold it in one allocation; none for
   * heads, nor for frames over 1 MiB: the hint allocates before the bytes come, and a peer
   * must not get 100 MiB of memory per connection for a 14-byte header. Bigger frames grow
   * by doubling as their bytes arrive.
   */
  frameLength(buf: Uint8Array, start: number, end: number): number {
    if (!this.#upgraded) return -1;
    const length = this.#frames.frameLength(buf, start, end);
    return length > PREALLOCATE_LIMIT ? -1 : length;
  }
}

/** A request that asks for a WebSocket; a bad one is refused once frames are being decoded. */
function isUpgradeRequest(request: HttpRequest): boolean {
  return request.hasToken('upgrade', 'websocket');
}

/** The offset just past the first CRLF CRLF in buf[start..end), or -1. */
function endOfHead(buf: Uint8Array, start: number, end: number): number {
  let i = start + 3;
  while (i < end) {
    i = buf.indexOf(LF, i);
    if (i < 0 || i >= end) return -1;
    if (buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
    i++;
  }
  return -1;
}
