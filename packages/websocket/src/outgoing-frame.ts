import { applyMask, randomMaskKey, webSocketHeaderLength, type Frame } from '@simple-stream/frames';
import { writeLength64 } from './message.js';

/**
 * The frame a WebSocket writes when a Message cannot encode itself as it is: masked (a
 * client's frames), compressed (RSV1 and a deflated payload) or both. One per stream,
 * refilled for every such message and encoded at once into the inner stream's output, so
 * sending allocates nothing.
 */
export class OutgoingFrame implements Frame {
  #first = 0;
  #masked = false;
  payload: Uint8Array = new Uint8Array(0);
  byteLength = 0;

  /**
   * Sets the next frame: `opcode` with FIN set, `rsv` bits (0b100 for a compressed
   * message), masked with a fresh random key when `masked`.
   */
  set(opcode: number, rsv: number, payload: Uint8Array, masked: boolean): this {
    this.#first = 0x80 | (rsv << 4) | opcode;
    this.#masked = masked;
    this.payload = payload;
    this.byteLength = webSocketHeaderLength(payload.length, masked) + payload.length;
    return this;
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.encodeInto(out, 0);
    return out;
  }

  encodeInto(target: Uint8Array, offset: number): number {
    const payload = this.payload;
    const n = payload.length;
    const maskBit = this.#masked ? 0x80 : 0;
    let at = offset;
    target[at] = this.#first;
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
      writeLength64(target, at + 2, n);
      at += 10;
    }
    if (maskBit !== 0) {
      // A fresh key per frame (RFC 6455 5.3): the payload is copied, then masked in place
      // in the output buffer, so the caller's bytes are never changed.
      const key = randomMaskKey();
      target[at] = key >>> 24;
      target[at + 1] = (key >>> 16) & 0xff;
      target[at + 2] = (key >>> 8) & 0xff;
      target[at + 3] = key & 0xff;
      at += 4;
      target.set(payload, at);
      applyMask(target, at, at + n, key);
    } else {
      target.set(payload, at);
    }
    return at + n - offset;
  }

  /** Drops the payload once sent: it may be large, and this frame lives as long as its stream. */
  release(): void {
    this.payload = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);
