// The epoll server against node:net clients on 127.0.0.1. Every wait is on an event (a
// handler callback, a socket event) with a bound; afterEach closes everything the test
// opened and checks that the process's fd table is back to where it was.
import { Checksum32FrameBuilder, FrameError, SimpleFrameBuilder, type FrameBuilder } from '@simple-stream/frames';
import { Plain, TransportError, memoryPair } from '@simple-stream/stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, FdTransport, setReceiveBufferSize, setSendBufferSize, type SendStatus, type Socket } from '../src/index.js';
import { FrameClient, Resources, echo, serverFdOf, fdsAddedSince, hex, payloadFor, prng, seqOf, str, text, type TestServer } from './helpers.js';

const res = new Resources();
beforeAll(() => res.warmUp());
afterEach(async () => expect(await res.closeAll()).toEqual([]));

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const plainOver = (fd: number) => new Plain(new FdTransport(fd), new SimpleFrameBuilder());
/** The smallest socket buffers the kernel allows (it clamps 1 to its minimum). */
const shrink = (fd: number) => (setSendBufferSize(fd, 1), setReceiveBufferSize(fd, 1));
const tinyBuffers = (fd: number) => (shrink(fd), plainOver(fd));
const drains = (t: TestServer, fd: number) => t.events.filter((e) => e.type === 'drain' && e.fd === fd).length;
const dataOf = (t: TestServer, fd: number) => t.events.flatMap((e) => (e.type === 'data' && e.fd === fd ? [str(e.payload)] : []));
const firstNewFd = (t: TestServer) => t.events.find((e) => e.type === 'new')!.fd;

/** An FdTransport whose reads and writes move at most `chunk` bytes (forced short I/O). */
class ChoppyFdTransport extends FdTransport {
  shortWrites = 0;
  constructor(fd: number, readonly chunk: number) {
    super(fd);
    // Capped calls are short without meaning "would block": the stream must call again.
    if (chunk !== Infinity) Object.defineProperty(this, 'shortMeansWouldBlock', { value: false });
  }
  override read(target: Uint8Array, offset: number, length: number): number {
    return super.read(target, offset, Math.min(length, this.chunk));
  }
  override write(source: Uint8Array, offset: number, length: number): number {
    const n = super.write(source, offset, Math.min(length, this.chunk));
    if (n < length) this.shortWrites++;
    return n;
  }
}

/** A slow reader: a client that has stopped reading, and its connection's server Socket. */
async function slowReader(t: TestServer): Promise<{ client: FrameClient; socket: Socket }> {
  const client = await res.client(t.port);
  client.socket.pause();
  return { client, socket: t.sockets.get(await serverFdOf(t, client))! };
}

/** Sends 16 KiB frames (seq 0, 1…) from outside a batch until `stop(status)`; at most 4,096. */
function flood(socket: Socket, stop: (s: SendStatus) => boolean, statuses: SendStatus[] = []): SendStatus[] {
  for (let seq = statuses.length; seq < 4096; seq++) {
    const status = socket.send(payloadFor(0, seq, 16 * 1024));
    statuses.push(status);
    if (stop(status)) break;
  }
  return statuses;
}

describe('Handler callbacks', () => {
  it('come in order: onServerCreated, onNewConnection, onOpen, onDataReceived per frame, onConnectionRemoved', async () => {
    let remote: unknown;
    const t = await res.server({ onOpen: (s) => (remote = s.remoteAddress) });
    const c = await res.client(t.port);
    const localPort = c.socket.localPort;
    c.send(text('a'), text('b'));
    expect((await c.receive(2)).map(str)).toEqual(['a', 'b']);
    await c.end();
    const fd = firstNewFd(t);
    expect(await t.removal(fd)).toBeNull();
    const seen = t.events.map((e) => `${e.type}${e.type === 'data' ? ' ' + str(e.payload) : ''}`);
    expect(seen).toEqual(['created', 'new', 'open', 'data a', 'data b', 'removed']);
    expect(t.events[0].fd).toBe(t.server.fd);
    expect(t.events.slice(1).every((e) => e.fd === fd)).toBe(true);
    expect(remote).toEqual({ address: '127.0.0.1', port: localPort, family: 'IPv4' });
  });
});

const framings: Array<{ name: string; builder: () => FrameBuilder; big: number }> = [
  { name: 'Simple', builder: () => new SimpleFrameBuilder(), big: 65535 },
  { name: 'Checksum32', builder: () => new Checksum32FrameBuilder(), big: 300_000 },
];

describe.each(framings)('echo with $name frames', ({ builder, big }) => {
  it('echoes 150 frames on each of 20 connections, every payload checked, with consistent stats', async () => {
    const t = await res.server({ onNewConnection: (fd) => new Plain(new FdTransport(fd), builder()) });
    const clients = await Promise.all(range(20).map(() => res.client(t.port, builder())));
    const size = prng(20);
    const sent = clients.map((_, i) => range(150).map((seq) => payloadFor(i, seq, seq % 50 === 49 ? big : 4 + size(3000))));
    clients.forEach((c, i) => c.send(...sent[i]));
    for (const [i, c] of clients.entries()) {
      const got = await c.receive(150);
      expect(got.length).toBe(150);
      expect(got.findIndex((p, k) => hex(p) !== hex(sent[i][k]))).toBe(-1);
    }
    await Promise.all(clients.map((c) => c.end()));
    await t.signal.until(() => t.removals().length === 20, '20 removals');
    expect(t.removals().every((r) => r.reason === null)).toBe(true);
    expect(t.server.stats()).toEqual({
      connections: 0,
      accepted: 20,
      removed: 20,
      messagesReceived: 3000,
      messagesSent: 3000,
      bytesReceived: clients.reduce((n, c) => n + c.bytesWritten, 0),
      bytesSent: clients.reduce((n, c) => n + c.bytesRead, 0),
    });
  });
});

describe('short reads and writes', () => {
  // A minimal SO_RCVBUF makes loopback TCP crawl (~15 KB/s, plain node:net too), so that
  // case carries little data; the SO_SNDBUF case sends big frames to make writes short.
  it.each([
    { how: 'one byte per read and per write on the server transport', chunk: 1, snd: 0, rcv: 0, max: 2000, frames: 40 },
    { how: 'the smallest SO_SNDBUF, big frames and short writes', chunk: Infinity, snd: 1, rcv: 0, max: 65535, frames: 20 },
    { how: 'the smallest SO_RCVBUF', chunk: Infinity, snd: 0, rcv: 1, max: 600, frames: 10 },
  ])('lose nothing with $how', async ({ chunk, snd, rcv, max, frames }) => {
    const transports: ChoppyFdTransport[] = [];
    const t = await res.server({
      onNewConnection: (fd) => {
        if (snd > 0) setSendBufferSize(fd, snd);
        if (rcv > 0) setReceiveBufferSize(fd, rcv);
        const transport = new ChoppyFdTransport(fd, chunk);
        transports.push(transport);
        return new Plain(transport, new SimpleFrameBuilder());
      },
    });
    const clients = await Promise.all(range(3).map(() => res.client(t.port)));
    const size = prng(3);
    const sent = clients.map((_, i) => range(frames).map((seq) => payloadFor(i, seq, 4 + size(max - 4))));
    for (const [i, c] of clients.entries()) {
      // The client writes in pieces of 1 to 97 bytes (then 64 KiB), cutting frames anywhere.
      const bytes = c.encode(...sent[i]);
      for (let at = 0; at < bytes.length; ) {
        const n = at < 20_000 ? 1 + size(96) : 65536;
        void c.writeRaw(bytes.subarray(at, at + n));
        at += n;
      }
    }
    for (const [i, c] of clients.entries()) {
      const got = await c.receive(frames);
      expect(got.length).toBe(frames);
      expect(got.findIndex((p, k) => hex(p) !== hex(sent[i][k]))).toBe(-1);
    }
    if (rcv === 0) expect(transports.reduce((n, tr) => n + tr.shortWrites, 0)).toBeGreaterThan(0);
  });
});

describe('backpressure', () => {
  it('a client that stops reading gets "queued", others are still served, then onDrain and everything in order', async () => {
    const t = await res.server({ onNewConnection: tinyBuffers });
    const { client: slow, socket } = await slowReader(t);
    const fast = await res.client(t.port);
    const statuses = flood(socket, (s) => s !== 'sent');
    expect(statuses.at(-1)).toBe('queued');
    // Well past what the kernel could still take, so that only the client's reading drains it.
    flood(socket, () => socket.bufferedAmount >= 256 * 1024, statuses);
    expect(statuses.join(' ')).toMatch(/^(sent )*(queued ?)+$/);
    expect(str(await fast.roundTrip(text('still serving?')))).toBe('still serving?');
    expect(socket.bufferedAmount).toBeGreaterThan(0);
    expect(drains(t, socket.fd)).toBe(0);
    slow.socket.resume();
    const got = await slow.receive(statuses.length);
    // onDrain came with the last write, before the client could read the last bytes.
    expect(drains(t, socket.fd)).toBe(1);
    expect(socket.bufferedAmount).toBe(0);
    expect(got.map(seqOf)).toEqual(range(statuses.length));
    expect(got.findIndex((p, seq) => hex(p) !== hex(payloadFor(0, seq, 16 * 1024)))).toBe(-1);
  });

  it('queuePolicy "close": over maxQueued, send returns "closed" and the removal says BACKPRESSURE', async () => {
    const t = await res.server({ onNewConnection: tinyBuffers }, { maxQueued: 64 * 1024, queuePolicy: 'close' });
    const { socket } = await slowReader(t);
    const fast = await res.client(t.port);
    const statuses = flood(socket, (s) => s === 'closed');
    expect(statuses.join(' ')).toMatch(/^(sent )*(queued )+closed$/);
    const reason = await t.removal(socket.fd);
    expect(reason).toBeInstanceOf(ConnectionError);
    expect((reason as ConnectionError).code).toBe('BACKPRESSURE');
    expect(socket.closed).toBe(true);
    expect(socket.send(text('late'))).toBe('closed');
    expect(str(await fast.roundTrip(text('unaffected')))).toBe('unaffected');
  });

  it('queuePolicy "drop": over maxQueued, send returns "dropped", and what was queued drains in order', async () => {
    const t = await res.server({ onNewConnection: tinyBuffers }, { maxQueued: 64 * 1024, queuePolicy: 'drop' });
    const { client: slow, socket } = await slowReader(t);
    const statuses = flood(socket, (s) => s === 'dropped');
    expect(statuses.join(' ')).toMatch(/^(sent )*(queued )+dropped$/);
    const kept = statuses.length - 1;
    expect(socket.send(payloadFor(0, kept, 16 * 1024))).toBe('dropped');
    expect(socket.closed).toBe(false);
    slow.socket.resume();
    await t.signal.until(() => drains(t, socket.fd) === 1, 'onDrain');
    expect(['sent', 'queued']).toContain(socket.send(text('after drain')));
    const got = await slow.receive(kept + 1);
    expect(got.slice(0, kept).map(seqOf)).toEqual(range(kept));
    expect(str(got[kept])).toBe('after drain');
    expect(str(await slow.roundTrip(text('still open')))).toBe('still open');
    expect(slow.frames.length).toBe(kept + 2);
  });
});

describe('failures close only their connection', () => {
  it('an exception in onDataReceived: HANDLER_THREW with the exception as cause', async () => {
    const boom = new Error('boom');
    const t = await res.server({ onDataReceived: (s, p) => (str(p) === 'boom' ? (() => { throw boom; })() : echo(s, p)) });
    const [a, b] = [await res.client(t.port), await res.client(t.port)];
    expect(str(await a.roundTrip(text('x')))).toBe('x');
    const fd = firstNewFd(t);
    a.send(text('boom'));
    const reason = await t.removal(fd);
    expect(reason).toMatchObject({ name: 'ConnectionError', code: 'HANDLER_THREW', cause: boom });
    await a.signal.until(() => a.closed, 'the client to see the close');
    expect(str(await b.roundTrip(text('y')))).toBe('y');
    expect(t.server.stats().connections).toBe(1);
  });

  it.each([
    { how: 'a reset (RST)', cut: (c: FrameClient) => void c.socket.resetAndDestroy(), codes: ['TransportError ECONNRESET', 'FrameError TRUNCATED'] },
    { how: 'a close (FIN)', cut: (c: FrameClient) => void c.socket.end(), codes: ['FrameError TRUNCATED'] },
  ])('$how in the middle of a frame', async ({ cut, codes }) => {
    const t = await res.server();
    const [a, b] = [await res.client(t.port), await res.client(t.port)];
    expect(str(await a.roundTrip(text('whole')))).toBe('whole');
    await a.writeRaw(a.encode(new Uint8Array(100)).subarray(0, 13));
    cut(a);
    const reason = await t.removal(firstNewFd(t));
    expect(reason instanceof TransportError || reason instanceof FrameError).toBe(true);
    expect(codes).toContain(`${reason!.name} ${(reason as TransportError).code}`);
    expect(dataOf(t, firstNewFd(t))).toEqual(['whole']);
    expect(str(await b.roundTrip(text('fine')))).toBe('fine');
  });

  it.each([
    { how: 'a wrong end guard', bad: [0x01, 0, 1, 0x63, 0x18], code: 'SIMPLE_BAD_END', offset: 4 },
    { how: 'a wrong start byte', bad: [0x02, 0, 1, 0x63, 0x17], code: 'SIMPLE_BAD_START', offset: 0 },
  ])('a bad frame ($how) is a FrameError $code, after the frames before it', async ({ bad, code, offset }) => {
    const t = await res.server();
    const [a, b] = [await res.client(t.port), await res.client(t.port)];
    await a.writeRaw(Buffer.concat([a.encode(text('a'), text('b')), Buffer.from(bad)]));
    const reason = await t.removal(firstNewFd(t));
    expect(reason).toBeInstanceOf(FrameError);
    expect(reason).toMatchObject({ code, offset });
    expect(dataOf(t, firstNewFd(t))).toEqual(['a', 'b']);
    expect(str(await b.roundTrip(text('fine')))).toBe('fine');
  });
});

describe('server.close()', () => {
  it('flushes queued output, closes every connection, reports each removal, and leaves stats consistent', async () => {
    const t = await res.server({ onNewConnection: tinyBuffers });
    const clients = await Promise.all(range(5).map(() => res.client(t.port)));
    for (const c of clients) expect(str(await c.roundTrip(text('hi')))).toBe('hi');
    for (const c of clients) c.socket.pause();
    for (const s of t.sockets.values()) for (const seq of range(8)) s.send(payloadFor(1, seq, 60_000));
    expect([...t.sockets.values()].every((s) => s.bufferedAmount > 0)).toBe(true);
    const closing = t.server.close();
    for (const c of clients) c.socket.resume();
    await closing;
    expect(t.removals().map((r) => r.reason)).toEqual([null, null, null, null, null]);
    await Promise.all(clients.map((c) => c.signal.until(() => c.ended && c.closed, 'the server to close')));
    for (const c of clients) expect(c.frames.slice(1).map(seqOf)).toEqual(range(8));
    expect(t.server.stats()).toEqual({
      connections: 0,
      accepted: 5,
      removed: 5,
      messagesReceived: 5,
      messagesSent: 5 * 9,
      bytesReceived: clients.reduce((n, c) => n + c.bytesWritten, 0),
      bytesSent: clients.reduce((n, c) => n + c.bytesRead, 0),
    });
    await expect(FrameClient.connect(t.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(fdsAddedSince(res.baseline)).toEqual([]);
  });

  it('closes connections that do not drain within timeoutMs with SERVER_CLOSED', async () => {
    const t = await res.server({ onNewConnection: tinyBuffers });
    const { socket } = await slowReader(t);
    await res.client(t.port);
    flood(socket, () => socket.bufferedAmount >= 256 * 1024);
    await t.server.close({ timeoutMs: 100 });
    expect(await t.removal(socket.fd)).toMatchObject({ name: 'ConnectionError', code: 'SERVER_CLOSED' });
    expect(t.removals().filter((r) => r.reason === null)).toHaveLength(1);
  });
});

describe('a connection onNewConnection cannot take', () => {
  it.each([
    { how: 'onNewConnection throws', make: () => { throw new Error('no thanks'); }, code: 'HANDLER_THREW' },
    { how: 'a stream over another fd', make: (fd: number) => plainOver(fd + 1000), code: 'BAD_STREAM' },
    { how: 'a stream over an in-memory transport', make: () => new Plain(memoryPair()[0], new SimpleFrameBuilder()), code: 'BAD_STREAM' },
  ])('is refused and reported when $how, and the server keeps serving', async ({ make, code }) => {
    let n = 0;
    const t = await res.server({ onNewConnection: (fd) => (n++ === 0 ? make(fd) : plainOver(fd)) });
    const refused = await res.client(t.port);
    expect(await t.removal(firstNewFd(t))).toMatchObject({ name: 'ConnectionError', code });
    await refused.signal.until(() => refused.closed, 'the refused client to see the close');
    const ok = await res.client(t.port);
    expect(str(await ok.roundTrip(text('served')))).toBe('served');
    expect(t.events.filter((e) => e.type === 'open')).toHaveLength(1);
    expect(t.server.stats()).toMatchObject({ accepted: 2, removed: 1, connections: 1 });
  });
});
