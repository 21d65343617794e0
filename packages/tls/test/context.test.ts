// TlsContext from PEM and options: what is refused (typed), and what the options change.
import { describe, expect, it } from 'vitest';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { memoryPair } from '@simple-stream/stream';
import { Secure, TlsContext, TlsError, tlsStats } from '../src/index.js';
import { fileCerts } from './certs.js';
import { handshake, securePair } from './helpers.js';

const certs = fileCerts();

const builder = new SimpleFrameBuilder();

function tlsError(make: () => unknown): TlsError {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(TlsError);
    return err as TlsError;
  }
  throw new Error('no error');
}

describe('bad credentials are TlsErrors with OpenSSL reasons', () => {
  it('a certificate that is not PEM', () => {
    const e = tlsError(() => TlsContext.server({ cert: 'nope', key: certs.server.key }));
    expect(e.code).toBe('NO_START_LINE');
    expect(e.library).toBe('PEM routines');
    expect(e.message).toMatch(/^bad server context options: no start line/);
  });

  it('a key that does not match the certificate', () => {
    expect(tlsError(() => TlsContext.server({ cert: certs.server.cert, key: certs.other.key })).code).toBe('KEY_VALUES_MISMATCH');
  });

  it('an encrypted key: the right passphrase, a wrong one, none (never a terminal prompt)', () => {
    const ok = TlsContext.server({ cert: certs.server.cert, key: certs.encryptedKey, passphrase: 'secret' });
    const { server: s, client: c } = securePair(builder, ok, TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' }));
    handshake(s, c);
    expect(c.authorized).toBe(true);
    expect(tlsError(() => TlsContext.server({ cert: certs.server.cert, key: certs.encryptedKey, passphrase: 'wrong' })).code).toMatch(/BAD_DECRYPT|UNSUPPORTED/);
    // Which of OpenSSL 3's key decoders reports first varies from process to process (seen
    // once under load in a full run): any of their refusals will do, a prompt would not.
    expect(tlsError(() => TlsContext.server({ cert: certs.server.cert, key: certs.encryptedKey })).code).toMatch(/BAD_DECRYPT|BAD_PASSWORD_READ|PROBLEMS_GETTING_PASSWORD|UNSUPPORTED/);
  });

  it('bad cipher lists', () => {
    expect(tlsError(() => TlsContext.client({ servername: 'x', ciphers: 'NOT-A-CIPHER' })).code).toBe('NO_CIPHER_MATCH');
    expect(tlsError(() => TlsContext.client({ servername: 'x', cipherSuites: 'TLS_NOPE' })).code).toBe('NO_CIPHER_MATCH');
  });
});

describe('bad options are TypeErrors/RangeErrors', () => {
  it.each([
    ['a server without a key', () => TlsContext.server({ cert: 'x' } as never), TypeError],
    ['requireCert without ca', () => TlsContext.server({ cert: 'x', key: 'y', requireCert: true }), TypeError],
    ['minVersion newer than maxVersion', () => TlsContext.client({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }), RangeError],
    ['an unknown version', () => TlsContext.client({ minVersion: 'TLSv1.1' as never }), RangeError],
    ['an empty ALPN name', () => TlsContext.client({ alpnProtocols: [''] }), RangeError],
    ['an SNI context that is a client context', () => TlsContext.server({ ...certs.server, sniContexts: new Map([['a', TlsContext.client()]]) }), TypeError],
  ])('%s', (_, make, type) => {
    expect(make).toThrow(type);
  });

  it('a verifying client needs a server name', () => {
    const [a] = memoryPair();
    expect(() => new Secure(a, builder, TlsContext.client({ ca: certs.ca.cert }))).toThrow(/servername/);
    expect(() => new Secure(a, builder, TlsContext.client({ ca: certs.ca.cert, rejectUnauthorized: false }))).not.toThrow();
  });
});

describe('options change the handshake', () => {
  it('ciphers (TLS 1.2) and cipherSuites (TLS 1.3) choose the cipher', () => {
    const server12 = TlsContext.server({ ...certs.server, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' });
    const client = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' });
    const a = securePair(builder, server12, client);
    handshake(a.server, a.client);
    expect(a.client.cipher).toBe('ECDHE-ECDSA-CHACHA20-POLY1305');
    expect(a.client.protocol).toBe('TLSv1.2');
    const server13 = TlsContext.server({ ...certs.server, cipherSuites: 'TLS_AES_128_GCM_SHA256' });
    const b = securePair(builder, server13, client);
    handshake(b.server, b.client);
    expect(b.server.cipher).toBe('TLS_AES_128_GCM_SHA256');
  });

  it('a certificate chain: the leaf, then intermediates, reaches the client', () => {
    // The CA itself as the "intermediate": the client still verifies with its own trust.
    const server = TlsContext.server({ cert: [certs.server.cert, certs.ca.cert], key: certs.server.key });
    const { server: s, client: c } = securePair(builder, server, TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' }));
    handshake(s, c);
    expect(c.authorized).toBe(true);
  });
});

describe('native lifetimes', () => {
  it('dispose() frees the native context; streams made from it keep working', () => {
    const base = tlsStats();
    const server = TlsContext.server({ ...certs.server });
    const client = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' });
    expect(tlsStats().contexts).toBe(base.contexts + 2);
    const { server: s, client: c } = securePair(builder, server, client);
    expect(tlsStats().connections).toBe(base.connections + 2);
    server.dispose();
    client.dispose();
    expect(tlsStats().contexts).toBe(base.contexts);
    handshake(s, c);
    expect(c.authorized).toBe(true);
    s.close();
    c.close();
    expect(tlsStats().connections).toBe(base.connections);
    expect(server.disposed).toBe(true);
    const [t] = memoryPair();
    expect(() => new Secure(t, builder, server)).toThrow(TlsError);
    // What the handshake settled stays readable after close.
    expect(c.protocol).toBe('TLSv1.3');
    expect(c.peerCertificate?.subject.CN).toBe('localhost');
  });
});
