// What the worker pool added, on a server without workers (a Handler object, one thread):
// connection ids, publish and subscribe framed once per framer, send by id, the idle limit.
import { Checksum32FrameBuilder, SimpleFrameBuilder, type Frame, type FrameBuilder } from '@simple-stream/frames';
import { Plain } from '@simple-stream/stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionErrorCode, FdTransport, type Socket } from '../src/index.js';
import { Resources, serverFdOf, str, text } from './helpers.js';

const res = new Resources();
beforeAll(() => res.warmUp());
afterEach(async () => expect(await res.closeAll()).toEqual([]));

/** A builder that counts the frames it builds. */
function counting<F extends Frame>(inner: FrameBuilder<F>): FrameBuilder<F> & { built: number } {
  const counted = Object.create(inner) as FrameBuilder<F> & { built: number };
  counted.built = 0;
  counted.build = (payload) => (counted.built++, inner.build(payload));
  return counted;
}

describe('on one thread', () => {
  it('gives every connection its own id, and send(id) reaches it', async () => {
    const t = await res.server({ onDataReceived: (socket, payload) => socket.server.send(Number(str(payload)), text(`to ${str(payload)}`)) });
    const a = await res.client(t.port);
    const b = await res.client(t.port);
    const idA = t.sockets.get(await serverFdOf(t, a))!.id;
    const idB = t.sockets.get(await serverFdOf(t, b))!.id;
    expect(idA).not.toBe(idB);
    a.send(text(String(idB)));
    expect(str((await b.receive(1))[0])).toBe(`to ${idB}`);
    expect(t.server.send(idA, text('from the server'))).toBe(true);
    expect(str((await a.receive(1))[0])).toBe('from the server');
    expect(t.server.send(idA + idB + 1000, text('nobody'))).toBe(false);
  });

  it('publishes to each subscriber once, building one frame per framer', async () => {
    const simple = counting(new SimpleFrameBuilder());
    const checksum = counting(new Checksum32FrameBuilder());
    let opened = 0;
    const t = await res.server({
      // Connections alternate between two framings.
      onNewConnection: (fd) => new Plain(new FdTransport(fd), opened++ % 2 === 0 ? simple : checksum),
      onDataReceived: (socket, payload) => {
        if (str(payload) === 'sub') socket.subscribe('t');
        else if (str(payload) === 'unsub') socket.unsubscribe('t');
        socket.send(payload);
      },
    });
    const clients = [];
    for (let i = 0; i < 6; i++) {
      const c = await res.client(t.port, i % 2 === 0 ? new SimpleFrameBuilder() : new Checksum32FrameBuilder());
      await c.roundTrip(text(i === 5 ? 'unsub' : 'sub'));
      clients.push(c);
    }
    const before = simple.built + checksum.built;
    t.server.publish('t', text('news'));
    expect(simple.built + checksum.built - before).toBe(2);
    await Promise.all(clients.map((c) => c.roundTrip(text('after'))));
    for (const c of clients.slice(0, 5)) expect(c.frames.map(str)).toEqual(['sub', 'news', 'after']);
    expect(clients[5].frames.map(str)).toEqual(['unsub', 'after']);
  });

  it('forgets the subscriptions of a connection that is gone', async () => {
    const sockets: Socket[] = [];
    const t = await res.server({ onOpen: (s) => (s.subscribe('t'), sockets.push(s)) });
    const c = await res.client(t.port);
    await t.signal.until(() => sockets.length === 1, 'onOpen');
    expect(t.server.broker.subscribers('t')).toBe(1);
    await c.end();
    await t.removal(sockets[0].fd);
    expect(t.server.broker.subscribers('t')).toBe(0);
    // Too late: a closed connection does not subscribe again.
    sockets[0].subscribe('t');
    expect(t.server.broker.subscribers('t')).toBe(0);
  });

  it('closes a connection idle for idleTimeoutMs with IDLE_TIMEOUT', async () => {
    const t = await res.server({}, { idleTimeoutMs: 200 });
    const c = await res.client(t.port);
    const fd = await serverFdOf(t, c);
    // The server's last byte is its echo: written after this instant.
    const beforeLastByte = performance.now();
    await c.roundTrip(text('x'));
    const reason = await t.removal(fd);
    expect(performance.now() - beforeLastByte).toBeGreaterThanOrEqual(200);
    expect(reason).toMatchObject({ code: ConnectionErrorCode.IdleTimeout });
    await c.signal.until(() => c.closed, 'the client to see the close');
  });
});
