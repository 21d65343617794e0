// Certificate verification: a client rejects bad server certificates with typed errors
// (on by default), a server requires or requests client certificates (mTLS).
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { TlsContext, TlsError, type TlsVersion } from '../src/index.js';
import { fileCerts, type Pair } from './certs.js';
import { SocketFrames, bounded, drive, handshake, payload, secureEchoServer, securePair } from './helpers.js';

const certs = fileCerts();

const builder = new SimpleFrameBuilder();
const versions: TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];

/** The error our client's handshake ends with against a server presenting `pair`. */
function clientError(pair: Pair, servername = 'localhost', version: TlsVersion = 'TLSv1.3'): TlsError {
  const server = TlsContext.server({ ...pair, maxVersion: version });
  const client = TlsContext.client({ ca: certs.ca.cert, servername });
  const { server: s, client: c } = securePair(builder, server, client);
  try {
    handshake(s, c);
  } catch (err) {
    expect(err).toBeInstanceOf(TlsError);
    return (c.error as TlsError | null) ?? (err as TlsError);
  }
  throw new Error('the handshake succeeded');
}

describe.each(versions)('our client over %s', (version) => {
  it.each([
    ['a host name mismatch', () => clientError(certs.server, 'wrong.test', version), 'HOSTNAME_MISMATCH'],
    ['an IP address mismatch', () => clientError(certs.server, '127.0.0.2', version), 'IP_ADDRESS_MISMATCH'],
    ['an expired certificate', () => clientError(certs.expired, 'localhost', version), 'CERT_HAS_EXPIRED'],
    ['a self-signed certificate', () => clientError(certs.selfSigned, 'localhost', version), 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['a certificate from another CA', () => clientError(certs.wrongCa, 'localhost', version), /UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT_LOCALLY)/],
  ])('rejects %s with a typed error', (_, fail, verifyCode) => {
    const error = fail();
    expect(error.code).toBe('CERTIFICATE_VERIFY_FAILED');
    expect(error.verifyCode).toMatch(verifyCode);
    expect(error.verifyMessage).toBeTruthy();
    expect(error.message).toContain(error.verifyCode);
  });

  it('accepts the right name, an IP address SAN, and reports the peer', () => {
    for (const servername of ['localhost', '127.0.0.1', 'LOCALHOST']) {
      const server = TlsContext.server({ ...certs.server, maxVersion: version });
      const client = TlsContext.client({ ca: certs.ca.cert, servername });
      const { server: s, client: c } = securePair(builder, server, client);
      handshake(s, c);
      expect(c.authorized).toBe(true);
      expect(c.authorizationError).toBeNull();
      const peer = c.peerCertificate!;
      expect(peer.subject).toEqual({ CN: 'localhost' });
      expect(peer.issuer).toEqual({ CN: 'simple-stream test CA' });
      expect(peer.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
      expect(peer.fingerprint256).toBe(new X509Certificate(certs.server.cert).fingerprint256);
      expect(peer.validFrom!.getTime()).toBeLessThanOrEqual(Date.now());
      expect(peer.validTo!.getTime()).toBeGreaterThan(Date.now());
      expect(peer.serialNumber).toMatch(/^[0-9A-F]+$/);
      expect(peer.raw[0]).toBe(0x30); // DER SEQUENCE
    }
  });

  it('with rejectUnauthorized: false completes and reports why it is not authorized', () => {
    const server = TlsContext.server({ ...certs.expired, maxVersion: version });
    const client = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost', rejectUnauthorized: false });
    const { server: s, client: c } = securePair(builder, server, client);
    handshake(s, c);
    expect(c.authorized).toBe(false);
    expect(c.authorizationError).toBe('CERT_HAS_EXPIRED');
    expect(c.peerCertificate?.validTo?.getUTCFullYear()).toBe(2020);
  });
});

describe.each(versions)('client certificates (mTLS) over %s', (version) => {
  const serverWith = (options: { requireCert?: boolean; requestCert?: boolean }): TlsContext =>
    TlsContext.server({ ...certs.server, ca: certs.ca.cert, maxVersion: version, ...options });
  const clientWith = (pair?: Pair): TlsContext => TlsContext.client({ ca: certs.ca.cert, servername: 'localhost', ...pair });

  it('requireCert accepts a client certificate signed by ca and shows it', () => {
    const { server: s, client: c } = securePair(builder, serverWith({ requireCert: true }), clientWith(certs.client));
    c.nbSendPayload(payload(5));
    drive(s, c, (got) => got.server.length === 1);
    expect(s.authorized).toBe(true);
    expect(s.peerCertificate?.subject).toEqual({ CN: 'test client', O: 'simple-stream' });
  });

  it.each([
    ['no client certificate', undefined, /PEER_DID_NOT_RETURN_A_CERTIFICATE/],
    ['a certificate from another CA', 'wrongCa' as const, /CERTIFICATE_VERIFY_FAILED/],
  ])('requireCert fails a handshake with %s, on both sides', (_, pair, code) => {
    // The table names the pair: the certificates exist only once the tests run.
    const client = clientWith(pair === undefined ? undefined : certs[pair]);
    const { server: s, client: c } = securePair(builder, serverWith({ requireCert: true }), client);
    c.nbSendPayload(payload(5));
    expect(() => drive(s, c, () => false, 50)).toThrow(TlsError);
    expect(s.error?.code).toMatch(code);
    // The client learns it from the server's alert (in TLS 1.3 after its own Finished).
    expect(() => drive(s, c, () => false, 50)).toThrow(TlsError);
    expect(c.error?.code).toMatch(/ALERT/);
  });

  it('requestCert completes without a client certificate, unauthorized', () => {
    const { server: s, client: c } = securePair(builder, serverWith({ requestCert: true }), clientWith());
    handshake(s, c);
    expect(s.authorized).toBe(false);
    expect(s.authorizationError).toBe('NO_PEER_CERTIFICATE');
    expect(s.peerCertificate).toBeNull();
  });

  it("requireCert accepts Node's tls client with a certificate, and refuses it without", async () => {
    const server = await secureEchoServer(builder, serverWith({ requireCert: true }));
    try {
      const good = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: certs.ca.cert, ...certs.client, maxVersion: version });
      const frames = new SocketFrames(good, builder);
      good.write(builder.build(payload(9)).toBytes());
      expect(await frames.until(1)).toHaveLength(1);
      expect(server.streams[0].peerCertificate?.subject.CN).toBe('test client');
      good.destroy();

      const bad = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: certs.ca.cert, maxVersion: version });
      bad.write(builder.build(payload(9)).toBytes());
      const [err] = (await bounded(once(bad, 'error'), "the client's error")) as [NodeJS.ErrnoException];
      expect(err.code).toMatch(/ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|EPROTO|ECONNRESET/);
      await bounded(
        (async () => {
          while (!server.errors.some((e) => e instanceof TlsError)) await new Promise((r) => setTimeout(r, 5));
        })(),
        'the server error',
      );
      // (The first connection may also report EPIPE: it was destroyed mid-echo.)
      const tlsError = server.errors.find((e) => e instanceof TlsError) as TlsError;
      expect(tlsError.code).toBe('PEER_DID_NOT_RETURN_A_CERTIFICATE');
    } finally {
      await server.close();
    }
  });
});

it("a client without ca trusts Node's root certificates (so not our test CA)", async () => {
  const server = TlsContext.server({ ...certs.server });
  const client = TlsContext.client({ servername: 'localhost' });
  const { server: s, client: c } = securePair(builder, server, client);
  expect(() => handshake(s, c)).toThrow(TlsError);
  expect((c.error as TlsError | null)?.verifyCode).toMatch(/UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT_LOCALLY)/);
});
