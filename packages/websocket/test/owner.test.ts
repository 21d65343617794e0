// The lower layer with a Handler of one's own: the epoll server drives WebSocket streams
// unchanged and hands each its Socket (attach), through which deadlines close the
// connection and pings leave, with onConnectionRemoved told why.
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WS from 'ws';
import { Opcode } from '@simple-stream/frames';
import { FdTransport, begin, type Server } from '@simple-stream/epoll-server';
import { Message, WebSocket, WebSocketErrorCode, type WebSocketServerOptions } from '../src/index.js';
import { bounded, request } from './helpers.js';

const servers: Server<Message>[] = [];
const sockets: Array<net.Socket | WS> = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s instanceof WS ? s.terminate() : s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 500 })));
});

/** begin() with WebSocket streams of `options`, echoing; removals are emitted. */
async function start(options: WebSocketServerOptions = {}) {
  const events = new EventEmitter();
  const streams = new Map<number, WebSocket>();
  const server = await begin<Message>(
    {
      onNewConnection: (fd) => {
        const ws = WebSocket.accept(new FdTransport(fd), options);
        streams.set(fd, ws);
        return ws;
      },
      onDataReceived: (socket, payload, message) => void (message.binary ? socket.send(payload) : socket.sendFrame(message)),
      onConnectionRemoved: (fd, reason) => events.emit('removed', { fd, reason }),
    },
    { addr: '127.0.0.1', port: 0 },
  );
  servers.push(server);
  return { server, events, streams };
}

/** A raw TCP client that upgraded, collecting what it receives. */
async function raw(port: number): Promise<{ socket: net.Socket; frames: () => Buffer }> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  let bytes = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (bytes = Buffer.concat([bytes, d])));
  await bounded(once(socket, 'connect'), 'connect');
  socket.write(request());
  while (!bytes.includes('\r\n\r\n')) await bounded(once(socket, 'data'), 'the 101');
  return { socket, frames: () => bytes.subarray(bytes.indexOf('\r\n\r\n') + 4) };
}

describe('a WebSocket stream returned from onNewConnection', () => {
  it('echoes for a ws client through Socket.send and Socket.sendFrame', async () => {
    const { server } = await start();
    const c = new WS(`ws://127.0.0.1:${server.port}`);
    sockets.push(c);
    await bounded(once(c, 'open'), 'open');
    c.send('as text');
    c.send(Buffer.from('as binary'));
    const got: Array<[boolean, string]> = [];
    await bounded(new Promise<void>((resolve) => c.on('message', (d: Buffer, b: boolean) => got.push([b, d.toString()]) === 2 && resolve())), 'echoes');
    expect(got).toEqual([[false, 'as text'], [true, 'as binary']]);
    expect(server.stats().messagesReceived).toBe(2);
  });

  it('is attached to its Socket: it knows the peer, and its close deadline closes the connection', async () => {
    const { server, events, streams } = await start({ closeTimeoutMs: 100 });
    const { socket, frames } = await raw(server.port);
    const [ws] = [...streams.values()];
    expect(ws.remoteAddress?.port).toBe(socket.localPort);
    const removed = once(events, 'removed');
    ws.end(1000, 'please answer');
    const started = performance.now();
    const [{ reason }] = await bounded(removed, 'the removal');
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(reason).toMatchObject({ code: WebSocketErrorCode.CloseTimeout, closeCode: 1006 });
    expect([frames()[0], (frames()[2] << 8) | frames()[3]]).toEqual([0x80 | Opcode.Close, 1000]);
    await bounded(once(socket, 'close'), 'the client socket to close');
  });

  it('pings a silent peer through its Socket, then closes it with 1001', async () => {
    const { server, events } = await start({ idleTimeoutMs: 200 });
    const { socket, frames } = await raw(server.port);
    const [{ reason }] = await bounded(once(events, 'removed'), 'the idle removal');
    expect(reason).toMatchObject({ code: WebSocketErrorCode.IdleTimeout, closeCode: 1001 });
    await bounded(once(socket, 'close'), 'the client socket to close');
    const f = frames();
    // A ping (empty), then the close frame with 1001.
    expect([...f.subarray(0, 2)]).toEqual([0x80 | Opcode.Ping, 0]);
    expect([f[2], f[3], (f[4] << 8) | f[5]]).toEqual([0x80 | Opcode.Close, 2, 1001]);
  });

  it('keeps a peer that answers pings past idleTimeoutMs', async () => {
    const { server, events } = await start({ idleTimeoutMs: 150 });
    const c = new WS(`ws://127.0.0.1:${server.port}`); // answers pings by itself
    sockets.push(c);
    await bounded(once(c, 'open'), 'open');
    let removed = false;
    events.on('removed', () => (removed = true));
    for (let i = 0; i < 3; i++) await bounded(once(c, 'ping'), 'a ping');
    expect(removed).toBe(false);
    expect(c.readyState).toBe(WS.OPEN);
  });
});
