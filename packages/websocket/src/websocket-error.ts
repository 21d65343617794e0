import { FrameError, FrameErrorCode, closeCodeFor } from '@simple-stream/frames';
import { HEAD_TOO_LARGE, PARTIAL_TEXT_INVALID } from './upgrade-builder.js';

/** The stable `code`s of a {@link WebSocketError}. */
export const WebSocketErrorCode = {
  /** A frame broke RFC 6455 (the frames package's code is in `cause`); close code 1002. */
  ProtocolError: 'WS_PROTOCOL_ERROR',
  /** A text message or close reason that is not UTF-8; close code 1007. */
  InvalidUtf8: 'WS_INVALID_UTF8',
  /** A message (or frame) over `maxMessage`; close code 1009. */
  MessageTooBig: 'WS_MESSAGE_TOO_BIG',
  /** Compressed data that does not inflate; close code 1007. */
  InvalidCompressedData: 'WS_INVALID_COMPRESSED_DATA',
  /** A close frame with a 1-byte body or a code no endpoint may send; close code 1002. */
  InvalidCloseFrame: 'WS_INVALID_CLOSE_FRAME',
  /** The transport ended without a close frame; close code 1006 (nothing sent). */
  AbnormalClosure: 'WS_ABNORMAL_CLOSURE',
  /** No close frame from the peer within `closeTimeoutMs` of ours; 1006. */
  CloseTimeout: 'WS_CLOSE_TIMEOUT',
  /** Nothing received for `idleTimeoutMs` (a ping went unanswered); close code 1001 sent. */
  IdleTimeout: 'WS_IDLE_TIMEOUT',
  /** Server: an HTTP request that cannot become a WebSocket (400, 405, 426, 431, 413, 501…). */
  BadRequest: 'WS_BAD_REQUEST',
  /** Server: the `upgrade` hook refused the request with an HTTP status. */
  UpgradeRefused: 'WS_UPGRADE_REFUSED',
  /** Client: the server's answer is not a valid 101 for our request (`status` says what came). */
  HandshakeFailed: 'WS_HANDSHAKE_FAILED',
  /** Client: no answer to the upgrade request within `handshakeTimeoutMs`. */
  HandshakeTimeout: 'WS_HANDSHAKE_TIMEOUT',
  /** A hook or handler threw; close code 1011 (internal error), the error in `cause`. */
  HandlerThrew: 'WS_HANDLER_THREW',
} as const;

/** The string union of {@link WebSocketErrorCode}'s values. */
export type WebSocketErrorCodeValue = (typeof WebSocketErrorCode)[keyof typeof WebSocketErrorCode];

/**
 * Why a WebSocket connection failed, as `onConnectionRemoved` (or serve's `close`) sees it.
 *
 * `closeCode` is the close code of the failure: the one sent to the peer before closing
 * when a close frame could be sent (1002, 1007, 1009, 1011, 1001), else 1006. `status` is
 * the HTTP status answered when the failure came before the upgrade (400, 426, 431…), or
 * for a client the status the server answered.
 *
 * It extends FrameError so that a server delivers the messages that arrived whole before
 * the failure (carried in `frames`), as it does for bad frames of any framing.
 */
export class WebSocketError extends FrameError {
  /** The close code of the failure (see above). */
  readonly closeCode: number;
  /** The HTTP status of a failure during the handshake; 0 after it. */
  readonly status: number;

  constructor(code: WebSocketErrorCodeValue, message: string, closeCode: number, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, 0);
    this.name = 'WebSocketError';
    this.closeCode = closeCode;
    this.status = options.status ?? 0;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * The failure for bad bytes under a WebSocket: an oversized head (a server answers 431),
 * invalid UTF-8 in a text frame still arriving (1007), a cut frame (1006), or a bad frame
 * (1002, or 1009 for one over the size limit).
 */
export function framingFailure(err: FrameError, isServer: boolean, connecting: boolean): WebSocketError {
  const C = WebSocketErrorCode;
  if (err.code === HEAD_TOO_LARGE && isServer) return new WebSocketError(C.BadRequest, `an oversized request head (answered 431)`, 1006, { status: 431, cause: err });
  if (err.code === HEAD_TOO_LARGE || connecting) return new WebSocketError(C.HandshakeFailed, `the server's answer: ${err.message}`, 1006, { cause: err });
  if (err.code === PARTIAL_TEXT_INVALID) return new WebSocketError(C.InvalidUtf8, err.message, 1007, { cause: err });
  if (err.code === FrameErrorCode.Truncated) return new WebSocketError(C.AbnormalClosure, `the connection ended inside a frame: ${err.message}`, 1006, { cause: err });
  const closeCode = closeCodeFor(err);
  return new WebSocketError(closeCode === 1009 ? C.MessageTooBig : C.ProtocolError, err.message, closeCode, { cause: err });
}
