// Property "reader": FrameReader gives the same frames and the same final error for
// every chunking of the input — whole, random pieces, one byte at a time, through
// decodeAt and through plain decode — and never holds more than maxFrameSize bytes.
import { FrameError, FrameErrorCode, FrameReader } from '@simple-stream/frames';
import { copy } from './bytes.mjs';
import { describeThrown, fail, PropertyFailure, snapDiff } from './checked.mjs';

// Past this many bytes, "one byte at a time" becomes "1 to 64 bytes at a time": a 64 KiB
// frame pushed byte by byte costs more than it finds.
const ONE_BYTE_LIMIT = 4096;

/** Chunk sizes that add up to `n`; `max` bounds each size, `empty` mixes in 0-byte chunks. */
function sizes(/** @type {import('./rng.mjs').Rng} */ rng, /** @type {number} */ n, /** @type {number} */ max, empty = false) {
  const out = [];
  for (let left = n; left > 0; ) {
    if (empty && rng.chance(0.1)) out.push(0);
    const s = Math.min(left, rng.between(1, Math.max(1, max)));
    out.push(s);
    left -= s;
  }
  return out;
}

/**
 * The chunkings tried for an input of `n` bytes, each with the builder view to use.
 * @param {import('./rng.mjs').Rng} rng @param {number} n @param {boolean} hasDecodeAt
 */
function chunkings(rng, n, hasDecodeAt) {
  return [
    { name: 'whole', sizes: [n], decodeAt: hasDecodeAt },
    { name: 'random', sizes: sizes(rng, n, rng.chance(0.5) ? 16 : Math.max(1, n >> 1), true), decodeAt: hasDecodeAt },
    { name: n <= ONE_BYTE_LIMIT ? 'bytes' : 'small', sizes: n <= ONE_BYTE_LIMIT ? new Array(n).fill(1) : sizes(rng, n, 64), decodeAt: hasDecodeAt },
    ...(hasDecodeAt ? [{ name: 'random via decode', sizes: sizes(rng, n, 32), decodeAt: false }] : []),
  ];
}

/**
 * Pushes `bytes` (a fresh copy) in chunks of `chunkSizes` through a new FrameReader.
 * @param {import('./checked.mjs').Checked} checked @param {Uint8Array} bytes
 * @param {number[]} chunkSizes @param {boolean} withDecodeAt @param {string} name
 */
function readAll(checked, bytes, chunkSizes, withDecodeAt, name) {
  const reader = new FrameReader(checked.forReader(withDecodeAt));
  const input = copy(bytes);
  const frames = [];
  /** @type {string | null} */
  let code = null;
  let at = 0;
  for (const size of chunkSizes) {
    const chunk = input.subarray(at, at + size);
    at += size;
    let got;
    const t0 = performance.now();
    try {
      got = reader.push(chunk);
    } catch (err) {
      if (err instanceof PropertyFailure) throw err;
      if (!(err instanceof FrameError)) fail('reader', `chunking "${name}": FrameReader.push threw ${describeThrown(err)}`);
      got = err.frames;
      code = err.code;
    }
    const ms = performance.now() - t0;
    if (ms > checked.hangMs) fail('no-hang', `chunking "${name}": a push of ${size} bytes took ${ms.toFixed(0)} ms`);
    // Snapshot now: frames may be views into memory the reader or later decodes reuse.
    for (const f of got) frames.push({ payload: copy(f.payload), byteLength: f.byteLength, wire: f.toBytes() });
    if (reader.retained > reader.maxFrameSize) fail('reader', `chunking "${name}": retained ${reader.retained} > maxFrameSize ${reader.maxFrameSize}`);
    if (reader.buffered > reader.retained) fail('reader', `chunking "${name}": buffered ${reader.buffered} > retained ${reader.retained}`);
    if (code !== null) break;
  }
  if (code !== null) {
    // After a FrameError the stream has lost its framing: the reader must keep failing.
    try {
      reader.push(Uint8Array.of(0));
      fail('reader', `chunking "${name}": push after FrameError ${code} did not throw`);
    } catch (err) {
      if (err instanceof PropertyFailure) throw err;
      if (!(err instanceof FrameError) || err.code !== code) fail('reader', `chunking "${name}": push after FrameError ${code} threw ${describeThrown(err)}`);
    }
  }
  return { frames, code, buffered: reader.buffered, maxFrameSize: reader.maxFrameSize };
}

/**
 * @param {import('./checked.mjs').Checked} checked @param {Uint8Array} bytes
 * @param {import('./decode-properties.mjs').Reference} ref @param {import('./rng.mjs').Rng} rng
 */
export function checkReader(checked, bytes, ref, rng) {
  const leftover = bytes.length - ref.consumed;
  for (const c of chunkings(rng, bytes.length, typeof checked.builder.decodeAt === 'function')) {
    const got = readAll(checked, bytes, c.sizes, c.decodeAt, c.name);
    // Bytes decode never completes that reach maxFrameSize are the reader's FRAME_TOO_LARGE.
    const code = ref.end.kind === 'error' ? ref.end.code : leftover >= got.maxFrameSize ? FrameErrorCode.FrameTooLarge : null;
    const where = `chunking "${c.name}" (${c.sizes.length} chunks)`;
    const n = Math.min(got.frames.length, ref.frames.length);
    for (let i = 0; i < n; i++) {
      const diff = snapDiff(got.frames[i], ref.frames[i].snap);
      if (diff !== null) fail('reader', `${where}: frame ${i} (offset ${ref.frames[i].at}) differs from decoding the whole input: ${diff}`);
    }
    if (got.frames.length !== ref.frames.length) {
      fail('reader', `${where}: ${got.frames.length} frames, decoding the whole input gives ${ref.frames.length}`);
    }
    if (got.code !== code) fail('reader', `${where}: ended with ${got.code ?? 'no error'}, expected ${code ?? 'no error'}`);
    if (code === null && got.buffered !== leftover) {
      fail('reader', `${where}: buffered ${got.buffered} at the end, expected ${leftover} (bytes after the last whole frame)`);
    }
  }
}
