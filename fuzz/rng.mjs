// A small seeded PRNG. Every random choice the harness makes (inputs, mutations, chunk
// sizes, padding bytes) comes from one of these, seeded from the input's own seed, so a
// failure reported with a seed is reproduced exactly by running again with that seed.

/** mulberry32: 32 bits of state, fast, and good enough to drive a fuzzer. */
export class Rng {
  /** @param {number} seed any number; only its low 32 bits are used */
  constructor(seed) {
    this.state = seed >>> 0;
  }

  /** @returns {number} a uniform u32 */
  u32() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** @returns {number} a uniform float in [0, 1) */
  next() {
    return this.u32() / 0x100000000;
  }

  /** @param {number} n @returns {number} an integer in [0, n) (0 when n ≤ 0) */
  int(n) {
    return n <= 0 ? 0 : Math.floor(this.next() * n);
  }

  /** @param {number} lo @param {number} hi @returns {number} an integer in [lo, hi] */
  between(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  /** @param {number} p @returns {boolean} true with probability p */
  chance(p) {
    return this.next() < p;
  }

  /** @template T @param {readonly T[]} items @returns {T} */
  pick(items) {
    return items[this.int(items.length)];
  }

  /** Fills `buf` with random bytes, one u32 per 4 bytes (big payloads stay cheap). */
  fill(/** @type {Uint8Array} */ buf) {
    let i = 0;
    for (; i + 4 <= buf.length; i += 4) {
      const v = this.u32();
      buf[i] = v;
      buf[i + 1] = v >>> 8;
      buf[i + 2] = v >>> 16;
      buf[i + 3] = v >>> 24;
    }
    for (; i < buf.length; i++) buf[i] = this.u32();
    return buf;
  }

  /** @param {number} n @returns {Uint8Array} n random bytes */
  bytes(n) {
    return this.fill(new Uint8Array(n));
  }
}

/**
 * The seed of the input after the one seeded `seed`. Inputs are seeded in a chain
 * (s, next(s), next(next(s)), ...) so that `--seed s` makes the failing input the first
 * one generated: no need to replay the inputs that came before it.
 */
export function nextSeed(/** @type {number} */ seed) {
  let z = (seed + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A fresh seed for runs that were not given one (it is printed, so runs can be repeated). */
export function randomSeed() {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0];
}
