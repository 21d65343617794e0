// Our client against the `ws` package's server: over a net.Socket (DuplexTransport) with
// the blocking calls, and with dial() over the epoll client. The opening handshake's
// checks (status, accept key, subprotocol, extensions) against hand-made answers.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer as WSServer, type WebSocket as WSConnection } from 'ws';
import { DuplexTransport } from '@simple-stream/stream';
import { Message, WebSocket, WebSocketErrorCode, dial, type WebSocketHandle } from '../src/index.js';
import { bounded } from './helpers.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A ws echo server (and what it saw of its clients). */
async function wsServer(options: ConstructorParameters<typeof WSServer>[0] = {}): Promise<{ port: number; connections: WSConnection[]; server: WSServer }> {
  const server = new WSServer({ host: '127.0.0.1', port: 0, ...options });
  const connections: WSConnection[] = [];
  server.on('connection', (ws) => {
    connections.push(ws);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await bounded(once(server, 'listening'), 'listening');
  closers.push(() => new Promise((resolve) => {
    for (const c of server.clients) c.terminate();
    server.close(resolve);
  }));
  return { port: (server.address() as net.AddressInfo).port, connections, server };
}

/** A TCP server that answers the first request head with `answer(head)` and keeps the socket. */
async function fakeServer(answer: (head: string) => string): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) socket.write(answer(head), 'latin1');
    });
  });
  server.listen(0, '127.0.0.1');
  await bounded(once(server, 'listening'), 'listening');
  closers.push(() => new Promise((resolve) => {
    server.close(resolve);
    server.emit('close');
  }));
  const sockets: net.Socket[] = [];
  server.on('connection', (s) => sockets.push(s));
  closers.push(() => sockets.forEach((s) => s.destroy()));
  return (server.address() as net.AddressInfo).port;
}

/** Our client over a net.Socket. */
async function overSocket(port: number, options: Partial<Parameters<typeof WebSocket.connect>[1]> = {}): Promise<WebSocket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  closers.push(() => socket.destroy());
  await bounded(once(socket, 'connect'), 'connect');
  return WebSocket.connect(new DuplexTransport(socket), { host: `127.0.0.1:${port}`, ...options });
}

/** The key a request head carried. */
const keyOf = (head: string): string => /sec-websocket-key: (\S+)/i.exec(head)![1];

describe('WebSocket.connect over a net.Socket, against ws', () => {
  it('echoes text and binary, masked as ws requires, and closes cleanly', async () => {
    const { port, connections } = await wsServer();
    const ws = await overSocket(port, { path: '/echo?x=1' });
    await bounded(ws.bHandshake(), 'the handshake');
    const sizes = [0, 10, 126, 70_000];
    for (const n of sizes) await ws.bSend(new Message(new Uint8Array(n).fill(3)));
    await ws.bSend(Message.text('grüß dich'));
    const got: Message[] = [];
    while (got.length < sizes.length + 1) got.push(...(await bounded(ws.bRecv(), 'echoes')));
    expect(got.map((m) => [m.binary, m.payload.length])).toEqual([...sizes.map((n) => [true, n]), [false, Buffer.byteLength('grüß dich')]]);
    expect(got.at(-1)!.text()).toBe('grüß dich');
    const closed = once(connections[0], 'close');
    ws.end(1000, 'thanks');
    const [code, reason] = await bounded(closed, 'ws to see our close');
    expect([code, reason.toString()]).toEqual([1000, 'thanks']);
    expect(await bounded(ws.bRecv(), 'the end')).toEqual([]);
    expect(ws.ended).toBe(true);
    expect(ws.peerClose?.code).toBe(1000);
  });

  it('agrees on a subprotocol and permessage-deflate with ws', async () => {
    const { port } = await wsServer({ handleProtocols: (protocols) => (protocols.has('b') ? 'b' : false), perMessageDeflate: { threshold: 0 } });
    const ws = await overSocket(port, { protocols: ['a', 'b'], deflate: { threshold: 0 } });
    await bounded(ws.bHandshake(), 'the handshake');
    expect(ws.protocol).toBe('b');
    expect(ws.agreement?.deflate).not.toBeNull();
    const text = 'compress me '.repeat(200);
    await ws.bSend(Message.text(text));
    const [echo] = await bounded(ws.bRecv(), 'the echo');
    expect(echo.text()).toBe(text);
  });
});

describe('the answer to our upgrade request', () => {
  const good = (head: string, extra = ''): string =>
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(keyOf(head))}\r\n${extra}\r\n`;
  const failures: Array<[string, (head: string) => string, number]> = [
    ['a 404', () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 404],
    ['a wrong accept key', (h) => good(h).replace(/Accept: \S+/, 'Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='), 101],
    ['no Upgrade field', (h) => good(h).replace('Upgrade: websocket\r\n', ''), 101],
    ['a subprotocol not offered', (h) => good(h, 'Sec-WebSocket-Protocol: other\r\n'), 101],
    ['an extension not offered', (h) => good(h, 'Sec-WebSocket-Extensions: permessage-deflate\r\n'), 101],
    ['a response that is not HTTP', () => 'SSH-2.0-OpenSSH\r\n\r\n', 0],
  ];

  it.each(failures)('fails on %s', async (_, answer, status) => {
    const port = await fakeServer(answer);
    const ws = await overSocket(port, { protocols: ['chat'] });
    const err = await bounded(ws.bHandshake().then(() => null, (e: unknown) => e), 'the handshake to fail');
    expect(err).toMatchObject({ code: WebSocketErrorCode.HandshakeFailed, status });
  });

  it('takes frames that arrive with the 101 in the same read', async () => {
    const port = await fakeServer((head) => good(head) + '\x81\x05hello');
    const ws = await overSocket(port);
    await bounded(ws.bHandshake(), 'the handshake');
    expect((await bounded(ws.bRecv(), 'the message')).map((m) => m.text())).toEqual(['hello']);
  });
});

describe('dial() over the epoll client', () => {
  it('echoes with a ws server and reports its close code', async () => {
    const { port, connections } = await wsServer();
    const received: string[] = [];
    let closed: (value: [number, string, Error | null]) => void;
    const closedWith = new Promise<[number, string, Error | null]>((resolve) => (closed = resolve));
    const gotMessage = new Promise<void>((resolve) => {
      void dial({ port }, {
        message: (_, data) => (received.push(Buffer.from(data).toString()), resolve()),
        close: (_, code, reason, error) => closed([code, reason, error]),
      }).then((ws) => {
        closers.push(() => ws.close());
        ws.send('ping me back');
      });
    });
    await bounded(gotMessage, 'the echo');
    expect(received).toEqual(['ping me back']);
    connections[0].close(4002, 'server says bye');
    expect(await bounded(closedWith, 'the close callback')).toEqual([4002, 'server says bye', null]);
  });

  it('rejects when the server refuses, with its status', async () => {
    const port = await fakeServer(() => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    const err = await bounded(dial({ port }, { message: () => {} }).then((ws: WebSocketHandle) => ws, (e: unknown) => e), 'dial to fail');
    expect(err).toMatchObject({ code: WebSocketErrorCode.HandshakeFailed, status: 403 });
  });

  it('rejects with ECONNREFUSED when nothing listens', async () => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(bounded(dial({ port }, { message: () => {} }), 'dial to fail')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

/** RFC 6455's accept value, computed here independently of the code under test. */
function acceptOf(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}
