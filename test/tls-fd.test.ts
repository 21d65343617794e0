// The fd fast path (SecureOptions.fd): TLS reads and writes a raw socket itself. Over
// socketpairs with @simple-stream/epoll-server's FdTransport, and inside its epoll server
// against Node's tls client (both paths, so the Connection drives a Secure as a Plain).
import { once } from 'node:events';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checksum32FrameBuilder } from '@simple-stream/frames';
import { FdTransport, begin, native as ss } from '@simple-stream/epoll-server';
import { Secure, TlsContext, TlsError } from '@simple-stream/tls';
import { makeCerts, type Certs } from '../packages/tls/test/certs.js';
import { SIZES, SocketFrames, bounded, copy, payload, sameBytes } from '../packages/tls/test/helpers.js';

let certs: Certs;
let serverCtx: TlsContext;
let clientCtx: TlsContext;
beforeAll(() => {
  certs = makeCerts();
  serverCtx = TlsContext.server({ ...certs.server });
  clientCtx = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' });
});
afterAll(() => certs.remove());

const builder = new Checksum32FrameBuilder();
type Mode = 'fd' | 'transport';

/** A Secure pair over a socketpair; each side in the given mode. */
function socketPair(server: Mode, client: Mode): { s: Secure; c: Secure } {
  const [a, b] = ss.socketpair();
  return {
    s: new Secure(new FdTransport(a), builder, serverCtx, server === 'fd' ? { fd: a } : {}),
    c: new Secure(new FdTransport(b), builder, clientCtx, client === 'fd' ? { fd: b } : {}),
  };
}

/** Receives `count` payloads (copied). */
async function receive(stream: Secure, count: number): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  while (got.length < count) {
    const frames = await stream.bRecv();
    if (frames.length === 0 && stream.ended) throw new Error(`ended after ${got.length} of ${count}`);
    got.push(...frames.map((f) => copy(f.payload)));
  }
  return got;
}

describe.each([
  ['fd', 'fd'],
  ['fd', 'transport'],
  ['transport', 'fd'],
] as Array<[Mode, Mode]>)('server %s, client %s', (server, client) => {
  it('carries frames of 0 B to 64 KiB both ways', async () => {
    const { s, c } = socketPair(server, client);
    try {
      await bounded(Promise.all([s.bHandshake(), c.bHandshake()]), 'the handshakes');
      const sizes = [...SIZES, 65_536];
      // The server echoes while the client sends: neither waits on a full socket.
      const echoing = (async () => {
        for (let n = 0; n < sizes.length; ) {
          for (const f of await s.bRecv()) {
            await s.bSend(builder.build(f.payload));
            n++;
          }
        }
      })();
      const back = receive(c, sizes.length);
      for (const [i, n] of sizes.entries()) await c.bSend(builder.build(payload(n, i)));
      await bounded(echoing, 'the echoes');
      const got = await bounded(back, 'frames back at the client');
      sizes.forEach((n, i) => expect(sameBytes(got[i], payload(n, i))).toBe(true));
      c.shutdown();
      expect(await bounded(s.bRecv(), 'the end')).toEqual([]);
      expect(s.ended).toBe(true);
    } finally {
      s.close();
      c.close();
    }
  });

  it('keeps order when the socket fills (backpressure) and drains later', async () => {
    const { s, c } = socketPair(server, client);
    try {
      await bounded(Promise.all([s.bHandshake(), c.bHandshake()]), 'the handshakes');
      // 8 MiB while the client does not read: the socket buffers fill, the rest waits.
      const count = 128;
      s.cork();
      for (let i = 0; i < count; i++) s.nbSend(builder.build(payload(65_536, i)));
      s.uncork();
      expect(s.blocked).toBe(true);
      expect(s.queued).toBeGreaterThan(0);
      const sending = s.bFlush();
      const got = await bounded(receive(c, count), 'all frames', 30_000);
      await bounded(sending, 'the sender to drain');
      got.forEach((p, i) => expect(sameBytes(p, payload(65_536, i))).toBe(true));
    } finally {
      s.close();
      c.close();
    }
  });
});

it('fd mode: a peer that closes mid-handshake fails the client; one that never spoke just ends', async () => {
  const [a, b] = ss.socketpair();
  const c = new Secure(new FdTransport(a), builder, clientCtx, { fd: a });
  c.flush(); // the ClientHello, written by the engine
  expect(ss.read(b, new Uint8Array(4096))).toBeGreaterThan(0); // (unread bytes would make it a reset)
  ss.close(b);
  await expect(bounded(c.bRecv(), 'the failure')).rejects.toBeInstanceOf(TlsError);
  c.close();

  const [x, y] = ss.socketpair();
  const s = new Secure(new FdTransport(x), builder, serverCtx, { fd: x });
  ss.close(y);
  expect(await bounded(s.bRecv(), 'the end')).toEqual([]);
  expect(s.ended).toBe(true);
  s.close();
});

describe.each(['fd', 'transport'] as Mode[])("the epoll server runs Secure (%s) for Node's tls clients", (mode) => {
  it('echoes frames and ends cleanly', async () => {
    const removed: Array<Error | null> = [];
    const server = await begin(
      {
        onNewConnection: (fd) => new Secure(new FdTransport(fd), builder, serverCtx, mode === 'fd' ? { fd } : {}),
        onDataReceived: (socket, p) => void socket.send(p),
        onConnectionRemoved: (_, reason) => removed.push(reason),
      },
      { addr: '127.0.0.1', port: 0 },
    );
    try {
      const sockets = await Promise.all(
        [0, 1, 2].map(async () => {
          const socket = tls.connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: certs.ca.cert });
          await bounded(once(socket, 'secureConnect'), 'secureConnect');
          return socket;
        }),
      );
      const sizes = [...SIZES, 200_000, 4 * 1024 * 1024];
      await Promise.all(
        sockets.map(async (socket, k) => {
          const frames = new SocketFrames(socket, builder);
          for (const [i, n] of sizes.entries()) socket.write(builder.build(payload(n, i + k)).toBytes());
          const got = await frames.until(sizes.length);
          sizes.forEach((n, i) => expect(sameBytes(got[i].payload, payload(n, i + k))).toBe(true));
          socket.end(); // close_notify, then FIN
          await bounded(once(socket, 'close'), 'the close');
        }),
      );
      await bounded(
        (async () => {
          while (removed.length < 3) await new Promise((r) => setTimeout(r, 5));
        })(),
        'the removals',
      );
      expect(removed).toEqual([null, null, null]);
      // The byte counters count TLS bytes on the wire in both modes (in fd mode OpenSSL
      // moves them past the transport): at least the frames, at most their records'
      // overhead plus the handshakes.
      const plain = 3 * sizes.reduce((sum, n) => sum + builder.build(payload(n, 0)).byteLength, 0);
      const { bytesReceived, bytesSent } = server.stats();
      for (const wire of [bytesReceived, bytesSent]) {
        expect(wire).toBeGreaterThan(plain);
        expect(wire).toBeLessThan(plain * 1.01 + 3 * 8192);
      }
    } finally {
      await server.close();
    }
  });
});
