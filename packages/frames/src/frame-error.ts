import type { Frame } from './frame.js';

/** The stable `code`s a {@link FrameError} can carry. Users' builders may add their own. */
export const FrameErrorCode = {
  /** Simple: the first byte is not 0x01. */
  SimpleBadStart: 'SIMPLE_BAD_START',
  /** Simple: the byte after the payload is not 0x17. */
  SimpleBadEnd: 'SIMPLE_BAD_END',
  /** Checksum32: the checksum does not match the payload. */
  ChecksumMismatch: 'CHECKSUM_MISMATCH',
  /** The declared payload length is over the builder's `maxPayload`. */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** The stream ended inside a frame (reported by the streams). */
  Truncated: 'TRUNCATED',
  /** No complete frame within `maxFrameSize` bytes (reported by FrameReader). */
  FrameTooLarge: 'FRAME_TOO_LARGE',
  /** WebSocket: opcode 3-7 or 11-15. */
  WsReservedOpcode: 'WS_RESERVED_OPCODE',
  /** WebSocket: an RSV bit is set that no negotiated extension allows. */
  WsRsvNotAllowed: 'WS_RSV_NOT_ALLOWED',
  /** WebSocket: a control frame with more than 125 bytes of payload. */
  WsControlTooLong: 'WS_CONTROL_TOO_LONG',
  /** WebSocket: a control frame without FIN. */
  WsControlFragmented: 'WS_CONTROL_FRAGMENTED',
  /** WebSocket: a 64-bit length with its most significant bit set. */
  WsLengthTopBit: 'WS_LENGTH_TOP_BIT',
  /** WebSocket: a length in more bytes than needed (RFC 6455 5.2 requires the minimum). */
  WsNonMinimalLength: 'WS_NON_MINIMAL_LENGTH',
  /** WebSocket: the server received an unmasked frame. */
  WsUnmasked: 'WS_UNMASKED',
  /** WebSocket: the client received a masked frame. */
  WsMasked: 'WS_MASKED',
} as const;

/** The string union of {@link FrameErrorCode}'s values. */
export type FrameErrorCodeValue = (typeof FrameErrorCode)[keyof typeof FrameErrorCode];

/**
 * Bytes that can never become a valid frame. The stream that carried them has lost its
 * framing: the connection should be closed with this error as the reason.
 */
export class FrameError extends Error {
  /** A stable, machine-readable reason, e.g. `SIMPLE_BAD_END`. */
  readonly code: string;
  /** The offset of the offending byte from the first byte of the frame. */
  readonly offset: number;
  /**
   * Frames that were complete and valid before the bad bytes, in order, when the error
   * came out of {@link FrameReader.push}: they are delivered here rather than lost.
   */
  frames: readonly Frame[] = [];

  constructor(code: FrameErrorCodeValue | (string & {}), message: string, offset: number) {
    super(message);
    this.name = 'FrameError';
    this.code = code;
    this.offset = offset;
  }
}
