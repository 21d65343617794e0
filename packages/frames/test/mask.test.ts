import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyMask, useNativeMask } from '@simple-stream/frames';

function naive(bytes: Uint8Array, start: number, end: number, key: number): Uint8Array {
  const out = bytes.slice();
  for (let i = start; i < end; i++) out[i] ^= (key >>> (24 - 8 * ((i - start) & 3))) & 0xff;
  return out;
}

describe('applyMask', () => {
  it('equals the byte-by-byte definition for any alignment, range and key', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.nat(7),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (data, shift, a, b, key) => {
          // Place the data at every offset within a word so the aligned word path is hit.
          const backing = new Uint8Array(data.length + 8);
          const bytes = backing.subarray(shift, shift + data.length);
          bytes.set(data);
          const start = data.length === 0 ? 0 : a % (data.length + 1);
          const end = start + (data.length === 0 ? 0 : b % (data.length - start + 1));
          const expected = naive(bytes, start, end, key);
          applyMask(bytes, start, end, key);
          expect(bytes).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stays right when many ranges of one buffer are masked in turn (one word view, reused)', () => {
    const backing = new Uint8Array(4096).map((_, i) => i * 7);
    const expected = backing.slice();
    let seed = 1;
    for (let round = 0; round < 300; round++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const start = seed % 3000;
      const end = start + (seed >>> 12) % 1000;
      const key = Math.imul(seed, 2654435761) >>> 0;
      applyMask(backing, start, end, key);
      expected.set(naive(expected, start, end, key));
      expect(backing).toEqual(expected);
    }
  });

  it('hands payloads of at least the threshold to an installed native implementation', () => {
    const calls: number[] = [];
    useNativeMask((buf, start, end, key) => {
      calls.push(end - start);
      for (let i = start; i < end; i++) buf[i] ^= (key >>> (24 - 8 * ((i - start) & 3))) & 0xff;
    }, 100);
    try {
      const bytes = new Uint8Array(300).fill(5);
      applyMask(bytes, 0, 99, 0x01020304);
      applyMask(bytes, 0, 300, 0x01020304);
      expect(calls).toEqual([300]);
    } finally {
      useNativeMask(null);
    }
  });

  it('is its own inverse', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i);
    applyMask(bytes, 3, 997, 0xdeadbeef);
    applyMask(bytes, 3, 997, 0xdeadbeef);
    expect(bytes).toEqual(Uint8Array.from({ length: 1000 }, (_, i) => i));
  });
});
