// One Plain stream, three transports: the same scenarios run unchanged over FdTransport
// (its peer being the epoll server), DuplexTransport over node:net sockets, and an
// in-memory pair. Each runs as it is and with its smallest buffers, forcing short I/O.
import { once } from 'node:events';
import net from 'node:net';
import { Checksum32FrameBuilder, FrameError } from '@simple-stream/frames';
import { DuplexTransport, Plain, memoryPair, type Transport } from '@simple-stream/stream';
import { FdTransport, begin, native, setSendBufferSize, type Server } from '@simple-stream/epoll-server';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Signal, fdsAddedSince, hex, openFds, prng, str, text } from '../packages/epoll-server/test/helpers.js';

/** A client-side Plain stream over the transport under test, connected to an echoing peer. */
interface Link {
  client: Plain;
  /** Payloads the peer received, copied. */
  peerReceived: Uint8Array[];
  /** Why the peer stopped: null once the client finished cleanly, else the error. */
  peerDone: Promise<Error | null>;
  /** Releases everything the link opened. */
  close(): Promise<void>;
}

const builder = () => new Checksum32FrameBuilder();

/** The peer of the memory and Duplex links: Plain's own blocking calls, echoing. */
async function echoPeer(peer: Plain, received: Uint8Array[]): Promise<Error | null> {
  try {
    for (;;) {
      const frames = await peer.bRecv();
      if (frames.length === 0) break;
      for (const f of frames) {
        received.push(f.payload.slice());
        peer.nbSend(peer.builder.build(f.payload));
      }
      while (!peer.flush()) await peer.transport.writable();
    }
    peer.shutdown();
    return null;
  } catch (err) {
    // Frames that arrived whole before bad bytes come with the FrameError.
    if (err instanceof FrameError) for (const f of err.frames) received.push(f.payload.slice());
    peer.close();
    return err as Error;
  }
}

async function openMemory(tiny: boolean): Promise<Link> {
  const [a, b] = memoryPair(tiny ? { maxRead: 1, maxWrite: 1, capacity: 64 } : {});
  const peerReceived: Uint8Array[] = [];
  const peerDone = echoPeer(new Plain(b, builder()), peerReceived);
  return { client: new Plain(a, builder()), peerReceived, peerDone, close: async () => (a.close(), b.close()) };
}

/**
 * Node completes loopback writes at once, so a net.Socket never needs a drain unless the
 * kernel's send buffer is full: make it the smallest there is (node:net has no option, so
 * through the fd of its libuv handle).
 */
function shrinkSendBuffer(socket: net.Socket): void {
  setSendBufferSize((socket as unknown as { _handle: { fd: number } })._handle.fd, 1);
}

async function openDuplex(tiny: boolean): Promise<Link> {
  const hwm = tiny ? 1 : undefined;
  const options = { allowHalfOpen: true, readableHighWaterMark: hwm, writableHighWaterMark: hwm };
  const peerReceived: Uint8Array[] = [];
  const sockets: net.Socket[] = [];
  let peerDone: Promise<Error | null> | undefined;
  const accepted = new Signal();
  const server = net.createServer({ ...options, highWaterMark: hwm }, (s) => {
    sockets.push(s);
    if (tiny) shrinkSendBuffer(s);
    peerDone = echoPeer(new Plain(new DuplexTransport(s, { highWaterMark: hwm }), builder()), peerReceived);
    accepted.notify();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect({ ...options, port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
  sockets.push(socket);
  await once(socket, 'connect');
  if (tiny) shrinkSendBuffer(socket);
  await accepted.until(() => peerDone !== undefined, 'the net server to accept');
  return {
    client: new Plain(new DuplexTransport(socket, { highWaterMark: hwm }), builder()),
    peerReceived,
    peerDone: peerDone!,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(sockets.map((s) => (s.closed ? undefined : once(s, 'close'))));
      server.close();
      await once(server, 'close');
    },
  };
}

async function openFd(tiny: boolean): Promise<Link> {
  const peerReceived: Uint8Array[] = [];
  const signal = new Signal();
  let opened = false;
  let reason: Error | null | undefined;
  const server: Server = await begin(
    {
      onNewConnection: (fd) => (tiny && setSendBufferSize(fd, 1), new Plain(new FdTransport(fd), builder())),
      onOpen: () => ((opened = true), signal.notify()),
      onDataReceived: (socket, payload) => (peerReceived.push(payload.slice()), void socket.send(payload)),
      onConnectionRemoved: (_fd, r) => ((reason = r), signal.notify()),
    },
    { addr: '127.0.0.1', port: 0 },
  );
  // Our own end: a raw non-blocking connect, used once the server has accepted it.
  const fd = native.connect('127.0.0.1', server.port);
  await signal.until(() => opened, 'the server to accept');
  expect(native.socketError(fd)).toBe(0);
  if (tiny) setSendBufferSize(fd, 1);
  const client = new Plain(new FdTransport(fd), builder());
  return {
    client,
    peerReceived,
    peerDone: signal.until(() => reason !== undefined, 'the server removal').then(() => reason!),
    async close() {
      client.close();
      await server.close({ timeoutMs: 1000 });
    },
  };
}

/** Counts the writes that took less than asked: proof that short writes were forced. */
function countShortWrites(transport: Transport): { count: number } {
  const counter = { count: 0 };
  const write = transport.write.bind(transport);
  transport.write = (source, offset, length) => {
    const n = write(source, offset, length);
    if (n < length) counter.count++;
    return n;
  };
  return counter;
}

/** Sends every payload while reading the echoes, checks them, then finishes both ends. */
async function echoScenario(link: Link, payloads: Uint8Array[], tiny: boolean): Promise<void> {
  const { client } = link;
  const short = countShortWrites(client.transport);
  const got: Uint8Array[] = [];
  const receiving = (async () => {
    while (got.length < payloads.length) {
      const frames = await client.bRecv();
      if (frames.length === 0) throw new Error(`the stream ended after ${got.length} echoes`);
      for (const f of frames) got.push(f.payload.slice());
    }
  })();
  for (const p of payloads) await client.bSend(client.builder.build(p));
  await receiving;
  expect(got.length).toBe(payloads.length);
  expect(got.findIndex((p, i) => hex(p) !== hex(payloads[i]))).toBe(-1);
  expect(link.peerReceived.findIndex((p, i) => hex(p) !== hex(payloads[i]))).toBe(-1);
  client.shutdown();
  expect(await client.bRecv()).toEqual([]);
  expect(client.ended).toBe(true);
  expect(await link.peerDone).toBeNull();
  if (tiny) expect(short.count).toBeGreaterThan(0);
}

/** Two good frames, then one whose checksum is off by one: the peer stops with a FrameError. */
async function badFrameScenario(link: Link): Promise<void> {
  const { client } = link;
  await client.bSend(client.builder.build(text('one')));
  await client.bSend(client.builder.build(text('two')));
  const bad = client.builder.build(text('three')).toBytes();
  bad[bad.length - 1] ^= 1;
  for (let at = 0; at < bad.length; ) {
    const n = client.transport.write(bad, at, bad.length - at);
    at += n;
    if (at < bad.length) await client.transport.writable();
  }
  const reason = await link.peerDone;
  expect(reason).toBeInstanceOf(FrameError);
  expect(reason).toMatchObject({ code: 'CHECKSUM_MISMATCH', offset: 4 + 5 });
  expect(link.peerReceived.map(str)).toEqual(['one', 'two']);
}

/** Sizes from 0 up, one big payload in the middle; fewer bytes when every call moves one byte. */
function payloads(tiny: boolean): Uint8Array[] {
  const size = prng(tiny ? 11 : 12);
  const count = tiny ? 40 : 150;
  return Array.from({ length: count }, (_, i) => {
    const n = i === 0 ? 0 : i === count / 2 ? (tiny ? 200_000 : 300_000) : size(tiny ? 1000 : 4000);
    return new Uint8Array(n).map((_, k) => (k * 29 + i) & 0xff);
  });
}

const transports = [
  { name: 'FdTransport (peer: the epoll server)', open: openFd },
  { name: 'DuplexTransport over net.Socket', open: openDuplex },
  { name: 'an in-memory pair', open: openMemory },
];

let baseline = new Map<string, string>();
const links: Link[] = [];
beforeAll(async () => {
  // The thread's reactor and the addon's spare fd stay open for good: open them first.
  await (await begin({ onNewConnection: (fd) => new Plain(new FdTransport(fd), builder()), onDataReceived: () => {} }, { addr: '127.0.0.1', port: 0 })).close();
  baseline = openFds();
});
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  expect(fdsAddedSince(baseline)).toEqual([]);
});
const open = async (how: (tiny: boolean) => Promise<Link>, tiny: boolean) => {
  const link = await how(tiny);
  links.push(link);
  return link;
};

describe.each(transports)('Plain over $name', ({ open: how }) => {
  it.each([
    { tiny: false, buffers: 'default buffers' },
    { tiny: true, buffers: 'the smallest buffers (short reads and writes)' },
  ])('echoes every payload in order with $buffers, then both ends finish cleanly', async ({ tiny }) => {
    await echoScenario(await open(how, tiny), payloads(tiny), tiny);
  });

  it('stops the peer at a frame with a bad checksum (FrameError CHECKSUM_MISMATCH), after the frames before it', async () => {
    await badFrameScenario(await open(how, false));
  });
});
