// The server's opening handshake over a memory pair: the 101 for a good request (accept
// key, subprotocol, the upgrade hook's fields and data), and every refusal with its
// status and headers, the connection failing with a WebSocketError that says why.
import { describe, expect, it } from 'vitest';
import { Message, WebSocketErrorCode, acceptKey, type WebSocketServerOptions } from '../src/index.js';
import { KEY, clientFrame, plainRequest, recvError, request, serverPair, str } from './helpers.js';

/** Sends `bytes` to a fresh server WebSocket; returns the head it answered and the failure. */
function answer(bytes: Uint8Array, options: WebSocketServerOptions = {}) {
  const { ws, peer } = serverPair(options);
  peer.send(bytes);
  let error: ReturnType<typeof recvError> | null = null;
  try {
    ws.nbRecv();
  } catch (err) {
    error = err as ReturnType<typeof recvError>;
  }
  return { ws, peer, head: peer.head, error };
}

describe('accepting', () => {
  it('computes the accept key of RFC 6455 1.3', () => {
    expect(acceptKey(KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('answers a good request with 101 and the accept key, and completes the handshake', () => {
    const { ws, head, error } = answer(request());
    expect(error).toBeNull();
    expect(head?.status).toBe(101);
    expect(head?.headers).toMatchObject({ upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' });
    expect(head?.headers['sec-websocket-protocol']).toBeUndefined();
    expect(ws.handshakeComplete).toBe(true);
    expect(ws.readyState).toBe('open');
    const req = ws.agreement?.head;
    expect(req).toMatchObject({ method: 'GET', target: '/chat?room=1', path: '/chat', query: 'room=1' });
  });

  it('takes header names in any case, tokens in lists, and repeated Connection fields', () => {
    const bytes = Buffer.from(
      'GET / HTTP/1.1\r\nhOsT: x\r\nUPGRADE: h2c, WebSocket\r\nconnection: keep-alive\r\nConnection: UPGRADE\r\n' +
        `sec-websocket-key: ${KEY}\r\nSec-Websocket-Version: 13\r\n\r\n`,
    );
    expect(answer(bytes).head?.status).toBe(101);
  });

  it('chooses the first offered subprotocol it speaks, or none', () => {
    const offer = { 'Sec-WebSocket-Protocol': 'v3.chat, v2.chat' };
    expect(answer(request(offer), { protocols: ['v1.chat', 'v2.chat', 'v3.chat'] }).head?.headers['sec-websocket-protocol']).toBe('v3.chat');
    const none = answer(request(offer), { protocols: ['v9'] });
    expect([none.head?.status, none.head?.headers['sec-websocket-protocol'], none.ws.protocol]).toEqual([101, undefined, null]);
    const picked = answer(request(offer), { protocols: (offered) => offered[1] });
    expect([picked.head?.headers['sec-websocket-protocol'], picked.ws.protocol]).toEqual(['v2.chat', 'v2.chat']);
  });

  it('lets the upgrade hook see the request, choose the protocol, add fields and set data', () => {
    let seen = '';
    const { ws, head } = answer(request({ Origin: 'https://good.example', 'Sec-WebSocket-Protocol': 'a, b' }), {
      protocols: ['a', 'b'],
      upgrade(req) {
        seen = `${req.header('origin')} ${req.path}`;
        return { protocol: 'b', headers: { 'Set-Cookie': 'session=1' }, data: { user: 7 } };
      },
    });
    expect(seen).toBe('https://good.example /chat');
    expect(head?.status).toBe(101);
    expect(head?.headers['sec-websocket-protocol']).toBe('b');
    expect(head?.headers['set-cookie']).toBe('session=1');
    expect(ws.data).toEqual({ user: 7 });
  });

  it('sends the 101 before any message sent on the handshake, and frames pipelined after the request', () => {
    const { ws, peer } = serverPair({ onHandshake: (s) => s.nbSend(Message.text('welcome')) });
    peer.send(request(), clientFrame(1, 'eager'));
    expect(ws.nbRecv().map((m) => m.text())).toEqual(['eager']);
    expect(peer.head?.status).toBe(101);
    expect(peer.frames.map((f) => str(f.payload))).toEqual(['welcome']);
  });
});

describe('refusing', () => {
  const refusals: Array<[string, Uint8Array, number, Record<string, string>?]> = [
    ['a missing key', request({ 'Sec-WebSocket-Key': null }), 400],
    ['a key of 15 bytes', request({ 'Sec-WebSocket-Key': Buffer.alloc(15).toString('base64') }), 400],
    ['a key that is not base64', request({ 'Sec-WebSocket-Key': 'not base64 at all, sorry!' }), 400],
    ['two keys', Buffer.from(Buffer.from(request()).toString().replace('\r\n\r\n', `\r\nSec-WebSocket-Key: ${KEY}\r\n\r\n`)), 400],
    ['version 8', request({ 'Sec-WebSocket-Version': '8' }), 426, { 'sec-websocket-version': '13' }],
    ['no version', request({ 'Sec-WebSocket-Version': null }), 426, { 'sec-websocket-version': '13' }],
    ['no Host', request({ Host: null }), 400],
    ['no Connection: upgrade', request({ Connection: 'keep-alive' }), 400],
    ['POST', request({}, 'POST /chat HTTP/1.1'), 405, { allow: 'GET' }],
    ['HTTP/1.0', request({}, 'GET /chat HTTP/1.0'), 400],
    ['HTTP/2.0 in a request line', request({}, 'GET /chat HTTP/2.0'), 505],
    ['a body', request({ 'Content-Length': '5' }), 413],
    ['a chunked body', request({ 'Transfer-Encoding': 'chunked' }), 501],
    ['duplicate subprotocols', request({ 'Sec-WebSocket-Protocol': 'a, a' }), 400],
    ['a field without a colon', Buffer.from('GET / HTTP/1.1\r\nHost x\r\n\r\n'), 400],
    ['a folded field', Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\n continued\r\n\r\n`), 400],
    ['a space before the colon', Buffer.from(`GET / HTTP/1.1\r\nHost : x\r\n\r\n`), 400],
    ['garbage', Buffer.from('\x16\x03\x01\x02\x00 not http\r\n\r\n'), 400],
  ];

  it.each(refusals)('%s', (_, bytes, status, fields) => {
    const { ws, head, error } = answer(bytes);
    expect(head?.status).toBe(status);
    if (fields !== undefined) expect(head?.headers).toMatchObject(fields);
    expect(head?.headers.connection).toBe('close');
    expect(error).toMatchObject({ code: WebSocketErrorCode.BadRequest, status, closeCode: 1006 });
    expect(ws.handshakeComplete).toBe(false);
    expect(ws.readyState).toBe('closed');
  });

  it('answers 431 to a head over maxHeadSize, as soon as that many bytes came', () => {
    const { ws, peer } = serverPair({ maxHeadSize: 1024 });
    peer.send(Buffer.from(`GET / HTTP/1.1\r\nX-Filler: ${'a'.repeat(900)}`));
    expect(ws.nbRecv()).toEqual([]);
    peer.send(Buffer.from('a'.repeat(200)));
    expect(recvError(ws)).toMatchObject({ code: WebSocketErrorCode.BadRequest, status: 431 });
    expect(peer.head?.status).toBe(431);
  });

  it('refuses through the upgrade hook: false is 403, a response is sent as it is', () => {
    expect(answer(request(), { upgrade: () => false }).head?.status).toBe(403);
    const { head, error } = answer(request(), { upgrade: () => ({ status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: 'who are you?' }) });
    expect(head?.status).toBe(401);
    expect(head?.headers['www-authenticate']).toBe('Bearer');
    expect(head?.text.endsWith('who are you?')).toBe(true);
    expect(error).toMatchObject({ code: WebSocketErrorCode.UpgradeRefused, status: 401 });
  });

  it('answers 500 when a hook throws, or chooses a subprotocol that was not offered', () => {
    const boom = new Error('boom');
    const threw = answer(request(), { upgrade: () => { throw boom; } });
    expect(threw.head?.status).toBe(500);
    expect(threw.error).toMatchObject({ code: WebSocketErrorCode.HandlerThrew, cause: boom });
    expect(answer(request(), { upgrade: () => ({ protocol: 'never-offered' }) }).head?.status).toBe(500);
    expect(answer(request(), { upgrade: () => ({ headers: { 'Bad\r\nName': 'x' } }) }).head?.status).toBe(500);
    // An async hook would decide too late: a promise is refused, never taken for a yes.
    const async = answer(request(), { upgrade: (async () => ({ status: 401 })) as never });
    expect([async.head?.status, async.ws.handshakeComplete]).toEqual([500, false]);
  });
});

describe('plain HTTP on the same connection', () => {
  it('answers 426 without an http hook', () => {
    const { head, error } = answer(plainRequest());
    expect(head?.status).toBe(426);
    expect(head?.headers.upgrade).toBe('websocket');
    expect(error?.status).toBe(426);
  });

  it('serves keep-alive requests through the http hook, then upgrades the same connection', () => {
    const { ws, peer } = serverPair({
      http: (req) => (req.path === '/health' ? { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' } : undefined),
    });
    peer.send(plainRequest('GET /health HTTP/1.1'));
    expect(ws.nbRecv()).toEqual([]);
    expect(peer.head?.status).toBe(200);
    expect(peer.head?.text).toMatch(/Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok$/);
    const second = serverPair({ http: () => undefined });
    second.peer.send(plainRequest('GET /missing HTTP/1.1'), plainRequest('HEAD /missing HTTP/1.1', { Connection: 'close' }));
    second.ws.nbRecv();
    expect(second.peer.head?.status).toBe(404);
    // Both answered, in order; the HEAD answer announces the body's length but carries none.
    expect(second.peer.head?.text).toMatch(/^HTTP\/1.1 404 Not Found\r\n[^]*keep-alive\r\n\r\nnot found\n\r?\n?HTTP\/1.1 404 Not Found\r\n[^]*Content-Length: 10\r\nConnection: close\r\n\r\n$/);
    expect(second.ws.ended).toBe(true);
    expect(ws.ended).toBe(false);
    peer.send(request());
    ws.nbRecv();
    expect(ws.handshakeComplete).toBe(true);
  });

  it('ends after an HTTP/1.0 request, or Connection: close, with no error', () => {
    for (const bytes of [plainRequest('GET / HTTP/1.0'), plainRequest('GET / HTTP/1.1', { Connection: 'close' })]) {
      const { ws, head, error } = answer(bytes, { http: () => ({ status: 204 }) });
      expect([head?.status, head?.headers.connection, error, ws.ended]).toEqual([204, 'close', null, true]);
    }
  });
});
