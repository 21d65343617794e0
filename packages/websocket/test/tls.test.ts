// WebSockets over TLS: serve() with a Secure stream under each connection, against the
// `ws` client over wss://, and dial() with a client context against our own server.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WS from 'ws';
import { Secure, TlsContext } from '@simple-stream/tls';
import { fileCerts } from '../../tls/test/certs.js';
import net from 'node:net';
import { DuplexTransport } from '@simple-stream/stream';
import { Message, WebSocket, dial, serve, type WebSocketHandle, type WebSocketServer } from '../src/index.js';
import { bounded } from './helpers.js';

const certs = fileCerts();

const servers: WebSocketServer[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 500 })));
});

/** A wss echo server; `seen` gets the TLS protocol of each connection's first message. */
async function wssEcho(options: Parameters<typeof serve>[0] = {}): Promise<{ server: WebSocketServer; seen: string[] }> {
  const seen: string[] = [];
  const server = await serve(
    { addr: '127.0.0.1', port: 0, tls: TlsContext.server(certs.server), ...options },
    {
      message(ws, data, isBinary) {
        seen.push(String((ws.stream.inner as Secure).protocol));
        ws.send(data, isBinary);
      },
    },
  );
  servers.push(server);
  return { server, seen };
}

describe('serve() over TLS', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)('echoes to a ws client over wss:// (%s)', async (version) => {
    const { server, seen } = await wssEcho();
    const c = new WS(`wss://localhost:${server.port}/secure`, { ca: certs.ca.cert, minVersion: version, maxVersion: version });
    closers.push(() => c.terminate());
    c.on('error', () => {});
    await bounded(once(c, 'open'), 'wss open');
    const big = Buffer.alloc(100_000, 5);
    c.send('over tls');
    c.send(big);
    const got: Array<[Buffer, boolean]> = [];
    await bounded(
      new Promise<void>((resolve) => c.on('message', (d: Buffer, b: boolean) => got.push([d, b]) === 2 && resolve())),
      'the echoes',
    );
    expect(got[0][0].toString()).toBe('over tls');
    expect(got[1][1] && got[1][0].equals(big)).toBe(true);
    expect(seen[0]).toBe(version);
    c.close(1000);
    expect((await bounded(once(c, 'close'), 'the close'))[0]).toBe(1000);
  });

  it('refuses a client that speaks plain WebSocket to the TLS port, and serves others', async () => {
    const { server } = await wssEcho();
    const plain = new WS(`ws://127.0.0.1:${server.port}/`);
    closers.push(() => plain.terminate());
    const failed = new Promise((resolve) => plain.on('error', resolve));
    await bounded(failed, 'the plain client to fail');
    const c = new WS(`wss://localhost:${server.port}/`, { ca: certs.ca.cert });
    closers.push(() => c.terminate());
    await bounded(once(c, 'open'), 'wss open');
  });
});

describe('WebSocket.connect over TLS on a net.Socket', () => {
  it('does the TLS and WebSocket handshakes with the blocking calls, then echoes', async () => {
    const { server } = await wssEcho();
    const socket = net.connect(server.port, '127.0.0.1');
    closers.push(() => socket.destroy());
    socket.on('error', () => {});
    await bounded(once(socket, 'connect'), 'connect');
    const ws = WebSocket.connect(new DuplexTransport(socket), { host: `localhost:${server.port}`, tls: TlsContext.client({ ca: certs.ca.cert }) });
    await bounded(ws.bHandshake(), 'the handshakes');
    expect((ws.inner as Secure).authorized).toBe(true);
    await ws.bSend(Message.text('tls over a Duplex'));
    expect((await bounded(ws.bRecv(), 'the echo')).map((m) => m.text())).toEqual(['tls over a Duplex']);
  });
});

describe('dial() over TLS', () => {
  it('connects to our own wss server, verifying its certificate', async () => {
    const { server } = await wssEcho();
    const echoed = new Promise<string>((resolve) => {
      void dial(
        { port: server.port, host: `localhost:${server.port}`, tls: TlsContext.client({ ca: certs.ca.cert }) },
        { message: (_, data) => resolve(Buffer.from(data).toString()) },
      ).then((ws: WebSocketHandle) => {
        closers.push(() => ws.close());
        expect((ws.stream.inner as Secure).authorized).toBe(true);
        ws.send('hello over tls');
      });
    });
    expect(await bounded(echoed, 'the echo')).toBe('hello over tls');
  });

  it('fails when the certificate does not verify', async () => {
    const { server } = await wssEcho();
    const err = await bounded(
      dial({ port: server.port, host: `localhost:${server.port}`, tls: TlsContext.client({ ca: certs.otherCa.cert }) }, { message: () => {} }).then(
        () => null,
        (e: unknown) => e,
      ),
      'dial to fail',
    );
    expect(err).toMatchObject({ name: 'TlsError' });
  });
});
