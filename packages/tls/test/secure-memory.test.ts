// Secure against Secure over an in-memory pair: framing, short reads and writes, the
// handshake's failures, close_notify, and truncation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Checksum32Frame, Checksum32FrameBuilder, FrameError, SimpleFrameBuilder, type Frame, type FrameBuilder } from '@simple-stream/frames';
import { END, ReadArena, memoryPair, type MemoryTransport } from '@simple-stream/stream';
import { Secure, TlsContext, TlsError, type TlsVersion } from '../src/index.js';
import { makeCerts, type Certs } from './certs.js';
import { SIZES, copy, drive, handshake, payload, sameBytes, securePair } from './helpers.js';

let certs: Certs;
let server: TlsContext;
let client: TlsContext;
beforeAll(() => {
  certs = makeCerts();
  server = TlsContext.server({ cert: certs.server.cert, key: certs.server.key });
  client = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' });
});
afterAll(() => certs.remove());

const framings: Array<{ name: string; builder: FrameBuilder; max: number }> = [
  { name: 'Simple', builder: new SimpleFrameBuilder(), max: 65_535 },
  { name: 'Checksum32', builder: new Checksum32FrameBuilder(), max: 65_536 },
];
const versions: TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];

/** Reads everything a raw transport holds now. */
function drain(t: MemoryTransport): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = t.read(buf, 0, buf.length);
    if (n <= 0) break;
    chunks.push(buf.slice(0, n));
  }
  return Buffer.concat(chunks);
}

describe.each(framings)('$name frames', ({ builder, max }) => {
  it.each(versions)('cross %s intact in both directions, 0 B to 64 KiB', (version) => {
    const ctx = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost', minVersion: version, maxVersion: version });
    const { server: s, client: c } = securePair(builder, server, ctx);
    const sizes = [...SIZES, max];
    sizes.forEach((n, i) => c.nbSendPayload(payload(n, i)));
    const toServer: Frame[] = [];
    const toClient: Frame[] = [];
    for (let step = 0; toClient.length < sizes.length; step++) {
      expect(step).toBeLessThan(1000);
      for (const f of s.nbRecv()) {
        toServer.push({ ...f, payload: copy(f.payload) } as Frame);
        s.nbSendPayload(f.payload);
      }
      for (const f of c.nbRecv()) toClient.push({ ...f, payload: copy(f.payload) } as Frame);
    }
    expect(s.protocol).toBe(version);
    expect(c.protocol).toBe(version);
    sizes.forEach((n, i) => {
      expect(sameBytes(toServer[i].payload, payload(n, i))).toBe(true);
      expect(sameBytes(toClient[i].payload, payload(n, i))).toBe(true);
    });
  });

  it('loses and reorders nothing for any pattern of short reads and writes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 5000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 6000 }),
        fc.integer({ min: 1, max: 6000 }),
        fc.integer({ min: 1, max: 40_000 }),
        fc.integer({ min: 64, max: 20_000 }),
        fc.boolean(),
        (sent, maxRead, maxWrite, capacity, arenaSize, corked) => {
          const arena = new ReadArena(arenaSize, Math.min(64, arenaSize));
          const { server: s, client: c } = securePair(builder, server, client, {
            pair: { maxRead, maxWrite, capacity },
            server: { arena },
            client: { arena },
          });
          if (corked) c.cork();
          let next = 0;
          const got: Uint8Array[] = [];
          for (let step = 0; got.length < sent.length; step++) {
            expect(step).toBeLessThan(100_000);
            if (next < sent.length && !c.blocked) c.nbSendPayload(sent[next++]);
            else if (corked && next === sent.length && step % 7 === 0) c.uncork();
            else c.flush();
            c.nbRecv();
            s.flush();
            for (const f of s.nbRecv()) got.push(copy(f.payload));
          }
          expect(got).toEqual(sent);
          s.close();
          c.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** What `run` throws; undefined when it returns. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('the end of a TLS stream', () => {
  const builder = new SimpleFrameBuilder();

  it("reads the peer's close_notify as END, and keeps the other direction open", () => {
    const { server: s, client: c } = securePair(builder, server, client);
    handshake(s, c);
    c.nbSendPayload(payload(10));
    c.shutdown();
    const frames = s.nbRecv();
    expect(frames.map((f) => f.payload)).toEqual([payload(10)]);
    expect(s.ended).toBe(true);
    // Half-closed: the server still sends, the client still reads.
    s.nbSendPayload(payload(20));
    expect(c.nbRecv().map((f) => copy(f.payload))).toEqual([payload(20)]);
    expect(c.ended).toBe(false);
    s.shutdown();
    expect(c.nbRecv()).toEqual([]);
    expect(c.ended).toBe(true);
    expect(() => c.nbSendPayload(payload(1))).toThrow(RangeError);
  });

  it('reads a clean end between records without close_notify as END, unless asked not to', () => {
    for (const requireCloseNotify of [false, true]) {
      const { server: s, client: c } = securePair(builder, server, client, { server: { requireCloseNotify } });
      handshake(s, c);
      c.nbSendPayload(payload(5));
      c.transport.shutdown(); // no close_notify
      if (!requireCloseNotify) {
        expect(s.nbRecv()).toHaveLength(1);
        expect(s.ended).toBe(true);
      } else {
        const error = thrownBy(() => s.nbRecv());
        expect(error).toBeInstanceOf(TlsError);
        expect((error as TlsError).code).toBe('UNEXPECTED_EOF_WHILE_READING');
      }
    }
  });

  it('fails on a record cut short by the end of the transport', () => {
    // The client writes to its own pair; we relay only part of a record to the server.
    const [sT, sPeer] = memoryPair();
    const [cT, cPeer] = memoryPair();
    const s = new Secure(sT, builder, server);
    const c = new Secure(cT, builder, client);
    for (let i = 0; i < 20 && !(s.handshakeComplete && c.handshakeComplete); i++) {
      c.nbRecv();
      const toServer = drain(cPeer);
      if (toServer.length > 0) sPeer.write(toServer, 0, toServer.length);
      s.nbRecv();
      const toClient = drain(sPeer);
      if (toClient.length > 0) cPeer.write(toClient, 0, toClient.length);
    }
    expect(s.handshakeComplete && c.handshakeComplete).toBe(true);
    c.nbSendPayload(payload(3000));
    const record = drain(cPeer);
    sPeer.write(record, 0, 1000);
    sPeer.shutdown();
    expect(() => s.nbRecv()).toThrow(TlsError);
    expect(s.error?.code).toBe('UNEXPECTED_EOF_WHILE_READING');
    expect(() => s.nbRecv()).toThrow(s.error!); // the same error, every time
  });

  it('reports a peer that closes without a byte (a port probe) as a plain END', () => {
    const [a, b] = memoryPair();
    const s = new Secure(a, builder, server);
    b.close();
    expect(s.nbRecv()).toEqual([]);
    expect(s.ended).toBe(true);
  });

  it('fails a client whose server closes during the handshake', () => {
    const [a, b] = memoryPair();
    const c = new Secure(a, builder, client);
    c.flush(); // the ClientHello
    expect(drain(b).length).toBeGreaterThan(0);
    b.close();
    expect(() => c.nbRecv()).toThrow(TlsError);
  });
});

describe('bad input', () => {
  const builder = new Checksum32FrameBuilder();

  it.each([
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['random bytes', Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8])],
    ['an SSH banner', Buffer.from('SSH-2.0-OpenSSH_9.6\r\n')],
  ])('%s instead of a ClientHello is a TlsError, with an alert or nothing for the peer', (_, garbage) => {
    const [a, b] = memoryPair();
    const s = new Secure(a, builder, server);
    b.write(garbage, 0, garbage.length);
    const error = thrownBy(() => s.nbRecv());
    expect(error).toBeInstanceOf(TlsError);
    expect((error as TlsError).code).toMatch(/^[A-Z0-9_]+$/);
    expect((error as TlsError).library).toBe('SSL routines');
    expect(s.handshakeComplete).toBe(false);
    const reply = drain(b);
    if (reply.length > 0) expect(reply[0]).toBe(0x15); // an alert record
    expect(() => s.flush()).toThrow(error as Error);
    s.close();
    expect(b.read(new Uint8Array(10), 0, 10)).toBe(END);
  });

  it('delivers the frames before bad frame bytes with the FrameError', () => {
    const { server: s, client: c } = securePair(builder, server, client);
    handshake(s, c);
    c.cork();
    c.nbSendPayload(payload(10, 1));
    c.nbSendPayload(payload(20, 2));
    c.nbSend(new Checksum32Frame(payload(30, 3), 12345)); // a wrong checksum
    c.uncork();
    const error = thrownBy(() => s.nbRecv());
    expect(error).toBeInstanceOf(FrameError);
    expect((error as FrameError).frames.map((f) => f.payload)).toEqual([payload(10, 1), payload(20, 2)]);
  });

  it('fails both sides when no protocol version is shared', () => {
    const s12 = TlsContext.server({ cert: certs.server.cert, key: certs.server.key, maxVersion: 'TLSv1.2' });
    const c13 = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost', minVersion: 'TLSv1.3' });
    const { server: s, client: c } = securePair(builder, s12, c13);
    expect(() => drive(s, c, () => false, 20)).toThrow(TlsError);
    expect(s.error?.code).toBe('UNSUPPORTED_PROTOCOL');
    expect(() => c.nbRecv()).toThrow(TlsError);
    expect(c.error?.code).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/);
  });
});
