// A user's own FrameBuilder: one frame is one HTTP/1.1 request, its head up to CRLF CRLF
// plus a Content-Length body if it has one. It shows that framings plug in: the server,
// the buffering and the fuzz harness take it as they take ours.
import { FrameError } from '@simple-stream/frames';

const CR = 0x0d;
const LF = 0x0a;
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d{1,9})[ \t]*\r\n/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*chunked/i;
const latin1 = new TextDecoder('latin1');

/** A request as a frame: `payload` is its bytes, head and body. Responses use it too. */
export class HttpFrame {
  /** @param {Uint8Array} payload @param {number} [headLength] */
  constructor(payload, headLength = payload.length) {
    this.payload = payload;
    this.byteLength = payload.length;
    /** Bytes of the head, CRLF CRLF included. */
    this.headLength = headLength;
  }

  toBytes() {
    return this.payload;
  }

  /** @param {Uint8Array} target @param {number} offset */
  encodeInto(target, offset) {
    target.set(this.payload, offset);
    return this.payload.length;
  }
}

/** Decodes HTTP/1.1 requests; builds raw byte frames for responses. */
export class HttpRequestFrameBuilder {
  /** @param {{ maxHead?: number, maxBody?: number }} [options] */
  constructor({ maxHead = 8192, maxBody = 64 * 1024 } = {}) {
    this.maxHead = maxHead;
    this.maxBody = maxBody;
    this.maxFrameSize = maxHead + maxBody;
  }

  /** @param {Uint8Array} payload */
  build(payload) {
    return new HttpFrame(payload);
  }

  /** @param {Uint8Array} buf */
  decode(buf) {
    const frame = this.decodeAt(buf, 0, buf.length);
    return frame === null ? null : { frame, length: frame.byteLength };
  }

  /** @param {Uint8Array} buf @param {number} start @param {number} end */
  decodeAt(buf, start, end) {
    const head = headEnd(buf, start, Math.min(end, start + this.maxHead));
    if (head < 0) {
      if (end - start >= this.maxHead) throw new FrameError('HTTP_HEAD_TOO_LARGE', `no end of head within ${this.maxHead} bytes`, this.maxHead - 1);
      return null;
    }
    const headText = latin1.decode(buf.subarray(start, head));
    if (!/^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(headText)) throw new FrameError('HTTP_BAD_REQUEST_LINE', 'not an HTTP/1.x request line', 0);
    if (CHUNKED.test(headText)) throw new FrameError('HTTP_CHUNKED_UNSUPPORTED', 'chunked request bodies are not supported', 0);
    const match = CONTENT_LENGTH.exec(headText);
    const body = match === null ? 0 : Number(match[1]);
    if (body > this.maxBody) throw new FrameError('PAYLOAD_TOO_LARGE', `a body of ${body} bytes, over ${this.maxBody}`, 0);
    const total = head - start + body;
    if (end - start < total) return null;
    return new HttpFrame(buf.subarray(start, start + total), head - start);
  }
}

/** The offset just past the first CRLF CRLF in buf[start..end), or -1. */
function headEnd(buf, start, end) {
  for (let i = start + 3; i < end; i++) {
    i = buf.indexOf(LF, i);
    if (i === -1 || i >= end) return -1;
    if (buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
  }
  return -1;
}

// For the fuzz harness (`npm run fuzz -- examples/http-mock/http-request-framer.mjs`): the
// builder to check, and valid requests that carry a payload as their body, since build()
// makes raw responses rather than requests.
export default HttpRequestFrameBuilder;

/** A valid request frame whose body is `payload` (cut to the default maxBody). */
export function frameFor(/** @type {Uint8Array} */ payload) {
  const body = payload.subarray(0, 64 * 1024);
  const head = new TextEncoder().encode(`POST /fuzz HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head, 0);
  bytes.set(body, head.length);
  return new HttpFrame(bytes, head.length);
}
