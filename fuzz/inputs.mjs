// Input generation. Valid streams come from the builder itself (or the named entry's
// frameFor), so the fuzzer starts from bytes that get deep into any decoder; mutations
// then break them in the ways framing bugs care about (lengths, guards, truncation), and
// purely random bytes cover what no valid frame looks like.
import { concat } from './bytes.mjs';
import { describeThrown, fail } from './checked.mjs';

// Payload sizes at the length-encoding thresholds of common framings (7-bit, u8, u16).
const THRESHOLDS = [124, 125, 126, 127, 128, 254, 255, 256, 257, 1023, 1024];
// Just past a u16 length: the only expensive sizes, so they are rare.
const BIG = [65535, 65536, 65537];
// Bytes framings give meaning to: 0x01/0x17 (Simple guards), \n, 126/127 (WebSocket
// length markers), top bits (FIN, MASK), 0xff.
const INTERESTING = [0x00, 0x01, 0x0a, 0x0d, 0x17, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x88, 0xfe, 0xff];
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ';

/** A payload: often empty or small, sometimes at a threshold, rarely past 64 KiB. */
export function randomPayload(/** @type {import('./rng.mjs').Rng} */ rng) {
  const r = rng.next();
  const n =
    r < 0.25 ? rng.int(9) : r < 0.6 ? rng.between(9, 64) : r < 0.8 ? rng.between(65, 300)
      : r < 0.99 ? rng.pick(THRESHOLDS) : rng.pick(BIG);
  const out = new Uint8Array(n);
  // Several alphabets, so builders that refuse some bytes (text framers) still get frames.
  switch (rng.int(5)) {
    case 0: case 1: return rng.fill(out);
    case 2: for (let i = 0; i < n; i++) out[i] = ALNUM.charCodeAt(rng.int(ALNUM.length)); return out;
    case 3: return out.fill(rng.pick(INTERESTING));
    default: for (let i = 0; i < n; i++) out[i] = rng.chance(0.5) ? rng.pick(INTERESTING) : rng.int(256); return out;
  }
}

/**
 * @typedef {{ payload: Uint8Array, frame: import('@simple-stream/frames').Frame, wire: Uint8Array }} Built
 * @typedef {(payload: Uint8Array, rng: import('./rng.mjs').Rng) => import('@simple-stream/frames').Frame} MakeFrame
 */

/**
 * 0 to 5 valid frames back to back. A payload the builder refuses to build (too long,
 * bytes it cannot carry) is skipped: build() may throw, decode() may not.
 * @param {import('./rng.mjs').Rng} rng @param {MakeFrame} make
 * @returns {{ bytes: Uint8Array, built: Built[] }}
 */
export function validStream(rng, make) {
  const count = rng.chance(0.3) ? 1 : rng.int(6);
  /** @type {Built[]} */
  const built = [];
  for (let i = 0; i < count; i++) {
    const payload = randomPayload(rng);
    let frame;
    try {
      frame = make(payload, rng);
    } catch {
      continue;
    }
    let wire;
    try {
      wire = frame.toBytes();
    } catch (err) {
      fail('roundtrip', `toBytes() of a frame built for ${payload.length} bytes threw ${describeThrown(err)}`, payload);
    }
    built.push({ payload, frame, wire });
  }
  return { bytes: concat(built.map((b) => b.wire)), built };
}

/** Random bytes: short ones often (headers), up to a few hundred. */
export function randomBytes(/** @type {import('./rng.mjs').Rng} */ rng) {
  const n = rng.chance(0.5) ? rng.int(17) : rng.int(600);
  const out = rng.bytes(n);
  if (rng.chance(0.5)) for (let i = 0; i < n; i++) if (rng.chance(0.3)) out[i] = rng.pick(INTERESTING);
  return out;
}

/** A big-endian number of `width` bytes written over `bytes` at `at` (lengths, mostly). */
function writeNumber(/** @type {Uint8Array} */ bytes, /** @type {number} */ at, /** @type {number} */ width, /** @type {number} */ value) {
  for (let i = width - 1; i >= 0 && at + i >= 0; i--) {
    if (at + i < bytes.length) bytes[at + i] = value % 256;
    value = Math.floor(value / 256);
  }
}

/**
 * The mutations: each takes the stream and returns a new, broken one.
 * @type {Record<string, (rng: import('./rng.mjs').Rng, b: Uint8Array, ctx: { maxFrameSize: number, other: () => Uint8Array }) => Uint8Array>}
 */
const MUTATIONS = {
  flipBit: (rng, b) => { const c = b.slice(); if (c.length) c[rng.int(c.length)] ^= 1 << rng.int(8); return c; },
  setInteresting: (rng, b) => { const c = b.slice(); if (c.length) c[rng.int(c.length)] = rng.pick(INTERESTING); return c; },
  setRandom: (rng, b) => { const c = b.slice(); if (c.length) c[rng.int(c.length)] = rng.int(256); return c; },
  insert: (rng, b) => { const at = rng.int(b.length + 1); return concat([b.subarray(0, at), rng.bytes(rng.between(1, 8)), b.subarray(at)]); },
  remove: (rng, b) => { const at = rng.int(b.length); const n = rng.between(1, rng.chance(0.7) ? 4 : Math.max(1, b.length >> 1)); return concat([b.subarray(0, at), b.subarray(at + n)]); },
  truncate: (rng, b) => b.slice(0, rng.int(b.length + 1)),
  duplicate: (rng, b) => { const at = rng.int(b.length); const n = rng.between(1, 32); return concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]); },
  // A length field set to a boundary value: 0, the thresholds, around maxFrameSize, huge.
  number: (rng, b, ctx) => {
    const c = b.slice();
    const values = [0, 1, 125, 126, 127, 255, 256, 65535, 65536, ctx.maxFrameSize - 1, ctx.maxFrameSize, ctx.maxFrameSize + 1, 2 ** 31, 2 ** 32 - 1];
    writeNumber(c, rng.int(Math.min(c.length, 16)), rng.pick([1, 2, 4, 8]), rng.pick(values));
    return c;
  },
  // The start of one stream and the end of another: frames that end early or late.
  splice: (rng, b, ctx) => { const o = ctx.other(); return concat([b.subarray(0, rng.int(b.length + 1)), o.subarray(rng.int(o.length + 1))]); },
};
const NAMES = Object.keys(MUTATIONS);

/** 1 to 4 mutations of `bytes`, mostly near the start where the headers are. */
export function mutate(/** @type {import('./rng.mjs').Rng} */ rng, /** @type {Uint8Array} */ bytes, /** @type {{ maxFrameSize: number, other: () => Uint8Array }} */ ctx) {
  let out = bytes;
  for (let i = rng.between(1, 4); i > 0; i--) out = MUTATIONS[rng.pick(NAMES)](rng, out, ctx);
  return out;
}

// Past this maxFrameSize, inputs that long cost more than they find: the decoder has
// long since answered from the header (a declared length, checked against the limit).
const LONG_INPUT_LIMIT = 70000;

/**
 * About maxFrameSize bytes, then sometimes a valid stream: the size where a decoder must
 * stop asking for more (and a reader must give up), which streams of small frames rarely
 * reach. Runs of one byte or of text: no length field, no delimiter, what unbounded
 * scanning gets wrong.
 * @param {import('./rng.mjs').Rng} rng @param {number} maxFrameSize @param {MakeFrame} make
 */
export function longInput(rng, maxFrameSize, make) {
  const out = new Uint8Array(Math.max(0, maxFrameSize + rng.between(-2, 16)));
  if (rng.chance(0.3)) rng.fill(out);
  else if (rng.chance(0.5)) out.fill(rng.pick(INTERESTING));
  else for (let i = 0; i < out.length; i++) out[i] = ALNUM.charCodeAt(rng.int(ALNUM.length));
  return rng.chance(0.5) ? out : concat([out, validStream(rng, make).bytes]);
}

/**
 * One fuzz input: random bytes (20%), a valid stream (25%), a mutated one (52%) or about
 * maxFrameSize bytes (3%, for builders whose frames are at most LONG_INPUT_LIMIT bytes). The frames built for it come too, for the round-trip property.
 * @param {import('./rng.mjs').Rng} rng @param {MakeFrame} make @param {number} maxFrameSize
 * @returns {{ kind: 'random' | 'valid' | 'mutated' | 'long', bytes: Uint8Array, built: Built[] }}
 */
export function generateInput(rng, make, maxFrameSize) {
  const r = rng.next();
  if (r < 0.2) return { kind: 'random', bytes: randomBytes(rng), built: [] };
  if (r < 0.23 && maxFrameSize <= LONG_INPUT_LIMIT) return { kind: 'long', bytes: longInput(rng, maxFrameSize, make), built: [] };
  const stream = validStream(rng, make);
  if (r < 0.48) return { kind: 'valid', ...stream };
  const other = () => validStream(rng, make).bytes;
  return { kind: 'mutated', bytes: mutate(rng, stream.bytes, { maxFrameSize, other }), built: stream.built };
}
