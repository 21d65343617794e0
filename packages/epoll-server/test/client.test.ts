// connect(): the client side, with the server's Handler shape, against our server and
// node:net servers on 127.0.0.1. Waits are on callbacks and socket events, each bounded.
import { once } from 'node:events';
import net from 'node:net';
import { Checksum32FrameBuilder, SimpleFrameBuilder, type FrameBuilder } from '@simple-stream/frames';
import { Plain, TransportError, type Stream } from '@simple-stream/stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FdTransport, connect, native, setSendBufferSize, type ConnectOptions, type Handler, type SendStatus, type Socket } from '../src/index.js';
import { FrameClient, Resources, Signal, hex, payloadFor, seqOf, str, text } from './helpers.js';

const res = new Resources();
const opened: Socket[] = [];
beforeAll(() => res.warmUp());
afterEach(async () => {
  for (const s of opened.splice(0)) s.close();
  expect(await res.closeAll()).toEqual([]);
});

/** A client Handler recording its callbacks; `overrides` change what it does. */
class Recorder {
  readonly log: string[] = [];
  readonly frames: Uint8Array[] = [];
  readonly signal = new Signal();
  reason: Error | null | undefined = undefined;
  drains = 0;
  readonly handler: Handler;

  constructor(
    overrides: { onNewConnection?(fd: number): Stream; onDataReceived?(s: Socket, p: Uint8Array): void } = {},
    builder: () => FrameBuilder = () => new Checksum32FrameBuilder(),
  ) {
    const note = (what: string) => (this.log.push(what), this.signal.notify());
    this.handler = {
      onNewConnection: (fd) => (note('new'), overrides.onNewConnection?.(fd) ?? new Plain(new FdTransport(fd), builder())),
      onOpen: () => note('open'),
      onDataReceived: (s, p) => {
        this.frames.push(p.slice());
        note('data');
        overrides.onDataReceived?.(s, p);
      },
      onDrain: () => (this.drains++, note('drain')),
      onConnectionRemoved: (_fd, reason) => ((this.reason = reason), note('removed')),
    };
  }

  async connect(options: ConnectOptions): Promise<Socket> {
    const socket = await connect(this.handler, { addr: '127.0.0.1', ...options });
    opened.push(socket);
    return socket;
  }

  removed(): Promise<Error | null> {
    return this.signal.until(() => this.reason !== undefined, 'the client removal').then(() => this.reason!);
  }
}

/** A port nothing listens on: bound by a node:net server, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('connect()', () => {
  it('rejects with a TransportError ECONNREFUSED for a closed port, calling no callback', async () => {
    const rec = new Recorder();
    const error = await connect(rec.handler, { addr: '127.0.0.1', port: await closedPort() }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
    expect(rec.log).toEqual([]);
  });

  it('talks to our server: 300 Checksum32 frames echoed in order, callbacks in order, clean removals', async () => {
    const t = await res.server({ onNewConnection: (fd) => new Plain(new FdTransport(fd), new Checksum32FrameBuilder()) });
    const rec = new Recorder();
    const socket = await rec.connect({ port: t.port });
    expect(socket.remoteAddress).toEqual({ address: '127.0.0.1', port: t.port, family: 'IPv4' });
    const sent = Array.from({ length: 300 }, (_, seq) => payloadFor(7, seq, seq % 100 === 99 ? 200_000 : (seq * 37) % 4000));
    const statuses = sent.map((p) => socket.send(p));
    expect(statuses.every((s) => s === 'sent' || s === 'queued')).toBe(true);
    await rec.signal.until(() => rec.frames.length === 300, () => `300 echoes (have ${rec.frames.length})`);
    expect(rec.frames.findIndex((p, i) => hex(p) !== hex(sent[i]))).toBe(-1);
    const serverFd = t.events.find((e) => e.type === 'new')!.fd;
    expect(t.sockets.get(serverFd)!.remoteAddress.port).toBe(native.localAddress(socket.fd).port);
    socket.shutdown();
    expect(await rec.removed()).toBeNull();
    expect(await t.removal(serverFd)).toBeNull();
    expect(rec.log.filter((x) => x !== 'drain')).toEqual(['new', 'open', ...sent.map(() => 'data'), 'removed']);
    // The sends all came before any event: one onDrain if any of them was queued.
    expect(rec.drains).toBe(statuses.includes('queued') ? 1 : 0);
    const wire = sent.reduce((n, p) => n + p.length + 8, 0);
    expect(t.server.stats()).toMatchObject({ accepted: 1, removed: 1, messagesReceived: 300, messagesSent: 300, bytesReceived: wire, bytesSent: wire });
  });

  it('queuePolicy "drop": a server that stops reading makes send return "dropped"; onDrain, then the kept frames arrive in order', async () => {
    let peer: FrameClient | undefined;
    const signal = new Signal();
    const server = net.createServer((s) => ((peer = new FrameClient(s, new SimpleFrameBuilder())), s.pause(), signal.notify()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const rec = new Recorder({ onNewConnection: (fd) => (setSendBufferSize(fd, 1), new Plain(new FdTransport(fd), new SimpleFrameBuilder())) });
    const socket = await rec.connect({ port: (server.address() as net.AddressInfo).port, maxQueued: 64 * 1024, queuePolicy: 'drop' });
    await signal.until(() => peer !== undefined, 'the server to accept');
    const statuses: SendStatus[] = [];
    while (statuses.at(-1) !== 'dropped' && statuses.length < 4096) statuses.push(socket.send(payloadFor(3, statuses.length, 16 * 1024)));
    expect(statuses.join(' ')).toMatch(/^(sent )*(queued )+dropped$/);
    const kept = statuses.length - 1;
    expect(rec.drains).toBe(0);
    peer!.socket.resume();
    await rec.signal.until(() => rec.drains === 1, 'onDrain');
    expect(['sent', 'queued']).toContain(socket.send(text('last')));
    const got = await peer!.receive(kept + 1);
    expect(got.slice(0, kept).map(seqOf)).toEqual(Array.from({ length: kept }, (_, i) => i));
    expect(str(got[kept])).toBe('last');
    socket.close();
    await peer!.signal.until(() => peer!.closed, 'the peer to see the close');
    server.close();
    await once(server, 'close');
  });
});

describe('client failures', () => {
  it('an onNewConnection that throws makes connect reject with HANDLER_THREW; the server sees the end', async () => {
    const t = await res.server();
    const oops = new Error('oops');
    const rec = new Recorder({ onNewConnection: () => { throw oops; } });
    const error = await connect(rec.handler, { addr: '127.0.0.1', port: t.port }).catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'HANDLER_THREW', cause: oops });
    expect(await t.removal(t.events.find((e) => e.type === 'new')!.fd)).toBeNull();
    expect(rec.log).toEqual(['new']);
  });

  it('an exception in the client onDataReceived closes only the client connection, with HANDLER_THREW', async () => {
    const t = await res.server();
    const boom = new Error('boom');
    const rec = new Recorder({ onDataReceived: (_s, p) => { if (str(p) === 'boom') throw boom; } }, () => new SimpleFrameBuilder());
    const socket = await rec.connect({ port: t.port });
    socket.send(text('ok'));
    socket.send(text('boom'));
    expect(await rec.removed()).toMatchObject({ name: 'ConnectionError', code: 'HANDLER_THREW', cause: boom });
    expect(rec.frames.map(str)).toEqual(['ok', 'boom']);
    expect(socket.send(text('late'))).toBe('closed');
    expect(await t.removal(t.events.find((e) => e.type === 'new')!.fd)).toBeNull();
  });

  it('a server that shuts the connection down is a clean removal on the client; send then says "closed"', async () => {
    const t = await res.server({ onDataReceived: (s, p) => (str(p) === 'bye' ? s.shutdown() : void s.send(p)) });
    const rec = new Recorder({}, () => new SimpleFrameBuilder());
    const socket = await rec.connect({ port: t.port });
    socket.send(text('hello'));
    socket.send(text('bye'));
    expect(await rec.removed()).toBeNull();
    expect(rec.frames.map(str)).toEqual(['hello']);
    expect(socket.closed).toBe(true);
    expect(socket.send(text('late'))).toBe('closed');
  });
});
