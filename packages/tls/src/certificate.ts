import type { NativeCertificate } from './native.js';

/** The peer's certificate, as a Secure stream reports it after the handshake. */
export interface PeerCertificate {
  /** Subject attributes by short name (`CN`, `O`…); a repeated one is an array. */
  readonly subject: Readonly<Record<string, string | string[]>>;
  /** Issuer attributes, likewise. */
  readonly issuer: Readonly<Record<string, string | string[]>>;
  /** `DNS:localhost, IP Address:127.0.0.1`, or null without the extension. */
  readonly subjectAltName: string | null;
  readonly validFrom: Date | null;
  readonly validTo: Date | null;
  /** SHA-256 of the DER, as `AB:CD:…` (uppercase, like Node's). */
  readonly fingerprint256: string;
  /** The serial number in uppercase hex. */
  readonly serialNumber: string;
  /** The certificate in DER. */
  readonly raw: Uint8Array;
}

/** @internal */
export function peerCertificateOf(c: NativeCertificate): PeerCertificate {
  return Object.freeze({
    subject: Object.freeze(c.subject),
    issuer: Object.freeze(c.issuer),
    subjectAltName: c.subjectAltName,
    validFrom: c.validFrom === null ? null : new Date(c.validFrom),
    validTo: c.validTo === null ? null : new Date(c.validTo),
    fingerprint256: c.fingerprint256,
    serialNumber: c.serialNumber,
    raw: c.raw,
  });
}
