// The properties of decode itself on one input: the reference decoding, decodeAt's
// agreement with it, and statelessness (prefixes stay incomplete, trailing bytes change
// nothing). Every input is decoded from fresh copies: decoders may write into the buffer
// they are given (WebSocket unmasks in place), and the original must stay intact.
import { concat, copy } from './bytes.mjs';
import { describeOutcome, fail, snapDiff } from './checked.mjs';

/**
 * @typedef {import('./checked.mjs').Outcome} Outcome
 * @typedef {{ at: number, length: number, snap: import('./checked.mjs').FrameSnapshot }} RefFrame
 * @typedef {{ frames: RefFrame[], end: Outcome, consumed: number }} Reference
 */

/**
 * Decodes `bytes` frame after frame with plain decode, as a reader given the whole input
 * at once would: the answer the other ways of decoding must agree with.
 * @param {import('./checked.mjs').Checked} checked @param {Uint8Array} bytes @param {import('./rng.mjs').Rng} rng
 * @returns {Reference}
 */
export function reference(checked, bytes, rng) {
  // At a random alignment: masking code that reads words must cope with any byteOffset.
  const offset = rng.int(4);
  const work = new Uint8Array(bytes.length + 4).subarray(offset, offset + bytes.length);
  work.set(bytes);
  /** @type {RefFrame[]} */
  const frames = [];
  let at = 0;
  while (at < bytes.length) {
    const o = checked.decode(work.subarray(at));
    if (o.kind !== 'frame') return { frames, end: o, consumed: at };
    frames.push({ at, length: o.length, snap: o.snap });
    at += o.length;
  }
  return { frames, end: { kind: 'null' }, consumed: at };
}

/**
 * decodeAt(buf, start, end) must give what decode(buf.subarray(start, end)) gives. The
 * input sits between random bytes, so reading outside [start, end) shows up as a difference.
 * @param {import('./checked.mjs').Checked} checked @param {Uint8Array} bytes
 * @param {Reference} ref @param {import('./rng.mjs').Rng} rng
 */
export function checkDecodeAt(checked, bytes, ref, rng) {
  if (typeof checked.builder.decodeAt !== 'function') return;
  const before = rng.int(9);
  const big = concat([rng.bytes(before), bytes, rng.bytes(rng.int(9))]);
  const end = before + bytes.length;
  for (const f of ref.frames) {
    const o = checked.decodeAt(big, before + f.at, end);
    const diff = o.kind === 'frame' ? snapDiff(o.snap, f.snap) : describeOutcome(o);
    if (diff !== null) {
      fail('decodeAt-agrees', `at offset ${f.at}: decode gave ${describeOutcome({ kind: 'frame', frame: null, length: f.length, snap: f.snap })}, decodeAt differs: ${diff}`);
    }
  }
  if (ref.consumed === bytes.length) return;
  const o = checked.decodeAt(big, before + ref.consumed, end);
  if (o.kind !== ref.end.kind || (o.kind === 'error' && ref.end.kind === 'error' && o.code !== ref.end.code)) {
    fail('decodeAt-agrees', `at offset ${ref.consumed}: decode gave ${describeOutcome(ref.end)}, decodeAt gave ${describeOutcome(o)}`);
  }
}

/** Prefix lengths worth trying for a frame of `n` bytes: all short ones, the last, some random. */
function prefixLengths(/** @type {import('./rng.mjs').Rng} */ rng, /** @type {number} */ n) {
  const set = new Set();
  for (let k = 0; k < Math.min(n, 16); k++) set.add(k);
  if (n > 0) set.add(n - 1);
  for (let i = 0; i < 6; i++) set.add(rng.int(n));
  return [...set];
}

/**
 * Builders are stateless: a prefix of a frame is incomplete (null), whatever was decoded
 * before; a frame decodes the same with nothing, or anything, after it; and a prefix of
 * bytes that fail gives null or the same FrameError code (else the error a stream ends
 * with would depend on how it was chunked).
 * @param {import('./checked.mjs').Checked} checked @param {Uint8Array} bytes
 * @param {Reference} ref @param {import('./rng.mjs').Rng} rng
 */
export function checkStateless(checked, bytes, ref, rng) {
  for (const f of ref.frames.slice(0, 4)) {
    for (const k of prefixLengths(rng, f.length)) {
      const o = checked.decode(bytes.slice(f.at, f.at + k));
      if (o.kind !== 'null') {
        fail('stateless', `the frame at offset ${f.at} needs ${f.length} bytes, but its first ${k} bytes gave ${describeOutcome(o)} instead of null`);
      }
    }
    const exact = bytes.subarray(f.at, f.at + f.length);
    for (const [how, buf] of [['alone', copy(exact)], ['followed by other bytes', concat([exact, rng.bytes(rng.between(1, 16))])]]) {
      const o = checked.decode(/** @type {Uint8Array} */ (buf));
      const diff = o.kind === 'frame' ? snapDiff(o.snap, f.snap) : describeOutcome(o);
      if (diff !== null) fail('stateless', `the frame at offset ${f.at} (${f.length} bytes) decoded ${how} differs: ${diff}`);
    }
  }
  const rest = bytes.length - ref.consumed;
  if (rest === 0) return;
  const end = ref.end;
  for (const k of prefixLengths(rng, rest)) {
    const o = checked.decode(bytes.slice(ref.consumed, ref.consumed + k));
    const ok = o.kind === 'null' || (o.kind === 'error' && end.kind === 'error' && o.code === end.code);
    if (!ok) {
      fail('stateless', `the ${rest} bytes at offset ${ref.consumed} gave ${describeOutcome(end)}, but their first ${k} bytes gave ${describeOutcome(o)}`);
    }
  }
}
