import type { ReadArena } from '@simple-stream/stream';
import type { TlsContext, TlsContextRef } from '@simple-stream/tls';
import type { UpgradeRequestOptions } from './client-handshake.js';
import type { HttpRequest } from './http-head.js';
import type { HttpResponse } from './http-response.js';
import type { DeflateOptions } from './permessage-deflate.js';
import type { ProtocolChoice, UpgradeAnswer } from './server-handshake.js';
import type { WebSocket } from './websocket.js';

/** The default largest message: 100 MiB, as in `ws`. */
export const DEFAULT_MAX_MESSAGE = 100 * 1024 * 1024;
/** The default largest HTTP head: 8 KiB. */
export const DEFAULT_MAX_HEAD_SIZE = 8 * 1024;
/** The default wait for the peer's close frame after ours: 5 s. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/** The default time a client waits for the server's 101: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Options of both sides of a {@link WebSocket}. */
export interface WebSocketOptions {
  /** The largest message (and frame) received, in bytes; more fails with 1009. Default 100 MiB. */
  maxMessage?: number;
  /** The largest HTTP head received (request or response), in bytes; default 8 KiB (over it: 431). */
  maxHeadSize?: number;
  /** After our close frame, how long to wait for the peer's (ms) before closing anyway; default 5,000. */
  closeTimeoutMs?: number;
  /**
   * Close connections that receive nothing for this long (ms); 0 (the default) never does.
   * Half way through, a ping is sent, so a live peer's pong keeps the connection open; at
   * the limit a close frame 1001 (going away) is sent and the connection closed at once,
   * with WebSocketError `WS_IDLE_TIMEOUT` (a silent peer would not answer the close).
   */
  idleTimeoutMs?: number;
  /**
   * permessage-deflate (RFC 7692): off by default; `true` for the defaults, or options.
   * A server accepts a client's offer, a client makes one.
   */
  deflate?: boolean | DeflateOptions;
  /** Run over TLS: a server context (or a TlsContextRef), or a client context. */
  tls?: TlsContext | TlsContextRef;
  /** Also return received pings and pongs from nbRecv (pings are answered anyway). */
  deliverPings?: boolean;
  /** Where reads go (see Plain); default: the thread's shared arena. */
  arena?: ReadArena;
  /**
   * Called when the opening handshake completes (server: the 101 is queued; client: the
   * server's 101 is accepted), before any message is returned. A throw fails the
   * connection with 1011.
   */
  onHandshake?(ws: WebSocket): void;
}

/** Options of a server-side {@link WebSocket} (`WebSocket.accept`). */
export interface WebSocketServerOptions extends WebSocketOptions {
  tls?: TlsContext | TlsContextRef;
  /** The subprotocols spoken (the first the client offers is chosen), or a function choosing. */
  protocols?: ProtocolChoice;
  /**
   * Decides on a valid upgrade request (check `Origin`, authorization…): accept (return
   * nothing, `true`, or `{ protocol, headers, data }`) or refuse (`false` for 403, or an
   * HTTP response). A throw answers 500.
   */
  upgrade?(request: HttpRequest, ws: WebSocket): UpgradeAnswer;
  /**
   * Answers plain HTTP requests (GET/HEAD without a body) on the same port, keep-alive
   * included; without it they get 426 Upgrade Required. A throw answers 500.
   */
  http?(request: HttpRequest, ws: WebSocket): HttpResponse | undefined | void;
}

/** Options of a client-side {@link WebSocket} (`WebSocket.connect`). */
export interface WebSocketClientOptions extends WebSocketOptions, UpgradeRequestOptions {
  tls?: TlsContext;
  /** TLS: the server name to send and verify; default: `host` without its port. */
  servername?: string;
  /** Fail when the server's 101 has not come within this time (ms); default 10,000; 0: never. */
  handshakeTimeoutMs?: number;
}

/** Checks a limit option: a positive safe integer (or ≥ 0 where zero means "off"). */
export function limit(name: string, value: number | undefined, fallback: number, zeroAllowed = false): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < (zeroAllowed ? 0 : 1)) {
    throw new RangeError(`${name} must be a${zeroAllowed ? ' non-negative' : ' positive'} integer, got ${String(value)}`);
  }
  return v;
}

/** The deflate options of a `deflate` setting, or null when off. */
export function deflateOptionsOf(deflate: boolean | DeflateOptions | undefined): DeflateOptions | null {
  if (deflate === undefined || deflate === false) return null;
  return deflate === true ? {} : deflate;
}
