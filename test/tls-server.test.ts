// The epoll server serving TLS (Secure streams in fd mode) to Node's tls clients: echo over
// TLS 1.2 and 1.3, the handshake time limit, peers that send garbage, stall or reset
// mid-handshake (only their connection goes), mTLS facts for the handler, and certificate
// renewal through a TlsContextRef.
import { EventEmitter, once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { ConnectionError, FdTransport, begin, connect, type Config, type Handler, type Server } from '@simple-stream/epoll-server';
import { Secure, TlsContext, TlsContextRef, TlsError } from '@simple-stream/tls';
import { fileCerts } from '../packages/tls/test/certs.js';
import { SocketFrames, bounded, payload, sameBytes } from '../packages/tls/test/helpers.js';

const certs = fileCerts();

const builder = new SimpleFrameBuilder();

/** What the handler saw of one connection once its first frame arrived. */
interface Seen {
  protocol: string | null;
  subject: Readonly<Record<string, string | string[]>> | null;
  fingerprint: string | null;
  authorized: boolean;
}

interface Harness {
  server: Server;
  /** Every removal, in order. */
  removed: Array<{ fd: number; reason: Error | null }>;
  /** TLS facts by server-side fd. */
  seen: Map<number, Seen>;
  /** Resolves with the next removal not yet taken (each one once, in order). */
  nextRemoval(): Promise<{ fd: number; reason: Error | null }>;
}

const servers: Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 500 })));
});

/** An echo server whose connections are Secure streams of `context`. */
async function tlsEcho(context: TlsContext | TlsContextRef, config: Config = {}): Promise<Harness> {
  const events = new EventEmitter();
  let taken = 0;
  const removed: Harness['removed'] = [];
  const seen = new Map<number, Seen>();
  const handler: Handler = {
    onNewConnection: (fd) => Secure.overSocket(new FdTransport(fd), builder, context),
    onDataReceived: (socket, p) => {
      const s = socket.stream as Secure;
      if (!seen.has(socket.fd)) {
        const cert = s.peerCertificate;
        seen.set(socket.fd, { protocol: s.protocol, subject: cert?.subject ?? null, fingerprint: cert?.fingerprint256 ?? null, authorized: s.authorized });
      }
      socket.send(p);
    },
    onConnectionRemoved: (fd, reason) => {
      removed.push({ fd, reason });
      events.emit('removed', { fd, reason });
    },
  };
  const server = await begin(handler, { addr: '127.0.0.1', port: 0, ...config });
  servers.push(server);
  return {
    server,
    removed,
    seen,
    nextRemoval: async () => {
      while (taken >= removed.length) await bounded(once(events, 'removed'), 'a removal');
      return removed[taken++];
    },
  };
}

/** A Node tls client, connected (handshake done). */
async function client(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca.cert, ...options });
  sockets.push(socket);
  await bounded(once(socket, 'secureConnect'), 'secureConnect');
  return socket;
}

/** A raw TCP client, connected. */
async function raw(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  await bounded(once(socket, 'connect'), 'connect');
  return socket;
}

/** Sends payloads of `sizes` as Simple frames and checks the echo. */
async function roundTrip(socket: tls.TLSSocket, sizes: number[], seed = 0): Promise<void> {
  const frames = new SocketFrames(socket, builder);
  for (const [i, n] of sizes.entries()) socket.write(builder.build(payload(n, i + seed)).toBytes());
  const got = await frames.until(sizes.length);
  sizes.forEach((n, i) => expect(sameBytes(got[i].payload, payload(n, i + seed))).toBe(true));
  socket.removeAllListeners('data');
}

/** The first bytes of a TLS handshake record header, and no more: a handshake that stalls. */
const PARTIAL_HELLO = Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01);

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('Simple frames over %s', (version) => {
  it('echoes frames of 0 B to 64 KiB to several clients, then ends cleanly', async () => {
    const h = await tlsEcho(TlsContext.server(certs.server));
    const clients = await Promise.all([0, 1, 2].map(() => client(h.server.port, { minVersion: version, maxVersion: version })));
    await Promise.all(clients.map((c, k) => roundTrip(c, [0, 1, 100, 16_384, 16_385, 40_000, 65_535], k)));
    for (const c of clients) expect(c.getProtocol()).toBe(version);
    expect([...h.seen.values()].map((s) => s.protocol)).toEqual([version, version, version]);
    for (const c of clients) c.end();
    while (h.removed.length < 3) await h.nextRemoval();
    expect(h.removed.map((r) => r.reason)).toEqual([null, null, null]);
  });
});

describe('peers that misbehave close only their own connection', () => {
  it('garbage instead of a ClientHello: removed with a TlsError carrying OpenSSL reason', async () => {
    const h = await tlsEcho(TlsContext.server(certs.server));
    const good = await client(h.server.port);
    const bad = await raw(h.server.port);
    const removal = h.nextRemoval();
    bad.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const { reason } = await removal;
    expect(reason).toBeInstanceOf(TlsError);
    expect((reason as TlsError).code).toMatch(/^(HTTP_REQUEST|WRONG_VERSION_NUMBER)$/);
    expect((reason as TlsError).reason.length).toBeGreaterThan(0);

    const noise = await raw(h.server.port);
    const second = h.nextRemoval();
    noise.write(Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) & 0xff));
    expect((await second).reason).toBeInstanceOf(TlsError);

    await roundTrip(good, [5, 65_000]);
    expect(h.server.connections).toBe(1);
  });

  it('a peer that stalls mid-handshake is removed with HANDSHAKE_TIMEOUT after the limit; established ones stay', async () => {
    const limit = 300;
    const h = await tlsEcho(TlsContext.server(certs.server), { handshakeTimeoutMs: limit });
    expect(h.server.handshakeTimeoutMs).toBe(limit);
    const good = await client(h.server.port);
    const stalled = await raw(h.server.port);
    const silent = await raw(h.server.port);
    const started = performance.now();
    stalled.write(PARTIAL_HELLO);
    const closed = once(stalled, 'close');
    const first = await h.nextRemoval();
    const second = await h.nextRemoval();
    const elapsed = performance.now() - started;
    for (const { reason } of [first, second]) {
      expect(reason).toBeInstanceOf(ConnectionError);
      expect((reason as ConnectionError).code).toBe('HANDSHAKE_TIMEOUT');
    }
    expect(elapsed).toBeGreaterThanOrEqual(limit - 20);
    expect(elapsed).toBeLessThan(limit + 2_000);
    await bounded(closed, 'the stalled client to see the close');
    void silent;
    // The client that finished its handshake before is past the limit, and still served.
    await roundTrip(good, [1, 20_000]);
    expect(h.server.connections).toBe(1);
  });

  it('our client gives up on a server that never answers its ClientHello (HANDSHAKE_TIMEOUT)', async () => {
    const limit = 200;
    const accepted: net.Socket[] = [];
    const mute = net.createServer((socket) => void accepted.push(socket)); // says nothing
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const clientCtx = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' });
    try {
      const removed = new Promise<Error | null>((resolve) => {
        void connect(
          {
            onNewConnection: (fd) => new Secure(new FdTransport(fd), builder, clientCtx, { fd }),
            onDataReceived: () => {},
            onConnectionRemoved: (_, reason) => resolve(reason),
          },
          { port: (mute.address() as net.AddressInfo).port, handshakeTimeoutMs: limit },
        );
      });
      const started = performance.now();
      const reason = await bounded(removed, 'the client to give up', 5_000);
      expect(reason).toBeInstanceOf(ConnectionError);
      expect((reason as ConnectionError).code).toBe('HANDSHAKE_TIMEOUT');
      expect(performance.now() - started).toBeGreaterThanOrEqual(limit - 20);
    } finally {
      for (const socket of accepted) socket.destroy();
      mute.close();
    }
  });

  it('a peer that resets mid-handshake is removed at once', async () => {
    const h = await tlsEcho(TlsContext.server(certs.server)); // default limit: 10 s
    const good = await client(h.server.port);
    const bad = await raw(h.server.port);
    bad.write(PARTIAL_HELLO);
    const removal = h.nextRemoval();
    await new Promise((r) => setImmediate(r));
    bad.resetAndDestroy();
    const { reason } = await bounded(removal, 'the removal of the reset connection', 5_000);
    expect(reason).not.toBeNull();
    expect((reason as { code?: string }).code).not.toBe('HANDSHAKE_TIMEOUT');
    await roundTrip(good, [3]);
    expect(h.server.connections).toBe(1);
  });

  it('a peer that closes before sending anything is removed cleanly', async () => {
    const h = await tlsEcho(TlsContext.server(certs.server));
    const probe = await raw(h.server.port);
    const removal = h.nextRemoval();
    probe.end();
    expect((await removal).reason).toBeNull();
  });
});

describe('mTLS: the handler sees the client certificate', () => {
  it('subject and fingerprint through socket.stream; a client without a certificate is refused', async () => {
    const context = TlsContext.server({ ...certs.server, ca: certs.ca.cert, requireCert: true });
    const h = await tlsEcho(context);
    const c = await client(h.server.port, { cert: certs.client.cert, key: certs.client.key });
    await roundTrip(c, [10]);
    const [seen] = [...h.seen.values()];
    expect(seen.subject).toMatchObject({ CN: 'test client', O: 'simple-stream' });
    expect(seen.fingerprint).toBe(new X509Certificate(certs.client.cert).fingerprint256);
    expect(seen.authorized).toBe(true);

    const anonymous = tls.connect({ host: '127.0.0.1', port: h.server.port, servername: 'localhost', ca: certs.ca.cert });
    sockets.push(anonymous);
    anonymous.on('error', () => {});
    const removal = h.nextRemoval();
    anonymous.write(builder.build(Uint8Array.of(1)).toBytes()); // TLS 1.3: the server checks after the client's Finished
    const { reason } = await removal;
    expect(reason).toBeInstanceOf(TlsError);
    expect((reason as TlsError).code).toMatch(/CERTIFICATE/);
  });
});

describe('certificate renewal through a TlsContextRef', () => {
  it('new connections get the new certificate; established ones keep working', async () => {
    const ref = new TlsContextRef(TlsContext.server(certs.server));
    const h = await tlsEcho(ref);
    const before = await client(h.server.port);
    expect(before.getPeerX509Certificate()!.fingerprint256).toBe(new X509Certificate(certs.server.cert).fingerprint256);

    const old = ref.replace(TlsContext.server(certs.renewed));
    old.dispose();
    const after = await client(h.server.port);
    expect(after.getPeerX509Certificate()!.fingerprint256).toBe(new X509Certificate(certs.renewed.cert).fingerprint256);

    await roundTrip(before, [100, 30_000]);
    await roundTrip(after, [100, 30_000], 1);
  });
});

it('config.handshakeTimeoutMs is checked', async () => {
  await expect(begin({ onNewConnection: () => null as never, onDataReceived: () => {} }, { handshakeTimeoutMs: -1 })).rejects.toThrow(RangeError);
});
