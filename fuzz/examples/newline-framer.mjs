// A correct user framer, to show how to fuzz your own: lines ending in "\n", at most
// 1024 bytes with the newline. Run it with
//   npm run fuzz -- fuzz/examples/newline-framer.mjs --seconds 5
import { FrameError } from '@simple-stream/frames';

const NL = 0x0a;

class LineFrame {
  /** @param {Uint8Array} payload the line without its "\n" */
  constructor(payload) {
    this.payload = payload;
    this.byteLength = payload.length + 1;
  }

  toBytes() {
    const out = new Uint8Array(this.byteLength);
    out.set(this.payload);
    out[this.payload.length] = NL;
    return out;
  }
}

export class NewlineFramer {
  /** @param {number} [maxFrameSize] the longest line, newline included */
  constructor(maxFrameSize = 1024) {
    this.maxFrameSize = maxFrameSize;
  }

  /** @param {Uint8Array} payload */
  build(payload) {
    if (payload.includes(NL) || payload.length >= this.maxFrameSize) throw new RangeError('not a line this framer can send');
    return new LineFrame(payload);
  }

  /** @param {Uint8Array} buf */
  decode(buf) {
    // Look no further than a frame may reach, so a frame is never over maxFrameSize ...
    const end = buf.subarray(0, this.maxFrameSize).indexOf(NL);
    if (end >= 0) return { frame: new LineFrame(buf.subarray(0, end)), length: end + 1 };
    // ... and fail as soon as that many bytes have no newline: no frame can come of them.
    if (buf.length >= this.maxFrameSize) throw new FrameError('LINE_TOO_LONG', `no newline in ${this.maxFrameSize} bytes`, this.maxFrameSize - 1);
    return null;
  }
}

export const builder = () => new NewlineFramer();
