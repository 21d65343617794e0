// The incremental UTF-8 validator against Node's isUtf8 and a fatal TextDecoder: any bytes,
// cut anywhere, give the whole's verdict; an invalid sequence fails at the piece holding it.
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8Validator } from '../src/utf8.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
const validByDecoder = (bytes: Uint8Array): boolean => {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** Splits `bytes` at `cuts` (taken modulo the length, sorted). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  return pieces;
}

/** The validator's verdict on `pieces`, and the index of the piece it failed at (-1: none). */
function verdict(pieces: Uint8Array[]): { valid: boolean; failedAt: number } {
  const v = new Utf8Validator();
  for (let i = 0; i < pieces.length; i++) if (!v.push(pieces[i])) return { valid: false, failedAt: i };
  return { valid: v.complete, failedAt: -1 };
}

// Mostly text (so that valid inputs are common), mixed with raw bytes that break it.
const bytesArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => new Uint8Array(Buffer.from(s))),
  fc.uint8Array({ maxLength: 60 }),
  fc
    .tuple(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 30 }))
    .map(([a, bad, b]) => new Uint8Array(Buffer.concat([Buffer.from(a), bad, Buffer.from(b)]))),
);

describe('Utf8Validator', () => {
  it('agrees with isUtf8 and a fatal TextDecoder on any bytes cut anywhere', () => {
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const expected = isUtf8(bytes);
        expect(validByDecoder(bytes)).toBe(expected);
        expect(verdict(split(bytes, cuts)).valid).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees one byte at a time too', () => {
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        expect(verdict([...bytes].map((b) => Uint8Array.of(b))).valid).toBe(isUtf8(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('fails at the piece holding the first invalid byte, not later', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom(0xff, 0xc0, 0x80, 0xf5), fc.array(fc.nat(), { maxLength: 6 }), (text, bad, cuts) => {
        const prefix = Buffer.from(text);
        const bytes = new Uint8Array(Buffer.concat([prefix, Buffer.from([bad]), Buffer.from('tail, valid')]));
        const pieces = split(bytes, cuts);
        // The piece that holds byte `prefix.length`.
        let at = 0;
        let holder = 0;
        for (let i = 0; i < pieces.length; i++) {
          if (prefix.length >= at && prefix.length < at + pieces[i].length) holder = i;
          at += pieces[i].length;
        }
        expect(verdict(pieces)).toEqual({ valid: false, failedAt: holder });
      }),
      { numRuns: 1000 },
    );
  });

  it('takes a character split across pieces, and refuses one left unfinished', () => {
    const euro = Buffer.from('€'); // e2 82 ac
    const v = new Utf8Validator();
    expect(v.push(euro.subarray(0, 1))).toBe(true);
    expect(v.complete).toBe(false);
    expect(v.push(euro.subarray(1, 2))).toBe(true);
    expect(v.push(euro.subarray(2))).toBe(true);
    expect(v.complete).toBe(true);
    expect(v.push(Buffer.from('😀').subarray(0, 3))).toBe(true);
    expect(v.complete).toBe(false);
  });

  it('refuses overlongs, surrogates and code points past U+10FFFF as soon as their second byte comes', () => {
    for (const [lead, second] of [
      [0xe0, 0x80], // overlong 3-byte
      [0xed, 0xa0], // U+D800, a surrogate
      [0xf0, 0x80], // overlong 4-byte
      [0xf4, 0x90], // past U+10FFFF
    ]) {
      const v = new Utf8Validator();
      expect(v.push(Uint8Array.of(lead))).toBe(true);
      expect(v.push(Uint8Array.of(second))).toBe(false);
      // Spent until reset.
      expect(v.push(Buffer.from('a'))).toBe(false);
      v.reset();
      expect(v.push(Buffer.from('a'))).toBe(true);
    }
  });
});
