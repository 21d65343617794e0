// Property "roundtrip": what the builder builds, it (or its peer) decodes back. Failures
// report the frame's wire bytes as the input, since the fuzzed stream is not the culprit.
import { copy, equalBytes, toHex } from './bytes.mjs';
import { describeOutcome, describeThrown, fail } from './checked.mjs';

/**
 * @param {import('./checked.mjs').Checked} checked
 * @param {import('./inputs.mjs').Built[]} built frames made for this input (by frameFor or build)
 * @param {{ peer?: import('@simple-stream/frames').FrameBuilder, usesBuild: boolean }} options
 *   `usesBuild`: the frames came from builder.build (no frameFor), so their payload must be
 *   the one given; `peer`: the builder that decodes what build() makes, when it is not the
 *   builder itself (a WebSocket server builds unmasked frames that only a client accepts).
 */
export function checkRoundtrip(checked, built, { peer, usesBuild }) {
  for (const { payload, frame, wire } of built) {
    if (wire.length !== frame.byteLength) fail('roundtrip', `toBytes() gave ${wire.length} bytes, byteLength is ${frame.byteLength}`, wire);
    if (usesBuild && !equalBytes(frame.payload, payload)) fail('roundtrip', `build(p).payload is not p`, wire);
    const o = checked.decode(copy(wire));
    if (o.kind !== 'frame' || o.length !== wire.length || !equalBytes(o.snap.payload, frame.payload)) {
      fail('roundtrip', `a valid frame of ${wire.length} bytes decoded as ${describeOutcome(o)}; expected its payload ${toHex(frame.payload, 24)}`, wire);
    }
  }
  // build() itself, when frames came from frameFor: one payload per input is enough.
  const first = built[0];
  if (usesBuild || first === undefined) return;
  let frame;
  try {
    frame = checked.builder.build(first.payload);
  } catch {
    return; // build may refuse payloads it cannot carry; frameFor's frame was accepted anyway
  }
  const wire = frame.toBytes();
  if (wire.length !== frame.byteLength) fail('roundtrip', `build(p).toBytes() gave ${wire.length} bytes, byteLength is ${frame.byteLength}`, wire);
  if (!equalBytes(frame.payload, first.payload)) fail('roundtrip', `build(p).payload is not p`, wire);
  if (peer === undefined) return;
  let decoded;
  try {
    decoded = peer.decode(copy(wire));
  } catch (err) {
    fail('roundtrip', `the peer builder could not decode build(p): ${describeThrown(err)}`, wire);
  }
  if (decoded === null || decoded.length !== wire.length || !equalBytes(decoded.frame.payload, first.payload)) {
    fail('roundtrip', `the peer builder decoded build(p) as ${decoded === null ? 'null' : `${decoded.length} bytes`}`, wire);
  }
}

/**
 * A decoded frame re-encodes (toBytes) to bytes that decode to the same payload: what a
 * proxy that decodes and forwards relies on.
 * @param {import('./checked.mjs').Checked} checked @param {import('./decode-properties.mjs').Reference} ref
 */
export function checkReencode(checked, ref) {
  const f = ref.frames[0];
  if (f === undefined) return;
  const o = checked.decode(copy(f.snap.wire));
  if (o.kind !== 'frame' || o.length !== f.snap.wire.length || !equalBytes(o.snap.payload, f.snap.payload)) {
    fail('roundtrip', `a decoded frame's toBytes() decoded as ${describeOutcome(o)}; expected payload ${toHex(f.snap.payload, 24)}`, f.snap.wire);
  }
}
