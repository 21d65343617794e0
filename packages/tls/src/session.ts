import type { PeerCertificate } from './certificate.js';
import type { Engine } from './engine.js';
import type { TransportError } from '@simple-stream/stream';
import type { TlsError } from './errors.js';

/**
 * What a TLS handshake settled, as a {@link Secure} stream reports it: protocol, cipher,
 * ALPN, SNI, resumption, and the peer's certificate with its verification. Values are
 * complete once `handshakeComplete` is true (and are kept after `close`).
 */
export abstract class TlsSession {
  /** @internal */
  protected readonly engine: Engine;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  /** True once the handshake has completed. */
  get handshakeComplete(): boolean {
    return this.engine.handshakeDone;
  }

  /** The failure that ended this stream, if one did. */
  get error(): TlsError | TransportError | null {
    return this.engine.error;
  }

  /** 'TLSv1.3' or 'TLSv1.2' once the handshake is done, else null. */
  get protocol(): string | null {
    return this.engine.info.protocol;
  }

  /** The negotiated cipher ('TLS_AES_256_GCM_SHA384'), or null. */
  get cipher(): string | null {
    return this.engine.info.cipher;
  }

  /** The ALPN protocol both sides agreed on, or null. */
  get alpnProtocol(): string | null {
    return this.engine.info.alpn;
  }

  /** Server: the name the client asked for (SNI); client: the name it sent. */
  get servername(): string | null {
    return this.engine.info.servername;
  }

  /** True when the handshake resumed an earlier session. */
  get sessionReused(): boolean {
    return this.engine.info.sessionReused;
  }

  /** The peer's certificate, or null (none sent, or no handshake yet). */
  get peerCertificate(): PeerCertificate | null {
    return this.engine.peerCertificate;
  }

  /** True when the peer sent a certificate that verified (chain and, for a client, name). */
  get authorized(): boolean {
    return this.handshakeComplete && this.authorizationError === null;
  }

  /** Why the peer is not authorized (`CERT_HAS_EXPIRED`, `HOSTNAME_MISMATCH`, `NO_PEER_CERTIFICATE`…), or null. */
  get authorizationError(): string | null {
    const info = this.engine.info;
    if (!info.peerCertificate) return 'NO_PEER_CERTIFICATE';
    return info.verifyCode;
  }
}
