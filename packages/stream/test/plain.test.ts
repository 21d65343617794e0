import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import net from 'node:net';
import { once } from 'node:events';
import {
  Checksum32FrameBuilder,
  FrameError,
  SimpleFrameBuilder,
  WebSocketFrame,
  WebSocketFrameBuilder,
  type Frame,
  type FrameBuilder,
} from '@simple-stream/frames';
import { DuplexTransport, Plain, ReadArena, TransportError, memoryPair, type Transport } from '@simple-stream/stream';

const framings: Array<{ name: string; rx: () => FrameBuilder; frame: (p: Uint8Array) => Frame }> = [
  { name: 'Simple', rx: () => new SimpleFrameBuilder(), frame: (p) => new SimpleFrameBuilder().build(p) },
  { name: 'Checksum32', rx: () => new Checksum32FrameBuilder(), frame: (p) => new Checksum32FrameBuilder().build(p) },
  {
    name: 'WebSocket',
    rx: () => new WebSocketFrameBuilder({ role: 'server' }),
    frame: (p) => WebSocketFrame.binary(p, { mask: true }),
  },
];

const payloads = fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 30 });

describe.each(framings)('Plain with $name frames over an in-memory pair', ({ rx, frame }) => {
  it('loses and reorders nothing for any pattern of short reads and writes', () => {
    fc.assert(
      fc.property(
        payloads,
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 20000 }),
        fc.integer({ min: 64, max: 8192 }),
        (sent, maxRead, maxWrite, capacity, arenaSize) => {
          const [a, b] = memoryPair({ maxRead, maxWrite, capacity });
          const arena = new ReadArena(arenaSize, Math.min(64, arenaSize));
          const tx = new Plain(a, rx(), { arena });
          const rxStream = new Plain(b, rx(), { arena });
          const got: Uint8Array[] = [];
          let next = 0;
          // Drive both sides until everything arrived; each step must make progress.
          for (let steps = 0; got.length < sent.length; steps++) {
            expect(steps).toBeLessThan(100_000);
            if (next < sent.length && !tx.blocked) tx.nbSend(frame(sent[next++]));
            else tx.flush();
            for (const f of rxStream.nbRecv()) got.push(f.payload);
          }
          expect(got.map((p) => Buffer.from(p).toString('hex'))).toEqual(sent.map((p) => Buffer.from(p).toString('hex')));
          expect(tx.queued).toBe(0);
          expect(rxStream.buffered).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('Plain', () => {
  it('keeps payloads valid after later reads (reads never overwrite handed-out bytes)', () => {
    const [a, b] = memoryPair();
    const arena = new ReadArena(64, 8);
    const tx = new Plain(a, new SimpleFrameBuilder());
    const rxs = new Plain(b, new SimpleFrameBuilder(), { arena });
    const kept: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      tx.nbSendPayload(Uint8Array.of(i, i, i));
      kept.push(...rxs.nbRecv().map((f) => f.payload));
    }
    expect(kept.map((p) => p[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(kept.every((p) => p[0] === p[1] && p[1] === p[2])).toBe(true);
  });

  it('corks: sends leave in one write when uncorked', () => {
    const [a, b] = memoryPair();
    let writes = 0;
    const counting: Transport = Object.create(a, {
      write: { value: (s: Uint8Array, o: number, l: number) => (writes++, a.write(s, o, l)) },
    });
    const tx = new Plain(counting, new SimpleFrameBuilder());
    tx.cork();
    for (let i = 0; i < 10; i++) expect(tx.nbSendPayload(Uint8Array.of(i))).toBe(true);
    expect(writes).toBe(0);
    expect(tx.queued).toBe(50);
    expect(tx.uncork()).toBe(true);
    expect(writes).toBe(1);
    expect(new Plain(b, new SimpleFrameBuilder()).nbRecv()).toHaveLength(10);
  });

  it('reports backpressure, keeps order, and drains when the peer reads', () => {
    const [a, b] = memoryPair({ capacity: 100 });
    const tx = new Plain(a, new SimpleFrameBuilder());
    const rxs = new Plain(b, new SimpleFrameBuilder());
    expect(tx.nbSendPayload(new Uint8Array(60).fill(1))).toBe(true);
    expect(tx.nbSendPayload(new Uint8Array(60).fill(2))).toBe(false);
    expect(tx.blocked).toBe(true);
    expect(tx.queued).toBe(28);
    expect(tx.nbSendPayload(new Uint8Array(10).fill(3))).toBe(false);
    expect(rxs.nbRecv().map((f) => f.payload[0])).toEqual([1]);
    expect(tx.flush()).toBe(true);
    expect(rxs.nbRecv().map((f) => f.payload[0])).toEqual([2, 3]);
  });

  it('reports the end of the stream, and a stream that ends inside a frame as TRUNCATED', () => {
    const [a, b] = memoryPair();
    const rxs = new Plain(b, new SimpleFrameBuilder());
    a.write(Uint8Array.of(1, 0, 1, 7, 0x17, 1, 0), 0, 7);
    a.shutdown();
    let error: unknown;
    try {
      rxs.nbRecv();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrameError);
    expect(error).toMatchObject({ code: 'TRUNCATED', offset: 2 });
    expect((error as FrameError).frames.map((f) => [...f.payload])).toEqual([[7]]);
    expect(rxs.ended).toBe(true);
  });

  it('surfaces a reset mid-frame as a TransportError, after the frames that arrived whole', () => {
    const [a, b] = memoryPair();
    const rxs = new Plain(b, new SimpleFrameBuilder());
    a.write(Uint8Array.of(1, 0, 1, 9, 0x17, 1, 0, 5), 0, 8);
    expect(rxs.nbRecv().map((f) => [...f.payload])).toEqual([[9]]);
    a.reset();
    expect(() => rxs.nbRecv()).toThrow(expect.objectContaining({ name: 'TransportError', code: 'ECONNRESET' }));
  });

  it('bRecv and bSend await readiness', async () => {
    const [a, b] = memoryPair({ capacity: 10, maxWrite: 3 });
    const tx = new Plain(a, new SimpleFrameBuilder());
    const rxs = new Plain(b, new SimpleFrameBuilder());
    const big = new Uint8Array(100).map((_, i) => i);
    const sending = tx.bSend(new SimpleFrameBuilder().build(big));
    const received: Uint8Array[] = [];
    while (received.length === 0) received.push(...(await rxs.bRecv()).map((f) => f.payload));
    await sending;
    expect([...received[0]]).toEqual([...big]);
    tx.shutdown();
    expect(await rxs.bRecv()).toEqual([]);
    expect(rxs.ended).toBe(true);
  });
});

describe('Plain over a Node net.Socket (DuplexTransport)', () => {
  it('echoes frames of 0 B to 64 KiB through a real TCP connection', async () => {
    const server = net.createServer((socket) => {
      const plain = new Plain(new DuplexTransport(socket), new Checksum32FrameBuilder());
      void (async () => {
        for (;;) {
          const frames = await plain.bRecv();
          if (frames.length === 0) return plain.shutdown();
          for (const f of frames) plain.nbSend(f);
          while (!plain.flush()) await plain.transport.writable();
        }
      })();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const client = new Plain(new DuplexTransport(socket), new Checksum32FrameBuilder());
    const sizes = [0, 1, 125, 126, 65535, 65536, 3, 40000];
    const sent = sizes.map((n) => new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff));
    for (const p of sent) await client.bSend(new Checksum32FrameBuilder().build(p));
    const got: Uint8Array[] = [];
    while (got.length < sent.length) got.push(...(await client.bRecv()).map((f) => f.payload.slice()));
    expect(got.map((p) => Buffer.from(p).toString('base64'))).toEqual(sent.map((p) => Buffer.from(p).toString('base64')));
    client.shutdown();
    expect(await client.bRecv()).toEqual([]);
    client.close();
    server.close();
  });

  it('turns a socket error into a TransportError', async () => {
    const server = net.createServer((s) => s.resetAndDestroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const plain = new Plain(new DuplexTransport(socket), new SimpleFrameBuilder());
    let error: unknown;
    try {
      while (!plain.ended) await plain.bRecv();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('ECONNRESET');
    plain.close();
    server.close();
  });
});
