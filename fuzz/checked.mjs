// Every call into the builder under test goes through a Checked wrapper. That way the
// decode contract (property "decode-contract") and the time limit ("no-hang") are checked
// on every call, whichever property made it — including the calls FrameReader makes.
import { FrameError } from '@simple-stream/frames';
import { copy, equalBytes, toHex } from './bytes.mjs';

/** A broken property: what the harness throws, and reports, when the builder misbehaves. */
export class PropertyFailure extends Error {
  /**
   * @param {string} property which property failed (see README.md)
   * @param {string} message what was expected and what happened
   * @param {Uint8Array} [input] the bytes to report, when they are not the fuzzed stream
   */
  constructor(property, message, input) {
    super(message);
    this.name = 'PropertyFailure';
    this.property = property;
    this.input = input;
  }
}

/**
 * Throws the PropertyFailure for `property`.
 * @param {string} property @param {string} message @param {Uint8Array} [input]
 * @returns {never}
 */
export function fail(property, message, input) {
  throw new PropertyFailure(property, message, input);
}

/** A thrown value in one line, with where it was thrown when it is an Error. */
export function describeThrown(/** @type {unknown} */ err) {
  if (!(err instanceof Error)) return `a non-Error (${typeof err}: ${String(err)})`;
  // The first frame outside Node's internals: where the builder threw, or called what threw.
  const at = err.stack?.split('\n').find((l) => l.trim().startsWith('at ') && !l.includes('node:internal'))?.trim();
  const hint = err.name === 'FrameError' ? ' (a FrameError from another copy of @simple-stream/frames?)' : '';
  return `${err.name}: ${err.message}${hint}${at ? ` [${at}]` : ''}`;
}

/** @typedef {{ payload: Uint8Array, byteLength: number, wire: Uint8Array }} FrameSnapshot */
/**
 * What one decode gave, reduced to what the properties compare.
 * @typedef {{ kind: 'null' } | { kind: 'frame', frame: any, length: number, snap: FrameSnapshot }
 *   | { kind: 'error', error: FrameError, code: string }} Outcome
 */

/** @param {Outcome} o */
export function describeOutcome(o) {
  if (o.kind === 'null') return 'null';
  if (o.kind === 'error') return `FrameError ${o.code}`;
  return `a frame of ${o.length} bytes (payload ${toHex(o.snap.payload, 24)})`;
}

/** @param {FrameSnapshot} a @param {FrameSnapshot} b @returns {string | null} how they differ */
export function snapDiff(a, b) {
  if (a.byteLength !== b.byteLength) return `byteLength ${a.byteLength} vs ${b.byteLength}`;
  if (!equalBytes(a.payload, b.payload)) return `payload ${toHex(a.payload, 32)} vs ${toHex(b.payload, 32)}`;
  if (!equalBytes(a.wire, b.wire)) return `toBytes() ${toHex(a.wire, 32)} vs ${toHex(b.wire, 32)}`;
  return null;
}

const NULL = /** @type {Outcome} */ ({ kind: 'null' });

export class Checked {
  /** @param {import('@simple-stream/frames').FrameBuilder} builder @param {{ hangMs?: number }} [options] */
  constructor(builder, { hangMs = 1000 } = {}) {
    this.builder = builder;
    this.hangMs = hangMs;
    this.maxFrameSize = builder.maxFrameSize;
    /** Calls made into decode/decodeAt: the `inputs` figure of a run. */
    this.calls = 0;
  }

  /** @param {Uint8Array} buf @returns {Outcome} */
  decode(buf) {
    const out = this.#call('decode', buf.length, () => this.builder.decode(buf));
    if (out.threw) return this.#error('decode', out.value, buf.length);
    const r = out.value;
    if (r === null) return NULL;
    if (typeof r !== 'object' || r === undefined) {
      fail('decode-contract', `decode returned ${String(r)}; expected null or { frame, length }`);
    }
    return { kind: 'frame', frame: r.frame, length: r.length, snap: this.#frame('decode', r.frame, r.length, buf.length) };
  }

  /** @param {Uint8Array} buf @param {number} start @param {number} end @returns {Outcome} */
  decodeAt(buf, start, end) {
    const builder = /** @type {Required<typeof this.builder>} */ (this.builder);
    const out = this.#call('decodeAt', end - start, () => builder.decodeAt(buf, start, end));
    if (out.threw) return this.#error('decodeAt', out.value, end - start);
    const f = out.value;
    if (f === null) return NULL;
    if (typeof f !== 'object' || f === undefined) fail('decode-contract', `decodeAt returned ${String(f)}; expected null or a frame`);
    return { kind: 'frame', frame: f, length: f.byteLength, snap: this.#frame('decodeAt', f, f.byteLength, end - start) };
  }

  /**
   * The builder as FrameReader should see it, its calls checked. `withDecodeAt: false`
   * hides decodeAt so the reader's generic path (plain decode) is exercised too.
   */
  forReader(withDecodeAt = true) {
    const b = this.builder;
    /** @type {import('@simple-stream/frames').FrameBuilder} */
    const view = {
      maxFrameSize: b.maxFrameSize,
      build: (p) => b.build(p),
      decode: (buf) => {
        const o = this.decode(buf);
        if (o.kind === 'error') throw o.error;
        return o.kind === 'null' ? null : { frame: o.frame, length: o.length };
      },
    };
    if (withDecodeAt && typeof b.decodeAt === 'function') {
      view.decodeAt = (buf, start, end) => {
        const o = this.decodeAt(buf, start, end);
        if (o.kind === 'error') throw o.error;
        return o.kind === 'null' ? null : o.frame;
      };
    }
    return view;
  }

  /** Runs one builder call, timed: a call over `hangMs` is a failure even if it returned. */
  #call(/** @type {string} */ what, /** @type {number} */ size, /** @type {() => any} */ fn) {
    this.calls++;
    const t0 = performance.now();
    let threw = false;
    let value;
    try {
      value = fn();
    } catch (err) {
      threw = true;
      value = err;
    }
    const ms = performance.now() - t0;
    if (ms > this.hangMs) fail('no-hang', `${what} of ${size} bytes took ${ms.toFixed(0)} ms (limit ${this.hangMs} ms)`);
    return { threw, value };
  }

  /** Only FrameError may be thrown, with a string code and the offset of a byte it saw. */
  #error(/** @type {string} */ what, /** @type {unknown} */ err, /** @type {number} */ available) {
    if (!(err instanceof FrameError)) {
      fail('decode-contract', `${what} threw ${describeThrown(err)}; only FrameError may be thrown`);
    }
    if (typeof err.code !== 'string' || err.code === '') fail('decode-contract', `${what} threw a FrameError whose code is ${String(err.code)}`);
    if (!Number.isInteger(err.offset) || err.offset < 0 || err.offset >= available) {
      fail('decode-contract', `${what} threw FrameError ${err.code} at offset ${err.offset}, outside the ${available} bytes it was given`);
    }
    return /** @type {Outcome} */ ({ kind: 'error', error: err, code: err.code });
  }

  /** Checks one decoded frame and snapshots it (payload copied before anything reuses it). */
  #frame(/** @type {string} */ what, /** @type {any} */ frame, /** @type {number} */ length, /** @type {number} */ available) {
    const bad = (/** @type {string} */ m) => fail('decode-contract', `${what}: ${m}`);
    if (frame === null || typeof frame !== 'object') bad(`the frame is ${String(frame)}`);
    if (!Number.isInteger(length) || length < 1 || length > available) {
      bad(`returned a length of ${length} with ${available} bytes available (must be an integer from 1 to ${available})`);
    }
    if (frame.byteLength !== length) bad(`frame.byteLength is ${frame.byteLength} but the length returned is ${length}`);
    if (length > this.maxFrameSize) bad(`a frame of ${length} bytes is over maxFrameSize ${this.maxFrameSize}`);
    if (!(frame.payload instanceof Uint8Array)) bad(`frame.payload is not a Uint8Array`);
    let wire;
    try {
      wire = frame.toBytes();
    } catch (err) {
      bad(`frame.toBytes() threw ${describeThrown(err)}`);
    }
    if (!(wire instanceof Uint8Array) || wire.length !== length) bad(`frame.toBytes() gave ${wire?.length} bytes, byteLength is ${length}`);
    if (typeof frame.encodeInto === 'function') {
      const target = new Uint8Array(length + 6);
      let n;
      try {
        n = frame.encodeInto(target, 3);
      } catch (err) {
        bad(`frame.encodeInto() threw ${describeThrown(err)}`);
      }
      if (n !== length || !equalBytes(target.subarray(3, 3 + length), wire)) bad(`frame.encodeInto() disagrees with toBytes()`);
    }
    return { payload: copy(frame.payload), byteLength: length, wire };
  }
}
