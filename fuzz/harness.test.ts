// The harness itself, tested: bounded by iterations with fixed seeds (not by time), so the
// results are the same on every machine. Real builders must come out clean; the broken
// example must be caught, each of its bugs by the property meant to catch it.
import { describe, expect, it } from 'vitest';
import { FrameError } from '@simple-stream/frames';
import { loadBuilder, REAL_BUILDERS } from './builders.mjs';
import { BrokenLengthFramer } from './examples/broken-length-framer.mjs';
import { checkInput, fuzzBuilder } from './harness.mjs';

const ITERATIONS = 400;
const SEED = 20240601;

describe('fuzzBuilder on the real builders', () => {
  for (const name of REAL_BUILDERS) {
    it(`${name}: ${ITERATIONS} inputs, no failure`, async () => {
      const target = await loadBuilder(name);
      const result = fuzzBuilder(target.builder, { iterations: ITERATIONS, seed: SEED, frameFor: target.frameFor, peer: target.peer });
      expect(result.failures).toEqual([]);
      expect(result.iterations).toBe(ITERATIONS);
      // Every kind of input was generated, and far more decodes than inputs were made.
      expect(Math.min(result.kinds.valid, result.kinds.mutated, result.kinds.random)).toBeGreaterThan(0);
      expect(result.inputs).toBeGreaterThan(ITERATIONS * 20);
    });
  }
});

describe('fuzzBuilder on the deliberately broken framer', () => {
  const run = (bugs: ConstructorParameters<typeof BrokenLengthFramer>[0]) =>
    fuzzBuilder(new BrokenLengthFramer(bugs), { iterations: 200, seed: SEED });

  it('catches it with every bug on', () => {
    const [failure] = run(undefined).failures;
    expect(failure.property).toBe('decode-contract');
    expect(failure.inputHex.length).toBeGreaterThan(0);
  });

  it('catches the length one past the end of the buffer, shrunk to 1 byte', () => {
    const [failure] = run({ offByOne: true, fatalUtf8: false, cachedLength: false }).failures;
    expect(failure.property).toBe('decode-contract');
    expect(failure.message).toMatch(/returned a length of \d+ with \d+ bytes available/);
    expect(failure.inputHex).toBe('01'); // one byte declaring one byte of payload
    expect(failure.reproducible).toBe(true);
  });

  it('catches a TypeError thrown instead of a FrameError', () => {
    const [failure] = run({ offByOne: false, fatalUtf8: true, cachedLength: false }).failures;
    expect(failure.property).toBe('decode-contract');
    expect(failure.message).toMatch(/threw TypeError.*only FrameError may be thrown/);
  });

  it('catches the state kept between calls', () => {
    const [failure] = run({ offByOne: false, fatalUtf8: false, cachedLength: true }).failures;
    expect(failure.property).toBe('stateless');
    expect(failure.message).toMatch(/its first \d+ bytes gave a frame/);
  });

  it('finds nothing once the three bugs are fixed', () => {
    expect(run({ offByOne: false, fatalUtf8: false, cachedLength: false }).failures).toEqual([]);
  });

  it('reproduces a failure from its seed alone', () => {
    const first = run({ offByOne: true, fatalUtf8: false, cachedLength: false }).failures[0];
    const again = fuzzBuilder(new BrokenLengthFramer({ fatalUtf8: false, cachedLength: false }), { iterations: 1, seed: first.seed });
    expect(again.failures[0]?.property).toBe(first.property);
  });
});

// A user's own framing, written here: lines ending in "\n", as a chat protocol might use.
class Line {
  readonly byteLength: number;
  constructor(readonly payload: Uint8Array) {
    this.byteLength = payload.length + 1;
  }
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    out.set(this.payload);
    out[this.payload.length] = 0x0a;
    return out;
  }
}

class LineBuilder {
  readonly maxFrameSize = 512;
  build(payload: Uint8Array): Line {
    if (payload.includes(0x0a) || payload.length >= this.maxFrameSize) throw new RangeError('not a line');
    return new Line(payload);
  }
  decode(buf: Uint8Array): { frame: Line; length: number } | null {
    const end = buf.subarray(0, this.maxFrameSize).indexOf(0x0a);
    if (end >= 0) return { frame: new Line(buf.subarray(0, end)), length: end + 1 };
    if (buf.length >= this.maxFrameSize) throw new FrameError('LINE_TOO_LONG', 'no newline', this.maxFrameSize - 1);
    return null;
  }
}

describe("a user's own builder", () => {
  it('plugs in as it is, and comes out clean', () => {
    const result = fuzzBuilder(new LineBuilder(), { iterations: ITERATIONS, seed: SEED });
    expect(result.failures).toEqual([]);
  });

  it('is caught when it looks past maxFrameSize', () => {
    // The classic mistake: search the whole buffer, so a line may exceed maxFrameSize.
    class Unbounded extends LineBuilder {
      override decode(buf: Uint8Array) {
        const end = buf.indexOf(0x0a);
        return end < 0 ? null : { frame: new Line(buf.subarray(0, end)), length: end + 1 };
      }
    }
    const [failure] = fuzzBuilder(new Unbounded(), { iterations: 2000, seed: SEED }).failures;
    expect(failure?.property).toBe('decode-contract');
    expect(failure?.message).toMatch(/over maxFrameSize 512/);
  });

  it('checkInput checks one given input', () => {
    expect(checkInput(new LineBuilder(), new TextEncoder().encode('hello\nworld\npartial'))).toBeNull();
    const failure = checkInput(new BrokenLengthFramer({ fatalUtf8: false, cachedLength: false }), Uint8Array.of(1));
    expect(failure?.property).toBe('decode-contract');
  });
});
