/**
 * What permessage-deflate is configured with (DeflateOptions), what a negotiation agreed
 * on (DeflateParams), and the checking of the former.
 */

/**
 * permessage-deflate settings of one side. The negotiation options say what this side
 * asks for (client) or insists on (server); the rest tune compression.
 */
export interface DeflateOptions {
  /**
   * Messages shorter than this are sent uncompressed. Default 1024 (`ws` uses 1024 only
   * without context takeover and compresses everything otherwise): below ~1 KiB DEFLATE
   * saves few bytes (and none under ~100) for a zlib call on both sides.
   */
  threshold?: number;
  /**
   * zlib level, 0 (store) to 9, or -1 for zlib's default (6, what `ws` uses). Default 1,
   * as gorilla/websocket does: on ~1 KiB JSON-like messages with context takeover level 1
   * deflates ~3x faster than 6 for ~25% more bytes (33% of the input against 26%, see
   * bench/deflate.mjs), and on a busy server CPU runs out before bandwidth does.
   */
  level?: number;
  /** zlib memLevel, 1 to 9; default 8. Lower uses less memory per deflater. */
  memLevel?: number;
  /** Ask for (client) or impose (server) no context takeover for the server's messages. */
  serverNoContextTakeover?: boolean;
  /** Ask for (client) or impose (server) no context takeover for the client's messages. */
  clientNoContextTakeover?: boolean;
  /**
   * The largest LZ77 window, 8 to 15 bits, for the server's messages: the client asks
   * for it; the server uses at most this (and at most what the client asked for).
   */
  serverMaxWindowBits?: number;
  /**
   * The largest window, 8 to 15 bits, for the client's messages: the client announces
   * it will use at most this; the server asks the client for it, and declines offers
   * that cannot be limited so.
   */
  clientMaxWindowBits?: number;
}

/** What a negotiation agreed on: binding on both sides. */
export interface DeflateParams {
  /** The server resets its compressor after every message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after every message. */
  clientNoContextTakeover: boolean;
  /** The server's messages use a window of at most 2^n bytes (8 to 15). */
  serverMaxWindowBits: number;
  /** The client's messages use a window of at most 2^n bytes (8 to 15). */
  clientMaxWindowBits: number;
}

/** DeflateOptions with every default applied. */
export interface CheckedDeflateOptions {
  threshold: number;
  level: number;
  memLevel: number;
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | null;
  clientMaxWindowBits: number | null;
}

/** The default {@link DeflateOptions.threshold}. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/** The default {@link DeflateOptions.level}. */
export const DEFAULT_DEFLATE_LEVEL = 1;

function integer(name: string, value: number | undefined, lo: number, hi: number, def: number): number;
function integer(name: string, value: number | undefined, lo: number, hi: number, def: null): number | null;
function integer(name: string, value: number | undefined, lo: number, hi: number, def: number | null): number | null {
  if (value === undefined) return def;
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new RangeError(`${name} must be an integer from ${lo} to ${hi}, got ${String(value)}`);
  }
  return value;
}

/**
 * Applies the defaults and refuses values out of range.
 * @throws RangeError naming the bad option.
 */
export function checkDeflateOptions(options: DeflateOptions): CheckedDeflateOptions {
  return {
    threshold: integer('threshold', options.threshold, 0, Number.MAX_SAFE_INTEGER, DEFAULT_DEFLATE_THRESHOLD),
    level: integer('level', options.level, -1, 9, DEFAULT_DEFLATE_LEVEL),
    memLevel: integer('memLevel', options.memLevel, 1, 9, 8),
    serverNoContextTakeover: options.serverNoContextTakeover === true,
    clientNoContextTakeover: options.clientNoContextTakeover === true,
    serverMaxWindowBits: integer('serverMaxWindowBits', options.serverMaxWindowBits, 8, 15, null),
    clientMaxWindowBits: integer('clientMaxWindowBits', options.clientMaxWindowBits, 8, 15, null),
  };
}

/** Checks negotiated params (they may come from the caller rather than a negotiation). */
export function checkDeflateParams(params: DeflateParams): DeflateParams {
  integer('serverMaxWindowBits', params.serverMaxWindowBits, 8, 15, 15);
  integer('clientMaxWindowBits', params.clientMaxWindowBits, 8, 15, 15);
  return params;
}
