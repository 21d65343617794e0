/**
 * The native permessage-deflate engine (zlib from the node binary): the loader, a precise
 * type for the addon, and the per-thread arrays every call reports into.
 *
 * Why native rather than node:zlib, measured on Node 20: the public synchronous functions
 * (`deflateRawSync`…) build a fresh zlib stream per call, so they cannot keep the window
 * between messages (context takeover), and even without takeover they cost 9.6 µs to
 * deflate and 3.8 µs to inflate a 32-byte message against 3.3 and 0.3 µs here (1 KiB:
 * 21 / 9.2 µs against 14 / 4.4). The stream classes keep the window but are
 * asynchronous, a thread-pool round trip per message (what `ws` pays, see
 * bench/deflate.mjs), and their synchronous `_processChunk`, which `zlibBufferSync` uses,
 * is internal and closes the stream after one call. The addon keeps one z_stream per
 * direction, caps inflate output while it is produced (a bomb stops at maxMessage), and
 * costs one N-API call per message and no JS allocation but the result.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Live native objects and bytes, as `stats()` reports them. */
export interface DeflateNativeStats {
  inflaters: number;
  deflaters: number;
  /** Native bytes held: zlib state and message buffers. */
  heldBytes: number;
  /** The most `heldBytes` since the last `stats(true)`. */
  peakHeldBytes: number;
}

/** The addon's exports. */
export interface DeflateBinding {
  /** Registers the arrays every call reports into (done once per thread by this module). */
  init(state: Int32Array, out: Uint8Array): void;
  /** @returns an inflater id. zlib state is allocated at the first inflate. */
  inflaterCreate(windowBits: number, maxMessage: number, noContextTakeover: boolean): number;
  /** Idempotent. */
  inflaterFree(inflater: number): void;
  /**
   * Inflates `input[offset, offset+length)`, one fragment of a message; on `fin` appends
   * 00 00 ff ff and ends the message. @returns the message's length so far, or an E_*
   * code. On fin the message is in `out[0..n)`, or, if `state[S_SPILLED]`, waits for
   * `inflateTake`.
   */
  inflate(inflater: number, input: Uint8Array, offset: number, length: number, fin: boolean): number;
  /** Copies a spilled message into `dest` (exactly its length). */
  inflateTake(inflater: number, dest: Uint8Array): void;
  /** zlib's text for the inflater's failure, or null. */
  inflateReason(inflater: number): string | null;
  /** @returns a deflater id. `windowBits` 8 deflates with 9 (see native/deflate.c). */
  deflaterCreate(level: number, memLevel: number, windowBits: number, noContextTakeover: boolean): number;
  /** Idempotent. */
  deflaterFree(deflater: number): void;
  /**
   * Compresses a whole message up to a sync flush, without the trailing 00 00 ff ff.
   * @returns the payload's length, or an E_* code; the payload is in `out[0..n)` or, if
   * `state[S_SPILLED]`, waits for `deflateTake`.
   */
  deflate(deflater: number, input: Uint8Array, offset: number, length: number): number;
  /** Copies a spilled payload into `dest` (exactly its length). */
  deflateTake(dest: Uint8Array): void;
  stats(resetPeak?: boolean): DeflateNativeStats;
  readonly constants: {
    readonly S_SPILLED: number;
    readonly S_SIZE: number;
    readonly E_TOO_BIG: number;
    readonly E_DATA: number;
    readonly E_MEMORY: number;
    readonly E_UNFINISHED: number;
    readonly OUT_MIN: number;
  };
}

// src/ (tests run the TypeScript) and dist/ (built) are both one level below the root.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as (dir: string) => unknown;

/** The addon, loaded once per thread. */
export const native: DeflateBinding = nodeGypBuild(packageRoot) as DeflateBinding;

/** State slots and result codes (from the C header, never retyped). */
export const C = native.constants;

/** Per-thread report slots: `state[C.S_SPILLED]`. */
export const state = new Int32Array(C.S_SIZE);

/**
 * Per-thread output: each call writes its result at offset 0 and the caller copies it
 * out before the next call. 256 KiB: a 64 KiB message inflates or deflates in place.
 */
export const out = new Uint8Array(256 * 1024);
native.init(state, out);

/** Live native permessage-deflate objects and bytes of this thread (leak checks). */
export function deflateStats(resetPeak = false): DeflateNativeStats {
  return native.stats(resetPeak);
}
