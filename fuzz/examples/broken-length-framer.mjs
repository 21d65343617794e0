// A deliberately broken framer, of the kind anyone might write in an afternoon: a u8
// length prefix, then that many bytes of UTF-8 text. It passes a happy-path unit test
// (build a frame, decode it whole). The fuzz harness must catch it; each bug can be
// switched off so the tests can show that each one is caught on its own.
//
// The bugs:
//  1. offByOne: the completeness check compares the buffer with the payload length instead
//     of 1 + payload length. When exactly one byte is missing, decode returns a frame whose
//     `length` is one past the end of the buffer, with a payload one byte short.
//     Fix: `if (buf.length < 1 + n) return null`.
//  2. fatalUtf8: the payload is decoded with a fatal TextDecoder, which throws a TypeError
//     on invalid UTF-8. Bytes that can never be valid must be a FrameError (the stream then
//     closes cleanly); any other exception is a crash. Fix: catch it and throw
//     `new FrameError('BAD_UTF8', ..., 1)`.
//  3. cachedLength: "to avoid re-reading the header", the length of an incomplete frame is
//     remembered between calls, so the answer depends on the previous call, not on the
//     bytes: not stateless. Fix: keep no state; FrameReader does the buffering.
import { FrameError } from '@simple-stream/frames';

const fatal = new TextDecoder('utf-8', { fatal: true });

/** A frame: u8 payload length, then the payload, which is UTF-8 text. */
export class TextFrame {
  /** @param {Uint8Array} payload @param {string} text */
  constructor(payload, text) {
    this.payload = payload;
    this.text = text;
    this.byteLength = 1 + payload.length;
  }

  toBytes() {
    const out = new Uint8Array(this.byteLength);
    out[0] = this.payload.length;
    out.set(this.payload, 1);
    return out;
  }
}

export class BrokenLengthFramer {
  /** @type {number} the 255-byte payload and its length byte */
  maxFrameSize = 256;
  #cached = -1;

  /** @param {{ offByOne?: boolean, fatalUtf8?: boolean, cachedLength?: boolean }} [bugs] all on by default */
  constructor({ offByOne = true, fatalUtf8 = true, cachedLength = true } = {}) {
    this.bugs = { offByOne, fatalUtf8, cachedLength };
  }

  /** @param {Uint8Array} payload UTF-8 text of at most 255 bytes (build may refuse others) */
  build(payload) {
    if (payload.length > 255) throw new RangeError(`at most 255 bytes, got ${payload.length}`);
    return new TextFrame(payload, fatal.decode(payload)); // throws TypeError on bad UTF-8: fine in build
  }

  /** @param {Uint8Array} buf */
  decode(buf) {
    if (buf.length < 1) return null;
    let n = buf[0];
    if (this.bugs.cachedLength && this.#cached >= 0) n = this.#cached; // bug 3
    const needed = this.bugs.offByOne ? n : 1 + n; // bug 1
    if (buf.length < needed) {
      this.#cached = n;
      return null;
    }
    this.#cached = -1;
    const payload = buf.subarray(1, 1 + n);
    let text;
    if (this.bugs.fatalUtf8) {
      text = fatal.decode(payload); // bug 2
    } else {
      try {
        text = fatal.decode(payload);
      } catch {
        throw new FrameError('BAD_UTF8', 'the payload is not UTF-8', 1);
      }
    }
    return { frame: new TextFrame(payload, text), length: 1 + n };
  }
}

/** The module form the CLI loads: a factory (an instance works too). */
export default () => new BrokenLengthFramer();
