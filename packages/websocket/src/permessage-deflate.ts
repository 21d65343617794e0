/**
 * permessage-deflate (RFC 7692) for one WebSocket connection: inflating the peer's
 * compressed messages and deflating ours, each direction with the window size and
 * context takeover the negotiation agreed on. Negotiation itself is in
 * deflate-negotiation.ts; zlib runs in the native addon (deflate-native.ts says why).
 */
import { C, native, out, state } from './deflate-native.js';
import { InflateError, InflateErrorCode } from './deflate-errors.js';
import { checkDeflateOptions, checkDeflateParams, type DeflateOptions, type DeflateParams } from './deflate-options.js';

export { acceptOffer, makeOffer, parseResponse, PERMESSAGE_DEFLATE } from './deflate-negotiation.js';
export { DeflateNegotiationError, DeflateNegotiationErrorCode, InflateError, InflateErrorCode } from './deflate-errors.js';
export type { DeflateNegotiationErrorCodeValue, InflateErrorCodeValue } from './deflate-errors.js';
export { DEFAULT_DEFLATE_LEVEL, DEFAULT_DEFLATE_THRESHOLD, type DeflateOptions, type DeflateParams } from './deflate-options.js';
export { deflateStats, type DeflateNativeStats } from './deflate-native.js';

/** The largest `maxMessage`: a message length must fit the addon's int32 results. */
export const MAX_INFLATED_MESSAGE = 0x7ffffffe;

interface NativeIds {
  inflater: number;
  deflater: number;
}

// A connection dropped without close() still gives its zlib memory back once collected.
const released = new FinalizationRegistry<NativeIds>((ids) => {
  native.inflaterFree(ids.inflater);
  native.deflaterFree(ids.deflater);
});

/** Options of a {@link PerMessageDeflate}: tuning, and the largest inflated message. */
export type PerMessageDeflateOptions = DeflateOptions & {
  /** The largest message inflate() returns, in bytes; more fails with 1009. */
  maxMessage: number;
};

/**
 * The compressor and decompressor of one connection. Not thread-safe (like everything
 * per connection): use it on the thread that created it.
 */
export class PerMessageDeflate {
  /** Which end of the connection this is: it decides which direction's params apply. */
  readonly role: 'server' | 'client';
  /** The negotiated params. */
  readonly params: Readonly<DeflateParams>;
  /** The largest message inflate() returns. */
  readonly maxMessage: number;
  /** Messages shorter than this are not worth compressing. */
  readonly threshold: number;
  #ids: NativeIds | null;
  #error: InflateError | null = null;

  constructor(role: 'server' | 'client', params: DeflateParams, options: PerMessageDeflateOptions) {
    if (role !== 'server' && role !== 'client') throw new TypeError(`role must be 'server' or 'client', got ${String(role)}`);
    checkDeflateParams(params);
    const o = checkDeflateOptions(options);
    const max = options.maxMessage;
    if (!Number.isInteger(max) || max < 0 || max > MAX_INFLATED_MESSAGE) {
      throw new RangeError(`maxMessage must be an integer from 0 to ${MAX_INFLATED_MESSAGE}, got ${String(max)}`);
    }
    this.role = role;
    this.params = Object.freeze({ ...params });
    this.maxMessage = max;
    this.threshold = o.threshold;
    const server = role === 'server';
    // We inflate with the peer's terms and deflate with ours.
    const inflater = native.inflaterCreate(
      server ? params.clientMaxWindowBits : params.serverMaxWindowBits,
      max,
      server ? params.clientNoContextTakeover : params.serverNoContextTakeover,
    );
    let deflater: number;
    try {
      deflater = native.deflaterCreate(
        o.level,
        o.memLevel,
        server ? params.serverMaxWindowBits : params.clientMaxWindowBits,
        server ? params.serverNoContextTakeover : params.clientNoContextTakeover,
      );
    } catch (error) {
      native.inflaterFree(inflater);
      throw error;
    }
    this.#ids = { inflater, deflater };
    released.register(this, this.#ids, this);
  }

  /**
   * Inflates one data frame's payload of a compressed message (its first frame had RSV1;
   * continuation frames follow with `fin` on the last). 00 00 ff ff is appended at the
   * end of the message (RFC 7692 7.2.2).
   * @returns the whole message on `fin`, in fresh memory that nothing overwrites later;
   * null before.
   * @throws InflateError, closeCode 1009 as soon as the message passes maxMessage (a bomb
   * never costs much more than maxMessage), 1007 for invalid data. Later calls throw it
   * again: the stream is out of step with the peer's.
   */
  inflate(fragment: Uint8Array, fin: boolean): Uint8Array | null {
    const ids = this.#live();
    if (this.#error !== null) throw this.#error;
    const n = native.inflate(ids.inflater, fragment, 0, fragment.length, fin);
    if (n < 0) throw this.#inflateFailed(ids.inflater, n);
    if (!fin) return null;
    if (state[C.S_SPILLED] === 0) return out.slice(0, n);
    const message = new Uint8Array(n);
    native.inflateTake(ids.inflater, message);
    return message;
  }

  /**
   * Compresses a whole message with this side's window and context takeover.
   * @returns the payload of an RSV1 frame (the trailing 00 00 ff ff removed), fresh.
   */
  deflate(message: Uint8Array): Uint8Array {
    const n = this.#deflate(message);
    if (state[C.S_SPILLED] === 0) return out.slice(0, n);
    const payload = new Uint8Array(n);
    native.deflateTake(payload);
    return payload;
  }

  /**
   * deflate() without the copy, for a caller that copies the payload into its frame at
   * once: the view is valid only until the next inflate/deflate call of any instance on
   * this thread (the per-thread output buffer is reused). Payloads over 256 KiB are
   * fresh memory all the same.
   */
  deflateView(message: Uint8Array): Uint8Array {
    const n = this.#deflate(message);
    if (state[C.S_SPILLED] === 0) return out.subarray(0, n);
    const payload = new Uint8Array(n);
    native.deflateTake(payload);
    return payload;
  }

  /** Whether a message of `length` bytes is worth compressing: at least the threshold. */
  shouldCompress(length: number): boolean {
    return length >= this.threshold;
  }

  /** Whether close() has been called. */
  get closed(): boolean {
    return this.#ids === null;
  }

  /** Releases the zlib state now (idempotent); later inflate/deflate calls throw. */
  close(): void {
    const ids = this.#ids;
    if (ids === null) return;
    this.#ids = null;
    released.unregister(this);
    native.inflaterFree(ids.inflater);
    native.deflaterFree(ids.deflater);
  }

  #deflate(message: Uint8Array): number {
    const n = native.deflate(this.#live().deflater, message, 0, message.length);
    if (n < 0) throw new Error(n === C.E_MEMORY ? 'permessage-deflate: out of memory' : `permessage-deflate: deflate failed (${n})`);
    return n;
  }

  #live(): NativeIds {
    if (this.#ids === null) throw new Error('permessage-deflate: used after close()');
    return this.#ids;
  }

  #inflateFailed(inflater: number, code: number): Error {
    if (code === C.E_MEMORY) return new Error('permessage-deflate: out of memory');
    if (code === C.E_TOO_BIG) {
      this.#error = new InflateError(InflateErrorCode.MessageTooBig, `a compressed message inflates to more than maxMessage (${this.maxMessage} bytes)`);
    } else if (code === C.E_UNFINISHED) {
      this.#error = new InflateError(InflateErrorCode.Unfinished, 'a compressed message ends inside a DEFLATE block');
    } else {
      const reason = native.inflateReason(inflater) ?? 'invalid data';
      this.#error = new InflateError(InflateErrorCode.InvalidData, `invalid compressed message: ${reason}`);
    }
    return this.#error;
  }
}
