// Window sizes: our compressor never reaches further back than the negotiated window,
// 8 bits included, although zlib deflates a raw 8-bit window with 9 bits (native/deflate.c
// relies on zlib's MAX_DIST: distances of at most 2^9 - 262 = 250 bytes).
//
// zlib's inflate cannot prove this: it reads back-references from the output buffer
// without checking them against its window. So this file decodes DEFLATE itself (RFC
// 1951, slow and simple) and reports the farthest distance a stream uses.
import { constants, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptOffer, PerMessageDeflate, type DeflateParams } from '../src/permessage-deflate.js';
import { concat } from '../../../fuzz/bytes.mjs';

const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A canonical Huffman code: how many codes of each length, and symbols in code order. */
interface Code {
  counts: number[];
  symbols: number[];
}

function canonical(lengths: readonly number[]): Code {
  const counts = new Array<number>(16).fill(0);
  for (const l of lengths) counts[l]++;
  counts[0] = 0;
  const offsets = [0, 0];
  for (let l = 1; l < 15; l++) offsets[l + 1] = offsets[l] + counts[l];
  const symbols: number[] = [];
  lengths.forEach((l, symbol) => {
    if (l !== 0) symbols[offsets[l]++] = symbol;
  });
  return { counts, symbols };
}

/** Decodes a raw DEFLATE stream that may end between blocks without a final one. */
function decodeDeflate(data: Uint8Array): { output: Uint8Array; maxDistance: number } {
  let pos = 0;
  let bitBuf = 0;
  let bitCount = 0;
  const out: number[] = [];
  let maxDistance = 0;
  const bits = (n: number): number => {
    while (bitCount < n) {
      if (pos >= data.length) throw new Error('out of input');
      bitBuf |= data[pos++] << bitCount;
      bitCount += 8;
    }
    const v = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCount -= n;
    return v;
  };
  const decode = (code: Code): number => {
    // Codes are sent most significant bit first, one bit at a time.
    let value = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= 15; len++) {
      value |= bits(1);
      const count = code.counts[len];
      if (value - first < count) return code.symbols[index + value - first];
      index += count;
      first = (first + count) << 1;
      value <<= 1;
    }
    throw new Error('invalid Huffman code');
  };
  const fixedLit = canonical(Array.from({ length: 288 }, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)));
  const fixedDist = canonical(new Array<number>(30).fill(5));
  for (;;) {
    // Between blocks: the stream may simply stop (it ends with a sync flush).
    if (pos >= data.length && bitCount < 3) break;
    const final = bits(1);
    const type = bits(2);
    if (type === 0) {
      bitBuf = 0;
      bitCount = 0;
      const len = data[pos] | (data[pos + 1] << 8);
      pos += 4;
      for (let i = 0; i < len; i++) out.push(data[pos++]);
    } else {
      let lit = fixedLit;
      let dist = fixedDist;
      if (type === 2) {
        const nlen = bits(5) + 257;
        const ndist = bits(5) + 1;
        const ncode = bits(4) + 4;
        const clen = new Array<number>(19).fill(0);
        for (let i = 0; i < ncode; i++) clen[CODE_LENGTH_ORDER[i]] = bits(3);
        const lenCode = canonical(clen);
        const lengths: number[] = [];
        while (lengths.length < nlen + ndist) {
          const sym = decode(lenCode);
          if (sym < 16) lengths.push(sym);
          else if (sym === 16) lengths.push(...new Array<number>(3 + bits(2)).fill(lengths[lengths.length - 1]));
          else lengths.push(...new Array<number>(sym === 17 ? 3 + bits(3) : 11 + bits(7)).fill(0));
        }
        lit = canonical(lengths.slice(0, nlen));
        dist = canonical(lengths.slice(nlen));
      } else if (type !== 1) {
        throw new Error('reserved block type');
      }
      for (;;) {
        const sym = decode(lit);
        if (sym < 256) out.push(sym);
        else if (sym === 256) break;
        else {
          const length = LENGTH_BASE[sym - 257] + bits(LENGTH_EXTRA[sym - 257]);
          const d = decode(dist);
          const distance = DIST_BASE[d] + bits(DIST_EXTRA[d]);
          if (distance > out.length) throw new Error('distance before the start');
          maxDistance = Math.max(maxDistance, distance);
          for (let i = 0; i < length; i++) out.push(out[out.length - distance]);
        }
      }
    }
    if (final) break;
  }
  return { output: Uint8Array.from(out), maxDistance };
}

/** Repetitive data, with repeats at every distance up to a few KB. */
const repetitive = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.array(fc.tuple(fc.nat({ max: 4000 }), fc.integer({ min: 3, max: 300 })), { maxLength: 40 }))
  .map(([seed, copies]) => {
    const out = [...seed];
    for (const [back, len] of copies) {
      const from = Math.max(0, out.length - 1 - back);
      for (let i = 0; i < len; i++) out.push(out[from + i]);
    }
    return Uint8Array.from(out);
  });

function params(bits: number): DeflateParams {
  return { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: bits, clientMaxWindowBits: bits };
}

/** Our server's messages, each with its tail back: one stream, as the peer inflates it. */
function stream(bits: number, messages: readonly Uint8Array[], level = 6): Uint8Array {
  const server = new PerMessageDeflate('server', params(bits), { maxMessage: 1 << 24, level });
  try {
    return concat(messages.flatMap((m) => [server.deflate(m), TAIL]));
  } finally {
    server.close();
  }
}

describe('the test decoder', () => {
  it('decodes what zlib deflates, and sees distances past 256 with a 15-bit window', () => {
    let far = 0;
    fc.assert(
      fc.property(fc.array(repetitive, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 9 }), (messages, level) => {
        const decoded = decodeDeflate(stream(15, messages, level));
        expect(Buffer.from(decoded.output).equals(concat(messages))).toBe(true);
        if (decoded.maxDistance > 256) far++;
      }),
      { numRuns: 60 },
    );
    // Without this, a decoder blind to distances would pass every test below.
    expect(far).toBeGreaterThan(10);
  });
});

describe('window sizes', () => {
  it('a server may accept server_max_window_bits=8 and a client offer 8 for itself', () => {
    expect(acceptOffer('permessage-deflate; server_max_window_bits=8; client_max_window_bits=8', {})?.params).toEqual(params(8));
  });

  for (const bits of [8, 9, 10, 11, 12]) {
    it(`a ${bits}-bit window: no distance past ${2 ** bits}, whatever the level`, () => {
      let farthest = 0;
      fc.assert(
        fc.property(fc.array(repetitive, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 9 }), (messages, level) => {
          const decoded = decodeDeflate(stream(bits, messages, level));
          expect(Buffer.from(decoded.output).equals(concat(messages))).toBe(true);
          expect(decoded.maxDistance).toBeLessThanOrEqual(2 ** bits);
          farthest = Math.max(farthest, decoded.maxDistance);
        }),
        { numRuns: 40 },
      );
      // 8 and 9 bits both deflate with zlib's 512-byte window, which reaches 250 back
      // at most; the data does reach that far, so the bound above is really tested.
      if (bits <= 9) expect(farthest).toBeGreaterThan(230);
    });
  }

  it('an 8-bit peer reads our 8-bit messages: node:zlib and our inflater with 8 bits', () => {
    fc.assert(
      fc.property(fc.array(repetitive, { minLength: 1, maxLength: 5 }), (messages) => {
        const s = stream(8, messages);
        expect(Buffer.from(inflateRawSync(s, { windowBits: 8, finishFlush: constants.Z_SYNC_FLUSH })).equals(concat(messages))).toBe(true);
        const server = new PerMessageDeflate('server', params(8), { maxMessage: 1 << 24 });
        const client = new PerMessageDeflate('client', params(8), { maxMessage: 1 << 24 });
        try {
          for (const m of messages) expect(Buffer.from(client.inflate(server.deflate(m), true)!).equals(m)).toBe(true);
        } finally {
          server.close();
          client.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
