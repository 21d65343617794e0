import { applyMask } from '@simple-stream/frames';
import { Utf8Validator } from './utf8.js';

// Where a copy of the new bytes is unmasked: the frame's own bytes must stay masked, since
// the frame is decoded (and unmasked in place) once it is whole.
const scratch = new Uint8Array(16 * 1024);

/**
 * UTF-8 checked in a text frame that has not arrived whole (Autobahn 6.4.3): each time more
 * of it comes, the new payload bytes are unmasked into a scratch copy and validated, so an
 * invalid sequence fails the connection at once, not when the rest of the frame comes.
 * Only a message's first frame (opcode 1, uncompressed) is checked so: the state of a
 * continuation frame depends on fragments not yet processed, and is checked once whole.
 */
export class PartialTextCheck {
  readonly #utf8 = new Utf8Validator();
  /** Payload bytes of the frame in progress checked so far. */
  #checked = 0;

  /** The frame in progress is complete (or another begins): start afresh. */
  reset(): void {
    this.#checked = 0;
  }

  /**
   * Checks the part of the incomplete frame at `buf[start..end)` not checked before.
   * @returns false when it holds invalid UTF-8
   */
  check(buf: Uint8Array, start: number, end: number): boolean {
    // A text frame, no RSV bits, masked (a client's frames arrive whole from our side).
    if (end - start < 2 || (buf[start] & 0x7f) !== 0x01 || (buf[start + 1] & 0x80) === 0) return true;
    const n = buf[start + 1] & 0x7f;
    const header = (n < 126 ? 2 : n === 126 ? 4 : 10) + 4;
    const payloadStart = start + header;
    if (end <= payloadStart) return true;
    if (this.#checked === 0) this.#utf8.reset();
    const key = ((buf[payloadStart - 4] << 24) | (buf[payloadStart - 3] << 16) | (buf[payloadStart - 2] << 8) | buf[payloadStart - 1]) >>> 0;
    for (let at = payloadStart + this.#checked; at < end; ) {
      const length = Math.min(scratch.length, end - at);
      scratch.set(buf.subarray(at, at + length), 0);
      // The key's phase for this offset into the payload.
      const phase = (at - payloadStart) & 3;
      const rotated = phase === 0 ? key : ((key << (phase * 8)) | (key >>> (32 - phase * 8))) >>> 0;
      applyMask(scratch, 0, length, rotated);
      if (!this.#utf8.push(scratch.subarray(0, length))) return false;
      at += length;
    }
    this.#checked = end - payloadStart;
    return true;
  }
}
