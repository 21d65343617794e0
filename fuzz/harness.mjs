// The fuzz harness: fuzzBuilder(builder, options) checks any FrameBuilder against the
// contract in packages/frames/src/frame.ts. See README.md for the properties.
import { toHex } from './bytes.mjs';
import { Checked, describeThrown, PropertyFailure } from './checked.mjs';
import { checkDecodeAt, checkStateless, reference } from './decode-properties.mjs';
import { generateInput } from './inputs.mjs';
import { checkReader } from './reader-property.mjs';
import { checkReencode, checkRoundtrip } from './roundtrip.mjs';
import { nextSeed, randomSeed, Rng } from './rng.mjs';
import { shrink } from './shrink.mjs';

/**
 * @typedef {{ property: string, message: string, seed: number, inputHex: string,
 *   originalLength: number, reproducible: boolean }} Failure
 * `seed`: `fuzzBuilder(builder, { seed, iterations: 1 })` generates the failing input again;
 * `inputHex`: the (shrunk) bytes that fail; `reproducible`: they fail on their own, with
 * checkInput, so the failure does not depend on calls made before (a stateful builder).
 * @typedef {{ iterations: number, inputs: number, elapsedMs: number, seed: number,
 *   kinds: { valid: number, mutated: number, random: number, long: number }, failures: Failure[] }} FuzzResult
 * `iterations`: inputs generated and checked; `inputs`: byte buffers the builder was asked to
 * decode (prefixes, chunks and round trips included: each decode/decodeAt call counts).
 * @typedef {{ seconds?: number, iterations?: number, seed?: number,
 *   frameFor?: import('./inputs.mjs').MakeFrame, peer?: import('@simple-stream/frames').FrameBuilder,
 *   hangMs?: number, shrink?: boolean,
 *   onProgress?: (p: { iterations: number, inputs: number, elapsedMs: number }) => void,
 *   onInput?: (bytes: Uint8Array, seed: number) => void }} FuzzOptions
 * `frameFor(payload, rng)`: a valid wire frame for the builder to decode (default: build);
 * `hangMs`: a single decode slower than this is a failure (default 1000); `onInput`: called
 * before each input is checked (the CLI's watchdog keeps the input in case it hangs).
 */

// Seeds the checks' own random choices (chunk sizes, padding) apart from generation.
const CHECK_SALT = 0x5bd1e995;

/**
 * The byte properties of one input. Throws PropertyFailure when one fails.
 * @param {Checked} checked @param {Uint8Array} bytes @param {number} seed
 */
function checkBytes(checked, bytes, seed) {
  const rng = new Rng(seed ^ CHECK_SALT);
  const ref = reference(checked, bytes, rng);
  checkDecodeAt(checked, bytes, ref, rng);
  checkStateless(checked, bytes, ref, rng);
  checkReader(checked, bytes, ref, rng);
  checkReencode(checked, ref);
}

/** Anything but a PropertyFailure escaping the checks is reported, not thrown. */
function asFailure(/** @type {unknown} */ err) {
  if (err instanceof PropertyFailure) return err;
  return new PropertyFailure('harness', `unexpected ${describeThrown(err)} while checking (a harness bug, or a builder that breaks in an unexpected way)`);
}

/**
 * Checks one given input (a saved crash, a shrink candidate) against the byte properties.
 * @param {import('@simple-stream/frames').FrameBuilder} builder @param {Uint8Array} bytes
 * @param {{ seed?: number, hangMs?: number }} [options]
 * @returns {PropertyFailure | null}
 */
export function checkInput(builder, bytes, { seed = 0, hangMs } = {}) {
  try {
    checkBytes(new Checked(builder, { hangMs }), bytes, seed);
    return null;
  } catch (err) {
    return asFailure(err);
  }
}

/** A builder must at least look like one, or nothing else can be checked. */
function shapeProblem(/** @type {any} */ b) {
  if (b === null || typeof b !== 'object') return `the builder is ${b === null ? 'null' : typeof b}, not an object`;
  if (typeof b.decode !== 'function' || typeof b.build !== 'function') return 'the builder needs decode() and build() methods';
  if (!Number.isSafeInteger(b.maxFrameSize) || b.maxFrameSize < 1) return `maxFrameSize must be a positive safe integer, got ${b.maxFrameSize}`;
  return null;
}

/**
 * Fuzzes `builder` for `seconds` or `iterations` (whichever ends first; 1000 iterations
 * when neither is given), stopping at the first failure.
 * @param {import('@simple-stream/frames').FrameBuilder} builder @param {FuzzOptions} [options]
 * @returns {FuzzResult}
 */
export function fuzzBuilder(builder, options = {}) {
  const { seconds, frameFor, peer, hangMs = 1000, onProgress, onInput } = options;
  const seed = (options.seed ?? randomSeed()) >>> 0;
  const maxIterations = options.iterations ?? (seconds === undefined ? 1000 : Infinity);
  const start = performance.now();
  const deadline = seconds === undefined ? Infinity : start + seconds * 1000;
  const result = { iterations: 0, inputs: 0, elapsedMs: 0, seed, kinds: { valid: 0, mutated: 0, random: 0, long: 0 }, failures: /** @type {Failure[]} */ ([]) };
  const problem = shapeProblem(builder);
  if (problem !== null) {
    result.failures.push({ property: 'shape', message: problem, seed, inputHex: '', originalLength: 0, reproducible: true });
    return result;
  }
  const checked = new Checked(builder, { hangMs });
  const make = frameFor ?? ((/** @type {Uint8Array} */ p) => builder.build(p));
  let nextProgress = start + 250;
  for (let s = seed; result.iterations < maxIterations; s = nextSeed(s)) {
    const now = performance.now();
    if (now >= deadline) break;
    if (onProgress !== undefined && now >= nextProgress) {
      nextProgress = now + 250;
      onProgress({ iterations: result.iterations, inputs: checked.calls, elapsedMs: now - start });
    }
    result.iterations++;
    /** @type {Uint8Array} */
    let bytes = new Uint8Array(0);
    try {
      const input = generateInput(new Rng(s), make, builder.maxFrameSize);
      bytes = input.bytes;
      result.kinds[input.kind]++;
      onInput?.(bytes, s);
      checkRoundtrip(checked, input.built, { peer, usesBuild: frameFor === undefined });
      checkBytes(checked, bytes, s);
    } catch (err) {
      result.failures.push(report(builder, asFailure(err), bytes, s, { hangMs, shrink: options.shrink ?? true, onInput }));
      break;
    }
  }
  result.inputs = checked.calls;
  result.elapsedMs = performance.now() - start;
  return result;
}

/**
 * Turns a failure into its report, shrinking the input when the failure reproduces on its
 * own (a hang is not shrunk: each try would take the full time limit).
 * @param {import('@simple-stream/frames').FrameBuilder} builder @param {PropertyFailure} failure
 * @param {Uint8Array} bytes @param {number} seed
 * @param {{ hangMs: number, shrink: boolean, onInput?: (b: Uint8Array, s: number) => void }} options
 * @returns {Failure}
 */
function report(builder, failure, bytes, seed, { hangMs, shrink: wantShrink, onInput }) {
  const input = failure.input ?? bytes;
  const recheck = (/** @type {Uint8Array} */ candidate) => {
    onInput?.(candidate, seed);
    return checkInput(builder, candidate, { seed, hangMs });
  };
  const same = (/** @type {Uint8Array} */ candidate) => recheck(candidate)?.property === failure.property;
  if (failure.property === 'no-hang' || failure.input !== undefined) {
    // A round-trip failure's input is a frame, not the stream: report it as it is (the
    // seed reproduces it). A hang is not rechecked: that would take the time limit again.
    return { property: failure.property, message: failure.message, seed, inputHex: toHex(input), originalLength: input.length, reproducible: true };
  }
  const reproducible = same(input);
  const smallest = reproducible && wantShrink ? shrink(input, same) : input;
  // The message that goes with the bytes shown.
  const message = smallest === input ? failure.message : (recheck(smallest)?.message ?? failure.message);
  return { property: failure.property, message, seed, inputHex: toHex(smallest), originalLength: input.length, reproducible };
}
