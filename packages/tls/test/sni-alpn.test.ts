// Choosing by host name (SNI), agreeing on a protocol (ALPN), replacing a server's
// context for new connections, and session resumption.
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { TlsContext, TlsContextRef, TlsError, type TlsVersion } from '../src/index.js';
import { fileCerts } from './certs.js';
import { bounded, handshake, secureEchoServer, securePair } from './helpers.js';

const certs = fileCerts();

const builder = new SimpleFrameBuilder();
const versions: TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];

/** The CN our client sees when it asks `servername` of `server`. */
function servedCn(server: TlsContext, servername: string): { cn: unknown; seen: string | null } {
  const client = TlsContext.client({ ca: certs.ca.cert, servername, rejectUnauthorized: false });
  const { server: s, client: c } = securePair(builder, server, client);
  handshake(s, c);
  return { cn: c.peerCertificate?.subject.CN, seen: s.servername };
}

describe('SNI', () => {
  it('serves the certificate of the host name asked for: exact, wildcard, default', () => {
    const other = TlsContext.server({ ...certs.other });
    const server = TlsContext.server({ ...certs.server, sniContexts: { 'other.test': other, '*.wild.test': other } });
    expect(servedCn(server, 'other.test')).toEqual({ cn: 'other.test', seen: 'other.test' });
    expect(servedCn(server, 'OTHER.test')).toEqual({ cn: 'other.test', seen: 'OTHER.test' });
    expect(servedCn(server, 'a.wild.test').cn).toBe('other.test');
    expect(servedCn(server, 'b.a.wild.test').cn).toBe('localhost'); // one label only
    expect(servedCn(server, 'localhost').cn).toBe('localhost');
    expect(servedCn(server, 'unknown.test').cn).toBe('localhost');
  });

  it("chooses with a callback too, and Node's client verifies what it gets", async () => {
    const other = TlsContext.server({ ...certs.other });
    const asked: string[] = [];
    const context = TlsContext.server({
      ...certs.server,
      sni: (name) => {
        asked.push(name);
        return name === 'other.test' ? other : undefined;
      },
    });
    const server = await secureEchoServer(builder, context);
    try {
      for (const servername of ['other.test', 'localhost']) {
        const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername, ca: certs.ca.cert });
        await bounded(once(socket, 'secureConnect'), 'secureConnect');
        expect(socket.authorized).toBe(true);
        expect(socket.getPeerCertificate().subject.CN).toBe(servername);
        socket.destroy();
      }
      expect(asked).toEqual(['other.test', 'localhost']);
    } finally {
      await server.close();
    }
  });

  it('a throwing callback fails that handshake with SNI_FAILED', () => {
    const server = TlsContext.server({
      ...certs.server,
      sni: () => {
        throw new Error('boom');
      },
    });
    const client = TlsContext.client({ ca: certs.ca.cert, servername: 'x.test', rejectUnauthorized: false });
    const { server: s, client: c } = securePair(builder, server, client);
    expect(() => handshake(s, c)).toThrow(TlsError);
    expect(s.error?.code).toBe('SNI_FAILED');
    expect((s.error?.cause as Error).message).toBe('boom');
  });

  it("an SNI context's client-certificate policy applies to its host", () => {
    const strict = TlsContext.server({ ...certs.other, ca: certs.ca.cert, requireCert: true });
    const server = TlsContext.server({ ...certs.server, sniContexts: { 'other.test': strict } });
    // The default host needs no client certificate.
    expect(servedCn(server, 'localhost').cn).toBe('localhost');
    const client = TlsContext.client({ ca: certs.ca.cert, servername: 'other.test' });
    const { server: s, client: c } = securePair(builder, server, client);
    expect(() => {
      for (let i = 0; i < 20; i++) {
        c.flush();
        c.nbRecv();
        s.nbRecv();
      }
    }).toThrow(TlsError);
    expect(s.error?.code).toBe('PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });
});

describe.each(versions)('ALPN over %s', (version) => {
  const server = (): TlsContext => TlsContext.server({ ...certs.server, alpnProtocols: ['h2', 'simple/1'], maxVersion: version });
  const client = (alpnProtocols?: string[]): TlsContext => TlsContext.client({ ca: certs.ca.cert, servername: 'localhost', alpnProtocols });

  it('agrees on the protocol both offer', () => {
    const { server: s, client: c } = securePair(builder, server(), client(['simple/1', 'other']));
    handshake(s, c);
    expect(s.alpnProtocol).toBe('simple/1');
    expect(c.alpnProtocol).toBe('simple/1');
  });

  it("prefers the server's order, and agrees with Node's client", async () => {
    const echo = await secureEchoServer(builder, server());
    try {
      const socket = tls.connect({ host: '127.0.0.1', port: echo.port, servername: 'localhost', ca: certs.ca.cert, ALPNProtocols: ['simple/1', 'h2'] });
      await bounded(once(socket, 'secureConnect'), 'secureConnect');
      expect(socket.alpnProtocol).toBe('h2');
      expect(echo.streams[0].alpnProtocol).toBe('h2');
      socket.destroy();
    } finally {
      await echo.close();
    }
  });

  it('is null when the client offers none, and fails when none is shared', () => {
    const none = securePair(builder, server(), client());
    handshake(none.server, none.client);
    expect(none.server.alpnProtocol).toBeNull();
    const mismatch = securePair(builder, server(), client(['nope']));
    expect(() => handshake(mismatch.server, mismatch.client)).toThrow(TlsError);
    expect(mismatch.server.error?.code).toBe('NO_APPLICATION_PROTOCOL');
  });
});

describe('replacing and resuming', () => {
  it('a replaced context serves new connections; established ones keep theirs', () => {
    const ref = new TlsContextRef(TlsContext.server({ ...certs.server }));
    const client = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' });
    const before = securePair(builder, ref, client);
    handshake(before.server, before.client);
    const old = ref.replace(TlsContext.server({ ...certs.renewed }));
    old.dispose(); // established connections hold their own reference
    const after = securePair(builder, ref, client);
    handshake(after.server, after.client);
    expect(after.client.peerCertificate?.fingerprint256).not.toBe(before.client.peerCertificate?.fingerprint256);
    expect(after.client.peerCertificate?.fingerprint256).toBe(new X509Certificate(certs.renewed.cert).fingerprint256);
    // The old connection still works after its context was disposed.
    before.client.nbSendPayload(new Uint8Array([1, 2, 3]));
    expect(before.server.nbRecv().map((f) => [...f.payload])).toEqual([[1, 2, 3]]);
    expect(() => ref.replace(client)).toThrow(TypeError);
  });

  it.each(versions)("resumes Node's client sessions over %s (tickets on by default)", async (version) => {
    const context = TlsContext.server({ ...certs.server, maxVersion: version });
    const server = await secureEchoServer(builder, context);
    try {
      const options = { host: '127.0.0.1', port: server.port, servername: 'localhost', ca: certs.ca.cert, maxVersion: version };
      const first = tls.connect(options);
      const [session] = (await bounded(once(first, 'session'), 'a session')) as [Buffer];
      first.destroy();
      const second = tls.connect({ ...options, session });
      await bounded(once(second, 'secureConnect'), 'secureConnect');
      expect(second.isSessionReused()).toBe(true);
      second.write(builder.build(new Uint8Array([1])).toBytes());
      await bounded(once(second, 'data'), 'the echo');
      expect(server.streams[1].sessionReused).toBe(true);
      second.destroy();
    } finally {
      await server.close();
    }
  });
});
