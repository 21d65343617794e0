// The WebSocket stream over a memory pair, driven by hand: messages assembled from
// fragments with control frames between them, pings answered, the closing handshake both
// ways, every failure with the close code it sends and the messages before it kept, the
// deadlines, and our client against our server.
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { Opcode } from '@simple-stream/frames';
import { memoryPair } from '@simple-stream/stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Message, WebSocket, WebSocketError, WebSocketErrorCode } from '../src/index.js';
import { bounded, clientFrame, closeBody, openServerPair, recvError, request, serverPair, str } from './helpers.js';

const T = Opcode.Text;
const B = Opcode.Binary;
const C = Opcode.Continuation;

describe('messages', () => {
  it('returns whole text and binary messages, as views that stay valid', () => {
    const { ws, peer } = openServerPair();
    peer.send(clientFrame(T, 'héllo'), clientFrame(B, Uint8Array.of(0, 1, 255)), clientFrame(T, ''));
    const got = ws.nbRecv();
    expect(got.map((m) => [m.binary, m.opcode])).toEqual([[false, T], [true, B], [false, T]]);
    expect(got[0].text()).toBe('héllo');
    expect([...got[1].payload]).toEqual([0, 1, 255]);
    peer.send(clientFrame(B, new Uint8Array(70_000).fill(9)));
    const big = ws.nbRecv();
    expect(big[0].payload.length).toBe(70_000);
    expect(got[0].text()).toBe('héllo'); // not overwritten by the later read
  });

  it('reassembles fragments, with pings and pongs between them, and answers each ping', () => {
    const { ws, peer } = openServerPair({ deliverPings: true });
    peer.send(
      clientFrame(T, 'frag', { fin: false }),
      clientFrame(Opcode.Ping, 'p1'),
      clientFrame(C, 'men', { fin: false }),
      clientFrame(Opcode.Pong, 'unsolicited'),
      clientFrame(C, 'ted', { fin: true }),
      clientFrame(B, Uint8Array.of(1), { fin: false }),
      clientFrame(C, Uint8Array.of(), { fin: false }),
      clientFrame(C, Uint8Array.of(2, 3), { fin: true }),
    );
    const got = ws.nbRecv();
    expect(got.map((m) => [m.opcode, str(m.payload)])).toEqual([
      [Opcode.Ping, 'p1'],
      [Opcode.Pong, 'unsolicited'],
      [T, 'fragmented'],
      [B, '\x01\x02\x03'],
    ]);
    expect(ws.lastPong).toBeGreaterThan(0);
    const pongs = peer.pump().frames.filter((f) => f.opcode === Opcode.Pong);
    expect(pongs.map((f) => str(f.payload))).toEqual(['p1']);
  });

  it('hides pings and pongs unless asked, answering pings all the same', () => {
    const { ws, peer } = openServerPair();
    peer.send(clientFrame(Opcode.Ping, Uint8Array.of(7, 7)), clientFrame(B, Uint8Array.of(1)));
    expect(ws.nbRecv().map((m) => m.opcode)).toEqual([B]);
    expect(peer.pump().frames.map((f) => [f.opcode, [...f.payload]])).toEqual([[Opcode.Pong, [7, 7]]]);
  });

  it('accepts a character split across fragments', () => {
    const { ws, peer } = openServerPair();
    const bytes = Buffer.from('a€b');
    peer.send(clientFrame(T, bytes.subarray(0, 2), { fin: false }), clientFrame(C, bytes.subarray(2, 3), { fin: false }), clientFrame(C, bytes.subarray(3)));
    expect(ws.nbRecv().map((m) => m.text())).toEqual(['a€b']);
  });

  it('sends messages as single unmasked frames (server) and masked ones (client)', async () => {
    const [a, b] = memoryPair();
    const server = WebSocket.accept(a);
    const client = WebSocket.connect(b, { host: 'example.com' });
    await Promise.all([server.bHandshake(), client.bHandshake()]);
    const sizes = [0, 125, 126, 65_535, 65_536, 200_000];
    const received: Message[] = [];
    const receiving = (async () => {
      while (received.length < sizes.length + 1) received.push(...(await bounded(server.bRecv(), 'messages')));
    })();
    for (const n of sizes) await client.bSend(new Message(new Uint8Array(n).fill(n & 0xff)));
    await client.bSend(Message.text('done'));
    await receiving;
    expect(received.map((m) => m.payload.length)).toEqual([...sizes, 4]);
    expect(received.every((m, i) => i === sizes.length || m.payload.every((x) => x === (sizes[i] & 0xff)))).toBe(true);
    const echoed: Message[] = [];
    const echoing = (async () => {
      while (echoed.length < received.length) echoed.push(...(await bounded(client.bRecv(), 'echoes')));
    })();
    for (const m of received) await server.bSend(m);
    await echoing;
    expect(echoed.map((m) => [m.opcode, m.payload.length])).toEqual(received.map((m) => [m.opcode, m.payload.length]));
  });
});

/** The close frame the peer got, as [code, reason]. */
function closeOf(frames: { opcode: number; payload: Uint8Array }[]): [number, string] | null {
  const f = frames.find((x) => x.opcode === Opcode.Close);
  if (f === undefined) return null;
  return f.payload.length < 2 ? [1005, ''] : [(f.payload[0] << 8) | f.payload[1], str(f.payload.subarray(2))];
}

describe('failures: the close code sent, the error thrown, the messages before it kept', () => {
  const cases: Array<[string, Uint8Array[], string, number]> = [
    ['invalid UTF-8 in a text message', [clientFrame(T, Uint8Array.of(0x61, 0xff))], WebSocketErrorCode.InvalidUtf8, 1007],
    ['an invalid sequence in the first fragment', [clientFrame(T, Uint8Array.of(0xc0, 0x80), { fin: false })], WebSocketErrorCode.InvalidUtf8, 1007],
    ['a fragmented text ending mid-character', [clientFrame(T, Uint8Array.of(0xe2, 0x82), { fin: false }), clientFrame(C, '')], WebSocketErrorCode.InvalidUtf8, 1007],
    ['invalid UTF-8 in a close reason', [clientFrame(Opcode.Close, closeBody(1000, Uint8Array.of(0xff)))], WebSocketErrorCode.InvalidUtf8, 1007],
    ['a close frame with a 1-byte body', [clientFrame(Opcode.Close, Uint8Array.of(3))], WebSocketErrorCode.InvalidCloseFrame, 1002],
    ['close code 1005', [clientFrame(Opcode.Close, closeBody(1005))], WebSocketErrorCode.InvalidCloseFrame, 1002],
    ['close code 999', [clientFrame(Opcode.Close, closeBody(999))], WebSocketErrorCode.InvalidCloseFrame, 1002],
    ['close code 2000', [clientFrame(Opcode.Close, closeBody(2000))], WebSocketErrorCode.InvalidCloseFrame, 1002],
    ['a continuation without a message', [clientFrame(C, 'x')], WebSocketErrorCode.ProtocolError, 1002],
    ['a message inside a fragmented one', [clientFrame(T, 'a', { fin: false }), clientFrame(B, 'b')], WebSocketErrorCode.ProtocolError, 1002],
    ['RSV1 without permessage-deflate', [clientFrame(B, 'x', { rsv: 0b100 })], WebSocketErrorCode.ProtocolError, 1002],
    ['an unmasked frame from a client', [clientFrame(B, 'x', { mask: false })], WebSocketErrorCode.ProtocolError, 1002],
    ['a reserved opcode', [clientFrame(3, 'x')], WebSocketErrorCode.ProtocolError, 1002],
    ['a fragmented ping', [clientFrame(Opcode.Ping, 'x', { fin: false })], WebSocketErrorCode.ProtocolError, 1002],
    ['a frame over maxMessage', [clientFrame(B, new Uint8Array(1025))], WebSocketErrorCode.MessageTooBig, 1009],
    ['fragments adding up to more than maxMessage', [clientFrame(B, new Uint8Array(600), { fin: false }), clientFrame(C, new Uint8Array(600), { fin: false })], WebSocketErrorCode.MessageTooBig, 1009],
  ];

  it.each(cases)('%s', (_, frames, code, closeCode) => {
    const { ws, peer } = openServerPair({ maxMessage: 1024 });
    peer.send(clientFrame(T, 'before'), ...frames, clientFrame(T, 'after'));
    const err = recvError(ws);
    expect(err).toBeInstanceOf(WebSocketError);
    expect([err.code, err.closeCode]).toEqual([code, closeCode]);
    expect((err.frames as Message[]).map((m) => m.text())).toEqual(['before']);
    expect(ws.readyState).toBe('closing');
    // Failed for good: every later call says so again.
    expect(() => ws.nbRecv()).toThrow(err);
    // What the messages before the failure make us send goes first (Autobahn 3.2), then the close frame.
    expect(ws.acceptsMessages).toBe(true);
    ws.nbSend(Message.text('echo of before'));
    ws.close();
    expect(peer.pump().frames.map((f) => (f.opcode === Opcode.Close ? closeOf([f]) : str(f.payload)))).toEqual(['echo of before', [closeCode, '']]);
    expect(ws.readyState).toBe('closed');
  });

  it('fails fast inside a text frame still arriving, at the piece with the invalid byte', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.nat(), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (text, where, cuts, valid) => {
        const good = Buffer.from(text);
        const at = where % (good.length + 1);
        // Valid text, or the same with a byte no UTF-8 has spliced in at `at`.
        const payload = valid ? good : Buffer.concat([good.subarray(0, at), Buffer.from([0xff]), good.subarray(at)]);
        const frame = clientFrame(T, payload);
        const header = frame.length - payload.length;
        const points = [...new Set(cuts.map((c) => c % frame.length))].filter((c) => c > 0).sort((a, b) => a - b);
        const { ws, peer } = openServerPair();
        let from = 0;
        for (const p of [...points, frame.length]) {
          peer.send(frame.slice(from, p));
          const complete = p === frame.length;
          if (!valid && p > header + at) {
            // The piece holding the bad byte fails, whole frame or not.
            expect(recvError(ws).closeCode).toBe(1007);
            return;
          }
          const got = ws.nbRecv();
          expect(got.map((m) => m.text())).toEqual(complete ? [text] : []);
          from = p;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fails fast: an invalid first fragment fails before the rest of the message exists', () => {
    const { ws, peer } = openServerPair();
    peer.send(clientFrame(T, Uint8Array.of(0x61, 0xed, 0xa0, 0x80), { fin: false }));
    expect(recvError(ws).closeCode).toBe(1007);
  });

  it('a peer that ends without a close frame is an abnormal closure (1006, nothing sent)', () => {
    const { ws, peer } = openServerPair();
    peer.send(clientFrame(T, 'last words'));
    peer.transport.shutdown();
    const err = recvError(ws);
    expect([err.code, err.closeCode]).toEqual([WebSocketErrorCode.AbnormalClosure, 1006]);
    expect((err.frames as Message[]).map((m) => m.text())).toEqual(['last words']);
    expect(closeOf(peer.pump().frames)).toBeNull();
  });
});

describe('the closing handshake', () => {
  it('peer first: echoes the code, ends, and keeps the peer’s code and reason', () => {
    const { ws, peer } = openServerPair();
    peer.send(clientFrame(T, 'bye soon'), clientFrame(Opcode.Close, closeBody(4001, 'done')), clientFrame(T, 'ignored'));
    expect(ws.nbRecv().map((m) => m.text())).toEqual(['bye soon']);
    expect(ws.ended).toBe(true);
    expect(ws.readyState).toBe('closed');
    expect(ws.peerClose).toEqual({ code: 4001, reason: 'done' });
    expect(closeOf(peer.pump().frames)).toEqual([4001, '']);
    expect(ws.nbRecv()).toEqual([]);
  });

  it('peer first with an empty close: echoes an empty close (1005)', () => {
    const { ws, peer } = openServerPair();
    peer.send(clientFrame(Opcode.Close, new Uint8Array(0)));
    ws.nbRecv();
    expect(ws.peerClose).toEqual({ code: 1005, reason: '' });
    expect(peer.pump().frames.map((f) => [f.opcode, f.payload.length])).toEqual([[Opcode.Close, 0]]);
  });

  it('us first: sends our close, drops later sends, still delivers messages, ends on the answer', () => {
    const { ws, peer } = openServerPair();
    ws.end(1000, 'going');
    expect(ws.readyState).toBe('closing');
    ws.nbSend(Message.text('dropped'));
    expect(closeOf(peer.pump().frames)).toEqual([1000, 'going']);
    expect(peer.frames).toHaveLength(1);
    peer.send(clientFrame(T, 'in flight'), clientFrame(Opcode.Ping, 'no pong now'), clientFrame(Opcode.Close, closeBody(1000)));
    expect(ws.nbRecv().map((m) => m.text())).toEqual(['in flight']);
    expect(ws.ended).toBe(true);
    expect(peer.pump().frames).toHaveLength(1);
  });

  it('our client: waits for the server to close TCP after the close frames', async () => {
    const [a, b] = memoryPair();
    const server = WebSocket.accept(a);
    const client = WebSocket.connect(b, { host: 'example.com' });
    await Promise.all([server.bHandshake(), client.bHandshake()]);
    client.end(1000, 'client done');
    expect(await bounded(server.bRecv(), 'the server to end')).toEqual([]);
    expect(server.ended).toBe(true);
    expect(server.peerClose).toEqual({ code: 1000, reason: 'client done' });
    // The server has answered but not closed TCP: the client is waiting for it.
    expect(client.nbRecv()).toEqual([]);
    expect(client.peerClose).toEqual({ code: 1000, reason: '' });
    expect(client.ended).toBe(false);
    server.close();
    expect(await bounded(client.bRecv(), 'the client to end')).toEqual([]);
    expect(client.ended).toBe(true);
  });
});

describe('deadlines', () => {
  it('closes when the peer does not answer our close within closeTimeoutMs', async () => {
    const { ws, peer } = openServerPair({ closeTimeoutMs: 50 });
    const started = performance.now();
    ws.end(1000);
    await peer.until(() => closeOf(peer.frames) !== null, 'our close frame');
    // Our side closing ends the peer's reads.
    await bounded(peer.transport.readable(), 'our side to close');
    expect(peer.pump().ended).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(ws.readyState).toBe('closed');
    expect(ws.error).toMatchObject({ code: WebSocketErrorCode.CloseTimeout, closeCode: 1006 });
  });

  it('pings a silent peer half way through idleTimeoutMs, and closes with 1001 at the limit', async () => {
    const { ws, peer } = openServerPair({ idleTimeoutMs: 120 });
    const started = performance.now();
    await peer.until(() => peer.frames.some((f) => f.opcode === Opcode.Ping), 'the idle ping');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    await peer.until(() => closeOf(peer.frames) !== null, 'the idle close');
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(closeOf(peer.frames)).toEqual([1001, '']);
    expect(ws.readyState).toBe('closed');
    expect(ws.error).toMatchObject({ code: WebSocketErrorCode.IdleTimeout, closeCode: 1001 });
  });

  it('a client fails when no 101 comes within handshakeTimeoutMs', async () => {
    const [, b] = memoryPair();
    const client = WebSocket.connect(b, { host: 'example.com', handshakeTimeoutMs: 50 });
    const err = await bounded(client.bHandshake().then(() => null, (e: unknown) => e), 'the handshake to fail');
    expect(err).toMatchObject({ code: WebSocketErrorCode.HandshakeTimeout });
  });
});

describe('sending before the handshake', () => {
  it('holds messages until the 101, then sends them first', async () => {
    const [a, b] = memoryPair();
    const server = WebSocket.accept(a);
    const client = WebSocket.connect(b, { host: 'example.com' });
    client.nbSend(Message.text('early'));
    await Promise.all([server.bHandshake(), client.bHandshake()]);
    await client.bSend(Message.text('late'));
    const got: Message[] = [];
    while (got.length < 2) got.push(...(await bounded(server.bRecv(), 'messages')));
    expect(got.map((m) => m.text())).toEqual(['early', 'late']);
  });
});

describe('permessage-deflate in the stream', () => {
  const offer = { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' };
  /** Raw DEFLATE of `text` as a message payload (sync flush, its 00 00 ff ff tail removed). */
  const deflated = (data: string | Uint8Array): Uint8Array => {
    const out = deflateRawSync(typeof data === 'string' ? Buffer.from(data) : data, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    return new Uint8Array(out.subarray(0, out.length - 4));
  };
  function compressedPair(options: Parameters<typeof serverPair>[0] = {}) {
    const pair = serverPair({ deflate: { threshold: 16 }, ...options });
    pair.peer.send(request(offer));
    pair.ws.nbRecv();
    expect(pair.peer.head?.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    return pair;
  }

  it('inflates whole and fragmented messages, with control frames between fragments', () => {
    const { ws, peer } = compressedPair({ deliverPings: true });
    const whole = deflated('compressed in one frame');
    const long = deflated('x'.repeat(5000));
    peer.send(
      clientFrame(T, whole, { rsv: 0b100 }),
      clientFrame(B, long.subarray(0, 5), { rsv: 0b100, fin: false }),
      clientFrame(Opcode.Ping, 'between'),
      clientFrame(C, long.subarray(5, 9), { fin: false }),
      clientFrame(C, long.subarray(9)),
      clientFrame(T, 'plain as well'),
    );
    const got = ws.nbRecv();
    expect(got.map((m) => [m.opcode, m.opcode === B ? m.payload.length : m.text()])).toEqual([
      [T, 'compressed in one frame'],
      [Opcode.Ping, 'between'],
      [B, 5000],
      [T, 'plain as well'],
    ]);
  });

  it('compresses what it sends over the threshold', () => {
    const { ws, peer } = compressedPair();
    ws.nbSend(Message.text('y'.repeat(1000)));
    ws.nbSend(Message.text('tiny'));
    const [big, tiny] = peer.pump().frames;
    expect([big.rsv, tiny.rsv]).toEqual([0b100, 0]);
    expect(inflateRawSync(Buffer.concat([big.payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString()).toBe('y'.repeat(1000));
  });

  const failures: Array<[string, () => Uint8Array[], string, number]> = [
    ['invalid compressed data', () => [clientFrame(B, Uint8Array.of(0xff, 0xff, 0xff), { rsv: 0b100 })], WebSocketErrorCode.InvalidCompressedData, 1007],
    ['compressed text that is not UTF-8', () => [clientFrame(T, deflated(Uint8Array.of(0x61, 0xff)), { rsv: 0b100 })], WebSocketErrorCode.InvalidUtf8, 1007],
    ['a bomb over maxMessage', () => [clientFrame(B, deflated(new Uint8Array(100_000)), { rsv: 0b100 })], WebSocketErrorCode.MessageTooBig, 1009],
    ['RSV1 on a continuation frame', () => [clientFrame(B, deflated('ab'), { rsv: 0b100, fin: false }), clientFrame(C, deflated('cd'), { rsv: 0b100 })], WebSocketErrorCode.ProtocolError, 1002],
    ['RSV1 on a ping', () => [clientFrame(Opcode.Ping, 'x', { rsv: 0b100 })], WebSocketErrorCode.ProtocolError, 1002],
  ];

  it.each(failures)('fails on %s', (_, frames, code, closeCode) => {
    const { ws, peer } = compressedPair({ maxMessage: 10_000 });
    peer.send(...frames());
    expect(recvError(ws)).toMatchObject({ code, closeCode });
    ws.close();
    expect(closeOf(peer.pump().frames)).toEqual([closeCode, '']);
  });

  it('refuses RSV1 when the client did not offer permessage-deflate', () => {
    const { ws, peer } = serverPair({ deflate: true });
    peer.send(request());
    ws.nbRecv();
    expect(peer.head?.headers['sec-websocket-extensions']).toBeUndefined();
    peer.send(clientFrame(B, deflated('abc'), { rsv: 0b100 }));
    expect(recvError(ws)).toMatchObject({ code: WebSocketErrorCode.ProtocolError, closeCode: 1002 });
  });
});
