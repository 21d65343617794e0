// serve() over 127.0.0.1 against the `ws` package's client: echo of text and binary
// (fragmented too), pings and pongs, close codes both ways, subprotocols, refusals,
// backpressure, broadcast, plain HTTP on the same port, permessage-deflate, failures that
// close only their own connection, and the server's close.
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WS from 'ws';
import { Opcode } from '@simple-stream/frames';
import { WebSocketError, WebSocketErrorCode, serve, type ServeOptions, type WebSocketHandle, type WebSocketHandlers, type WebSocketServer } from '../src/index.js';
import { bounded, clientFrame, closeBody, request } from './helpers.js';

const servers: WebSocketServer<any>[] = [];
const clients: Array<WS | net.Socket> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c instanceof WS ? c.terminate() : c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 500 })));
});

interface Closed {
  ws: WebSocketHandle;
  code: number;
  reason: string;
  error: Error | null;
}

/** A server whose callbacks also emit events (open, message, close…), echoing by default. */
async function start(options: Partial<ServeOptions> = {}, handlers: Partial<WebSocketHandlers> = {}) {
  const events = new EventEmitter();
  const closed: Closed[] = [];
  const server = await serve(
    { addr: '127.0.0.1', port: 0, ...options },
    {
      ...handlers,
      open: (ws) => (handlers.open?.(ws), events.emit('open', ws)),
      message: handlers.message ?? ((ws, data, isBinary) => ws.send(data, isBinary)),
      close: (ws, code, reason, error) => (closed.push({ ws, code, reason, error }), events.emit('close', closed.at(-1))),
    },
  );
  servers.push(server);
  let taken = 0;
  /** The next close callback not yet taken (each once, in order). */
  const nextClose = async (): Promise<Closed> => {
    while (taken >= closed.length) await bounded(once(events, 'close'), 'a close callback');
    return closed[taken++];
  };
  return { server, events, closed, nextClose, url: `ws://127.0.0.1:${server.port}` };
}

/** A `ws` client, open. */
async function client(url: string, protocols?: string[], options?: WS.ClientOptions): Promise<WS> {
  const c = new WS(url, protocols, options);
  clients.push(c);
  c.on('error', () => {});
  await bounded(once(c, 'open'), 'the client to open');
  return c;
}

/** The next `count` messages of a client, as [isBinary, data]. */
async function messages(c: WS, count: number): Promise<Array<[boolean, Buffer]>> {
  const got: Array<[boolean, Buffer]> = [];
  await bounded(
    new Promise<void>((resolve) => {
      const on = (data: Buffer, isBinary: boolean): void => {
        got.push([isBinary, data]);
        if (got.length === count) {
          c.off('message', on);
          resolve();
        }
      };
      c.on('message', on);
    }),
    `${count} messages`,
  );
  return got;
}

/** A raw TCP client that has sent a valid upgrade request and read the 101. */
async function rawClient(port: number): Promise<{ socket: net.Socket; received: () => Buffer }> {
  const socket = net.connect(port, '127.0.0.1');
  clients.push(socket);
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  await bounded(once(socket, 'connect'), 'connect');
  socket.write(request());
  while (!received.includes('\r\n\r\n')) await bounded(once(socket, 'data'), 'the 101');
  const head = received.indexOf('\r\n\r\n') + 4;
  expect(received.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
  return { socket, received: () => received.subarray(head) };
}

describe('echo with a ws client', () => {
  it('echoes text and binary of many sizes, keeping their type', async () => {
    const { url } = await start();
    const c = await client(url);
    const sizes = [0, 1, 125, 126, 65_535, 65_536, 300_000];
    for (const n of sizes) c.send(Buffer.alloc(n, n & 0xff), { binary: true });
    c.send('héllo wörld');
    const got = await messages(c, sizes.length + 1);
    expect(got.map(([b, d]) => [b, d.length])).toEqual([...sizes.map((n) => [true, n]), [false, Buffer.byteLength('héllo wörld')]]);
    expect(got.slice(0, -1).every(([, d], i) => d.every((x) => x === (sizes[i] & 0xff)))).toBe(true);
    expect(got.at(-1)![1].toString()).toBe('héllo wörld');
  });

  it('echoes a fragmented message whole', async () => {
    const { url } = await start();
    const c = await client(url);
    c.send('frag', { fin: false });
    c.send('men', { fin: false });
    c.send('ted', { fin: true });
    const [[isBinary, data]] = await messages(c, 1);
    expect([isBinary, data.toString()]).toEqual([false, 'fragmented']);
  });

  it('answers pings (and reports them), and its pings are answered', async () => {
    const pings: string[] = [];
    const pongs: string[] = [];
    const { url, events } = await start({}, { ping: (_, d) => void pings.push(Buffer.from(d).toString()), pong: (_, d) => void pongs.push(Buffer.from(d).toString()) });
    const opened = once(events, 'open');
    const c = await client(url);
    const [ws] = (await bounded(opened, 'open')) as [WebSocketHandle];
    c.ping('are you there');
    const [pong] = await bounded(once(c, 'pong'), 'the pong');
    expect(pong.toString()).toBe('are you there');
    expect(pings).toEqual(['are you there']);
    expect(ws.ping(Buffer.from('and you?'))).toBe('sent');
    const [theirPing] = await bounded(once(c, 'ping'), 'our ping');
    expect(theirPing.toString()).toBe('and you?');
    c.send('sync');
    await messages(c, 1);
    expect(pongs).toEqual(['and you?']);
  });
});

describe('closing', () => {
  it('client first: the code is echoed and reaches the close callback with the reason', async () => {
    const { url, nextClose } = await start();
    const c = await client(url);
    c.close(4000, 'done here');
    const [code] = await bounded(once(c, 'close'), 'the client close');
    expect(code).toBe(4000);
    const closed = await nextClose();
    expect([closed.code, closed.reason, closed.error]).toEqual([4000, 'done here', null]);
  });

  it('server first: ws.end(code, reason), the client answers, the server closes TCP', async () => {
    const { url, events, nextClose } = await start();
    const opened = once(events, 'open');
    const c = await client(url);
    const [ws] = (await bounded(opened, 'open')) as [WebSocketHandle];
    ws.end(4001, 'bye now');
    expect(ws.readyState).toBe('closing');
    expect(ws.send('too late')).toBe('closed');
    const [code, reason] = await bounded(once(c, 'close'), 'the client close');
    expect([code, reason.toString()]).toEqual([4001, 'bye now']);
    const closed = await nextClose();
    expect([closed.code, closed.error]).toEqual([4001, null]);
  });

  it('a protocol error closes that connection with 1002, and the others go on', async () => {
    const { url, server, nextClose } = await start();
    const good = await client(url);
    const bad = await rawClient(server.port);
    bad.socket.write(clientFrame(Opcode.Close, closeBody(1005)));
    await bounded(once(bad.socket, 'close'), 'the bad client to be closed');
    const f = bad.received();
    expect([f[0], f[1], (f[2] << 8) | f[3]]).toEqual([0x88, 2, 1002]);
    const closed = await nextClose();
    expect(closed.error).toBeInstanceOf(WebSocketError);
    expect(closed.error).toMatchObject({ code: WebSocketErrorCode.InvalidCloseFrame, closeCode: 1002 });
    good.send('still here');
    expect((await messages(good, 1))[0][1].toString()).toBe('still here');
  });

  it('a message callback that throws closes its connection with 1011', async () => {
    const boom = new Error('boom');
    const { url, nextClose } = await start({}, { message: () => { throw boom; } });
    const c = await client(url);
    c.send('anything');
    const [code] = await bounded(once(c, 'close'), 'the close');
    expect(code).toBe(1011);
    const closed = await nextClose();
    expect(closed.error).toMatchObject({ code: WebSocketErrorCode.HandlerThrew, closeCode: 1011, cause: boom });
  });

  it('server.close() sends 1001 to every client', async () => {
    const { url, server, closed } = await start();
    const cs = await Promise.all([client(url), client(url)]);
    const codes = cs.map((c) => once(c, 'close'));
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    expect((await bounded(Promise.all(codes), 'the closes')).map(([code]) => code)).toEqual([1001, 1001]);
    expect(closed.map((c) => c.code)).toEqual([1001, 1001]);
  });
});

describe('the handshake over TCP', () => {
  it('agrees on a subprotocol', async () => {
    const { url, events } = await start({ protocols: ['chat.v2', 'chat.v1'] });
    const opened = once(events, 'open');
    const c = await client(url, ['chat.v1', 'chat.v2']);
    const [ws] = (await bounded(opened, 'open')) as [WebSocketHandle];
    expect([c.protocol, ws.protocol]).toEqual(['chat.v1', 'chat.v1']);
  });

  it('refuses through the upgrade hook with the status and fields it chose', async () => {
    const { url } = await start({}, { upgrade: (req) => (req.header('authorization') === 'Bearer ok' ? undefined : { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } }) });
    const refused = new WS(url);
    clients.push(refused);
    refused.on('error', () => {});
    const [, response] = (await bounded(once(refused, 'unexpected-response'), 'the refusal')) as [unknown, http.IncomingMessage];
    expect([response.statusCode, response.headers['www-authenticate']]).toEqual([401, 'Bearer']);
    const ok = await client(url, undefined, { headers: { Authorization: 'Bearer ok' } });
    expect(ok.readyState).toBe(WS.OPEN);
  });

  it('lets the upgrade hook set per-connection data that open and message see', async () => {
    const seen: unknown[] = [];
    const { url, events } = await start({}, {
      upgrade: (req, ws) => {
        ws.data = { path: req.path };
      },
      message: (ws, data) => void (seen.push([ws.data, Buffer.from(data).toString()]) === 2 && events.emit('both')),
    });
    const both = once(events, 'both');
    const c = await client(`${url}/room/7`);
    c.send('hi');
    c.send('sync');
    await bounded(both, 'two messages');
    expect(seen).toEqual([[{ path: '/room/7' }, 'hi'], [{ path: '/room/7' }, 'sync']]);
  });

  it('serves plain HTTP on the same port through the http hook', async () => {
    const { server } = await start({}, { http: (req) => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: `path ${req.path}` }) });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const path of ['/a', '/b']) {
        const res = await bounded(new Promise<http.IncomingMessage>((resolve, reject) => http.get({ host: '127.0.0.1', port: server.port, path, agent }, resolve).on('error', reject)), 'a response');
        let body = '';
        for await (const chunk of res) body += chunk;
        expect([res.statusCode, body]).toEqual([200, `path ${path}`]);
      }
    } finally {
      agent.destroy();
    }
  });

  it('closes a slow head at handshakeTimeoutMs and an oversized one with 431, other connections unaffected', async () => {
    const { url, server } = await start({ handshakeTimeoutMs: 200, maxHeadSize: 2048 });
    const good = await client(url);
    const slow = net.connect(server.port, '127.0.0.1');
    clients.push(slow);
    slow.on('error', () => {});
    await bounded(once(slow, 'connect'), 'connect');
    slow.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const slowClosed = once(slow, 'close');
    const big = net.connect(server.port, '127.0.0.1');
    clients.push(big);
    big.on('error', () => {});
    let bigReply = '';
    big.on('data', (d) => (bigReply += d));
    await bounded(once(big, 'connect'), 'connect');
    big.write(`GET / HTTP/1.1\r\nX-Big: ${'x'.repeat(3000)}\r\n\r\n`);
    await bounded(once(big, 'close'), 'the oversized head to be answered');
    expect(bigReply).toMatch(/^HTTP\/1.1 431 /);
    good.send('meanwhile');
    expect((await messages(good, 1))[0][1].toString()).toBe('meanwhile');
    const started = performance.now();
    await bounded(slowClosed, 'the slow head to be closed');
    expect(performance.now() - started).toBeLessThan(2000);
    good.send('after');
    expect((await messages(good, 1))[0][1].toString()).toBe('after');
  });
});

describe('backpressure and broadcast', () => {
  it('queues for a slow reader, then calls drain once it has taken everything', async () => {
    let drains = 0;
    const { server, events } = await start({ maxQueued: 64 * 1024 * 1024 }, { drain: () => void drains++ });
    const opened = once(events, 'open');
    const raw = await rawClient(server.port);
    const [ws] = (await bounded(opened, 'open')) as [WebSocketHandle];
    raw.socket.pause();
    const chunk = new Uint8Array(64 * 1024).fill(1);
    const statuses: string[] = [];
    for (let i = 0; i < 200 && !statuses.includes('queued'); i++) statuses.push(ws.send(chunk));
    expect(statuses.at(-1)).toBe('queued');
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    raw.socket.resume();
    const expected = statuses.length * (chunk.length + 4);
    await bounded(
      (async () => {
        while (raw.received().length < expected || drains === 0) await once(raw.socket, 'data');
      })(),
      'everything and a drain',
    );
    expect(drains).toBe(1);
    expect(ws.bufferedAmount).toBe(0);
  });

  it('drops over maxQueued with queuePolicy drop', async () => {
    const { server, events } = await start({ maxQueued: 256 * 1024, queuePolicy: 'drop' });
    const opened = once(events, 'open');
    const raw = await rawClient(server.port);
    const [ws] = (await bounded(opened, 'open')) as [WebSocketHandle];
    raw.socket.pause();
    const statuses = new Set<string>();
    for (let i = 0; i < 400 && !statuses.has('dropped'); i++) statuses.add(ws.send(new Uint8Array(16 * 1024)));
    expect(statuses.has('dropped')).toBe(true);
    expect(ws.readyState).toBe('open');
  });

  it('broadcasts one prepared message to every client', async () => {
    const { url, server, events } = await start();
    let opened = 0;
    events.on('open', () => opened++);
    const cs = await Promise.all([client(url), client(url), client(url)]);
    await bounded(
      (async () => {
        while (opened < 3) await once(events, 'open');
      })(),
      'three opens',
    );
    const got = cs.map((c) => messages(c, 2));
    expect(server.broadcast('to all')).toBe(3);
    expect(server.broadcast(Uint8Array.of(1, 2))).toBe(3);
    for (const m of await Promise.all(got)) expect(m.map(([b, d]) => [b, [...d]])).toEqual([[false, [...Buffer.from('to all')]], [true, [1, 2]]]);
  });
});

describe('permessage-deflate', () => {
  it('is negotiated with a ws client and compresses both ways', async () => {
    const { url, events } = await start({ deflate: { threshold: 100 } });
    const opened = once(events, 'open');
    const c = await client(url, undefined, { perMessageDeflate: { threshold: 0 } });
    const [ws] = (await bounded(opened, 'open')) as [WebSocketHandle];
    expect(c.extensions).toMatch(/permessage-deflate/);
    expect(ws.agreement?.deflate).not.toBeNull();
    const text = 'the quick brown fox jumps over the lazy dog '.repeat(50);
    c.send(text);
    c.send('short');
    c.send(Buffer.alloc(5000, 7));
    const got = await messages(c, 3);
    expect(got.map(([b, d]) => [b, b ? d.length : d.toString()])).toEqual([[false, text], [false, 'short'], [true, 5000]]);
    const stats = servers[0].stats();
    expect(stats.bytesReceived).toBeLessThan(text.length);
  });

  it('stays off unless asked for', async () => {
    const { url } = await start();
    const c = await client(url, undefined, { perMessageDeflate: true });
    expect(c.extensions).toBe('');
  });
});
