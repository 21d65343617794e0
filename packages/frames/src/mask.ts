// RFC 6455 section 5.3 masking. A mask key is held as a u32 whose most significant byte is
// the key's first byte on the wire, so keys travel without allocating arrays.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// Below this many bytes a byte loop beats making a Uint32Array view (about 30 ns).
const WORD_THRESHOLD = 64;

/** The key rotated left by `phase` bytes, so that its top byte masks the next byte. */
function rotate(key: number, phase: number): number {
  return phase === 0 ? key : ((key << (phase * 8)) | (key >>> (32 - phase * 8))) >>> 0;
}

/**
 * XORs `buf[start..end)` in place with the mask `key`, the key's first byte applied at
 * `start`. Masking and unmasking are the same operation.
 */
export function applyMask(buf: Uint8Array, start: number, end: number, key: number): void {
  let i = start;
  if (end - start >= WORD_THRESHOLD && LITTLE_ENDIAN) {
    // Bytes up to a 4-byte aligned address, then whole 32-bit words, then the tail.
    const head = (4 - ((buf.byteOffset + i) & 3)) & 3;
    i = maskBytes(buf, i, i + head, key);
    const words = (end - i) >>> 2;
    const k = rotate(key, (i - start) & 3);
    // On a little-endian machine the first byte of a word is its least significant.
    const word = ((k >>> 24) | ((k >>> 8) & 0xff00) | ((k << 8) & 0xff0000) | (k << 24)) >>> 0;
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) u32[w] ^= word;
    i += words * 4;
  }
  maskBytes(buf, i, end, rotate(key, (i - start) & 3));
}

/** Byte-wise masking of `buf[i..end)` with `key`'s first byte at `i`; returns `end`. */
function maskBytes(buf: Uint8Array, i: number, end: number, key: number): number {
  const k0 = key >>> 24;
  const k1 = (key >>> 16) & 0xff;
  const k2 = (key >>> 8) & 0xff;
  const k3 = key & 0xff;
  for (; i + 4 <= end; i += 4) {
    buf[i] ^= k0;
    buf[i + 1] ^= k1;
    buf[i + 2] ^= k2;
    buf[i + 3] ^= k3;
  }
  if (i < end) buf[i++] ^= k0;
  if (i < end) buf[i++] ^= k1;
  if (i < end) buf[i++] ^= k2;
  return end;
}

// Random keys come from a pool, refilled 256 keys at a time: one call into the CSPRNG
// per 256 frames instead of one per frame.
const pool = new Uint32Array(256);
let poolIndex = pool.length;

/** A fresh, unpredictable mask key (RFC 6455 section 5.3), from the platform's CSPRNG. */
export function randomMaskKey(): number {
  if (poolIndex === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolIndex = 0;
  }
  return pool[poolIndex++];
}
