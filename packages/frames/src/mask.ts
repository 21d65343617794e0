// RFC 6455 section 5.3 masking. A mask key is held as a u32 whose most significant byte is
// the key's first byte on the wire, so keys travel without allocating arrays.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// Below this many bytes a byte loop beats setting up the word loop.
const WORD_THRESHOLD = 64;

/** A native masking function: XORs buf[start..end) with `key` (first key byte at start). */
export type MaskImplementation = (buf: Uint8Array, start: number, end: number, key: number) => void;

let nativeMask: MaskImplementation | null = null;
let nativeThreshold = Infinity;

/**
 * Lets a native addon take over masking of payloads of at least `threshold` bytes. The
 * package stays pure TypeScript; @simple-stream/epoll-server installs its own when loaded.
 * Pass null to go back to JavaScript.
 */
export function useNativeMask(mask: MaskImplementation | null, threshold = 256): void {
  nativeMask = mask;
  nativeThreshold = mask === null ? Infinity : threshold;
}

/** The key rotated left by `phase` bytes, so that its top byte masks the next byte. */
function rotate(key: number, phase: number): number {
  return phase === 0 ? key : ((key << (phase * 8)) | (key >>> (32 - phase * 8))) >>> 0;
}

// One Int32Array over the last ArrayBuffer masked: chunks of a stream share a buffer, and
// a view costs about 30 ns, more than masking a small payload.
let wordsBuffer: ArrayBufferLike | null = null;
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);

function wordsOf(buffer: ArrayBufferLike): Int32Array {
  if (buffer !== wordsBuffer) {
    words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    wordsBuffer = buffer;
  }
  return words;
}

/**
 * XORs `buf[start..end)` in place with the mask `key`, the key's first byte applied at
 * `start`. Masking and unmasking are the same operation.
 */
export function applyMask(buf: Uint8Array, start: number, end: number, key: number): void {
  const n = end - start;
  if (n >= nativeThreshold) {
    nativeMask!(buf, start, end, key);
    return;
  }
  if (n < WORD_THRESHOLD || !LITTLE_ENDIAN) {
    maskBytes(buf, start, end, key);
    return;
  }
  // Bytes up to a 4-byte aligned address, then whole 32-bit words, then the tail.
  const base = buf.byteOffset;
  const head = (4 - ((base + start) & 3)) & 3;
  const i = maskBytes(buf, start, start + head, key);
  const k = rotate(key, head);
  // Little-endian: the first byte of a word is its least significant. Kept an int32.
  const word = (k >>> 24) | ((k >>> 8) & 0xff00) | ((k << 8) & 0xff0000) | (k << 24);
  const a = wordsOf(buf.buffer);
  let w = (base + i) >>> 2;
  const wEnd = (base + end) >>> 2;
  for (const w8 = wEnd - 7; w < w8; w += 8) {
    a[w] ^= word;
    a[w + 1] ^= word;
    a[w + 2] ^= word;
    a[w + 3] ^= word;
    a[w + 4] ^= word;
    a[w + 5] ^= word;
    a[w + 6] ^= word;
    a[w + 7] ^= word;
  }
  for (; w < wEnd; w++) a[w] ^= word;
  const tail = (w << 2) - base;
  maskBytes(buf, tail, end, rotate(key, (tail - start) & 3));
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
