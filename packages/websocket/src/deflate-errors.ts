/**
 * The errors of permessage-deflate: a message that cannot be inflated (the connection
 * closes with the error's close code) and a Sec-WebSocket-Extensions header that cannot
 * be negotiated.
 */

/** The stable `code`s of an {@link InflateError}. */
export const InflateErrorCode = {
  /** The message would inflate to more than maxMessage bytes (close code 1009). */
  MessageTooBig: 'MESSAGE_TOO_BIG',
  /** The compressed data is not valid DEFLATE (close code 1007). */
  InvalidData: 'INVALID_COMPRESSED_DATA',
  /** The message ends inside a DEFLATE block (close code 1007). */
  Unfinished: 'UNFINISHED_COMPRESSED_DATA',
} as const;

/** The string union of {@link InflateErrorCode}'s values. */
export type InflateErrorCodeValue = (typeof InflateErrorCode)[keyof typeof InflateErrorCode];

/**
 * A compressed message from the peer that cannot be inflated. The connection should be
 * closed with {@link closeCode}; the inflater keeps failing, as its window is lost.
 */
export class InflateError extends Error {
  /** 1009 (message too big) or 1007 (invalid payload data), RFC 6455 7.4.1. */
  readonly closeCode: 1007 | 1009;
  /** A stable, machine-readable reason. */
  readonly code: InflateErrorCodeValue;

  constructor(code: InflateErrorCodeValue, message: string) {
    super(message);
    this.name = 'InflateError';
    this.code = code;
    this.closeCode = code === InflateErrorCode.MessageTooBig ? 1009 : 1007;
  }
}

/** The stable `code`s of a {@link DeflateNegotiationError}. */
export const DeflateNegotiationErrorCode = {
  /** The header does not follow RFC 6455 9.1's grammar (the server answers 400). */
  MalformedHeader: 'MALFORMED_EXTENSIONS_HEADER',
  /** Client: the response names an extension that was not offered, or several. */
  UnexpectedExtension: 'UNEXPECTED_EXTENSION',
  /** Client: a parameter unknown, repeated, or with a bad value. */
  InvalidParameter: 'INVALID_DEFLATE_PARAMETER',
  /** Client: the response does not honour what the offer asked for. */
  NotAccepted: 'DEFLATE_OFFER_NOT_HONOURED',
} as const;

/** The string union of {@link DeflateNegotiationErrorCode}'s values. */
export type DeflateNegotiationErrorCodeValue = (typeof DeflateNegotiationErrorCode)[keyof typeof DeflateNegotiationErrorCode];

/**
 * A Sec-WebSocket-Extensions header that cannot be negotiated: on the server a malformed
 * header (answer 400); on the client a response it must fail the connection for.
 */
export class DeflateNegotiationError extends Error {
  /** A stable, machine-readable reason. */
  readonly code: DeflateNegotiationErrorCodeValue;

  constructor(code: DeflateNegotiationErrorCodeValue, message: string) {
    super(message);
    this.name = 'DeflateNegotiationError';
    this.code = code;
  }
}
