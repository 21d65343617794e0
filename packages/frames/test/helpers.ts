import fc from 'fast-check';

/** Splits `bytes` at the given cut points (sorted, deduplicated) into chunks. */
export function chunkAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) chunks.push(bytes.slice(from, p));
    from = Math.max(from, p);
  }
  if (from < bytes.length) chunks.push(bytes.slice(from));
  return chunks;
}

export { concat } from '../../../fuzz/bytes.mjs';

/** Chunkings of a stream: arbitrary cut points, or every byte on its own. */
export const chunking = fc.oneof(
  fc.array(fc.nat(), { maxLength: 40 }).map((cuts) => ({ kind: 'cuts' as const, cuts })),
  fc.constant({ kind: 'bytes' as const, cuts: [] as number[] }),
);

/** Applies a chunking to a stream. */
export function split(bytes: Uint8Array, how: { kind: 'cuts' | 'bytes'; cuts: number[] }): Uint8Array[] {
  if (how.kind === 'bytes') return Array.from(bytes, (b) => Uint8Array.of(b));
  return chunkAt(bytes, how.cuts);
}

/** Payload sizes that cross the framings' length thresholds. */
export const payload = fc.oneof(
  { weight: 12, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 65530, max: 65540 }).map((n) => new Uint8Array(n).fill(n & 0xff)) },
);

/** Payloads a Simple frame can carry (at most 65,535 bytes). */
export const simplePayload = payload.map((p) => p.subarray(0, 65535));

/** True when both lists hold the same byte sequences (fast for large arrays). */
export function sameBytes(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.from(x.buffer, x.byteOffset, x.length).equals(b[i]));
}
