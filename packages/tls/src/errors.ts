import { constants } from 'node:os';
import { TransportError } from '@simple-stream/stream';
import { native, type NativeError } from './native.js';

/**
 * A TLS failure: a handshake that failed (bad certificate, no shared cipher or protocol,
 * garbage instead of TLS), an alert from the peer, a cut record, or bad context options.
 *
 * `code` is OpenSSL's reason as an identifier (`CERTIFICATE_VERIFY_FAILED`,
 * `WRONG_VERSION_NUMBER`, `TLSV1_ALERT_UNKNOWN_CA`, `UNEXPECTED_EOF_WHILE_READING`…) or
 * one of ours (`SNI_FAILED`, `BAD_OPTIONS`…). When verification failed, `verifyCode`
 * says why (`CERT_HAS_EXPIRED`, `HOSTNAME_MISMATCH`, `DEPTH_ZERO_SELF_SIGNED_CERT`,
 * `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`…).
 */
export class TlsError extends Error {
  /** The failure as an identifier. */
  readonly code: string;
  /** OpenSSL's library string (`SSL routines`), when OpenSSL reported the failure. */
  readonly library: string | undefined;
  /** OpenSSL's reason string (`certificate verify failed`). */
  readonly reason: string;
  /** Why certificate verification failed, when it did (`CERT_HAS_EXPIRED`). */
  readonly verifyCode: string | undefined;
  /** OpenSSL's text for `verifyCode` (`certificate has expired`). */
  readonly verifyMessage: string | undefined;
  /** errno of a failed system call, when one failed. */
  readonly errno: number | undefined;

  constructor(code: string, message: string, details: Partial<NativeError> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TlsError';
    this.code = code;
    this.library = details.library ?? undefined;
    this.reason = details.reason ?? message;
    this.verifyCode = details.verifyCode ?? undefined;
    this.verifyMessage = details.verifyMessage ?? undefined;
    this.errno = details.errno ? details.errno : undefined;
  }
}

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) if (!errnoNames.has(value) || name === 'EAGAIN') errnoNames.set(value, name);

/**
 * The error for the failure the addon just reported: a TransportError when a system call
 * on the socket failed (fd mode), else a TlsError. `doing` starts the message.
 */
export function takeNativeError(doing: string): TlsError | TransportError {
  const e = native.takeError();
  if (e !== null && e.errno > 0) {
    const code = errnoNames.get(e.errno) ?? `ERRNO_${e.errno}`;
    return new TransportError(code, `${doing}: ${code}`, e.errno, 'read/send');
  }
  return toTlsError(e, doing);
}

/** The TlsError for the failure the addon just reported; `doing` starts the message. */
export function takeTlsError(doing: string): TlsError {
  return toTlsError(native.takeError(), doing);
}

function toTlsError(e: NativeError | null, doing: string): TlsError {
  if (e === null) return new TlsError('UNKNOWN', `${doing}: unknown failure`);
  let message = `${doing}: ${e.reason}`;
  if (e.verifyCode !== null && e.code === 'CERTIFICATE_VERIFY_FAILED') message += ` (${e.verifyCode}: ${e.verifyMessage})`;
  return new TlsError(e.code, message, e);
}
