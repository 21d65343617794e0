import { isUtf8 } from 'node:buffer';

// A sequence in progress is kept in one number: the bytes still expected (bits 16+), and
// the range the next byte must fall in (bits 8-15 low, 0-7 high). RFC 3629 section 4
// narrows the first continuation byte after E0, ED, F0 and F4 (no overlongs, surrogates,
// or code points past U+10FFFF); every other continuation byte is 80..BF.
const ANY = 0x80bf;

/** The state after the lead byte `c`: 0 for ASCII, -1 for a byte no sequence starts with. */
function lead(c: number): number {
  if (c < 0x80) return 0;
  if (c < 0xc2) return -1;
  if (c < 0xe0) return (1 << 16) | ANY;
  if (c === 0xe0) return (2 << 16) | 0xa0bf;
  if (c === 0xed) return (2 << 16) | 0x809f;
  if (c < 0xf0) return (2 << 16) | ANY;
  if (c === 0xf0) return (3 << 16) | 0x90bf;
  if (c < 0xf4) return (3 << 16) | ANY;
  if (c === 0xf4) return (3 << 16) | 0x808f;
  return -1;
}

/** The number of bytes of the sequence a lead byte starts (1 for bytes that start none). */
function sequenceLength(c: number): number {
  return c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/**
 * Validates UTF-8 that arrives in pieces (the fragments of a text message), failing at
 * the first piece that holds an invalid sequence, while a sequence split across pieces is
 * valid. Whole pieces go through Node's `isUtf8` (SIMD); only the bytes of a sequence cut
 * at a piece's edges are checked here, byte by byte.
 */
export class Utf8Validator {
  #state = 0;

  /** True when no sequence is cut open: the bytes so far are complete UTF-8. */
  get complete(): boolean {
    return this.#state === 0;
  }

  /** Forgets everything pushed, for the next message. */
  reset(): void {
    this.#state = 0;
  }

  /**
   * Adds the next piece. False as soon as the bytes so far cannot begin valid UTF-8 (the
   * validator is then spent until `reset`); true otherwise, even mid-sequence.
   */
  push(bytes: Uint8Array): boolean {
    if (this.#state < 0) return false;
    const n = bytes.length;
    let i = 0;
    while (this.#state !== 0 && i < n) {
      if (!this.#step(bytes[i++])) return false;
    }
    if (i === n) return true;
    // Where a sequence cut by the end of this piece starts, if one is.
    let tail = n;
    for (let j = n - 1; j >= i && j >= n - 3; j--) {
      const c = bytes[j];
      if (c < 0x80) break;
      if (c >= 0xc0) {
        if (j + sequenceLength(c) > n) tail = j;
        break;
      }
    }
    if (tail > i && !isUtf8(i === 0 && tail === n ? bytes : bytes.subarray(i, tail))) {
      this.#state = -1;
      return false;
    }
    for (let j = tail; j < n; j++) {
      if (!this.#step(bytes[j])) return false;
    }
    return true;
  }

  #step(c: number): boolean {
    const state = this.#state;
    if (state === 0) {
      this.#state = lead(c);
      return this.#state !== -1;
    }
    if (c < ((state >>> 8) & 0xff) || c > (state & 0xff)) {
      this.#state = -1;
      return false;
    }
    const remaining = (state >>> 16) - 1;
    this.#state = remaining === 0 ? 0 : (remaining << 16) | ANY;
    return true;
  }
}
