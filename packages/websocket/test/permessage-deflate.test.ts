// PerMessageDeflate: round trips (with and without context takeover, every window size)
// against itself, node:zlib and the `ws` package; any fragmentation of the compressed
// bytes; the maxMessage bound against decompression bombs; invalid data; close().
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptOffer,
  deflateStats,
  InflateError,
  InflateErrorCode,
  PerMessageDeflate,
  type DeflateParams,
  type PerMessageDeflateOptions,
} from '../src/permessage-deflate.js';
import { concat } from '../../../fuzz/bytes.mjs';
import { WsPerMessageDeflate, extension } from './ws-deflate.js';

const TAIL = Uint8Array.of(0x00, 0x00, 0xff, 0xff);
const MAX = 64 << 20;
const TAKEOVER: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const NO_TAKEOVER: DeflateParams = { ...TAKEOVER, serverNoContextTakeover: true, clientNoContextTakeover: true };

function pair(params: DeflateParams, options: Partial<PerMessageDeflateOptions> = {}) {
  return {
    server: new PerMessageDeflate('server', params, { maxMessage: MAX, ...options }),
    client: new PerMessageDeflate('client', params, { maxMessage: MAX, ...options }),
  };
}

/** Text that compresses like chat or JSON traffic: words from a small vocabulary. */
function text(length: number, seed: number): Uint8Array {
  const words = ['alpha', 'beta', 'gamma', '{"id":', '"name":', 'true', 'null', '], ', 'status', 'ok'];
  let s = '';
  let x = seed >>> 0 || 1;
  while (s.length < length) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += words[x % words.length] + String(x % 97) + ' ';
  }
  return new TextEncoder().encode(s.slice(0, length));
}

/** Byte equality without vitest's element-by-element diffing (slow on megabytes). */
function same(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

function inflateError(run: () => unknown): InflateError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InflateError);
    return error as InflateError;
  }
  throw new Error('expected an InflateError');
}

/** Feeds a compressed message as fragments cut at `cuts` (offsets into it). */
function inflateFragments(pmd: PerMessageDeflate, payload: Uint8Array, cuts: readonly number[]): Uint8Array {
  const at = [...new Set([0, ...cuts.map((c) => c % (payload.length + 1)), payload.length])].sort((a, b) => a - b);
  for (let i = 0; i + 2 < at.length; i++) expect(pmd.inflate(payload.subarray(at[i], at[i + 1]), false)).toBeNull();
  return pmd.inflate(payload.subarray(at[at.length - 2] ?? 0, payload.length), true)!;
}

describe('round trips', () => {
  it('server to client and client to server, many messages in turn', () => {
    const { server, client } = pair(TAKEOVER);
    try {
      for (let i = 0; i < 50; i++) {
        const message = text(100 + i * 37, i);
        expect(client.inflate(server.deflate(message), true)).toEqual(message);
        expect(server.inflate(client.deflate(message), true)).toEqual(message);
      }
    } finally {
      server.close();
      client.close();
    }
  });

  it('with context takeover a repeated message costs a back-reference; without, the same bytes again', () => {
    const message = text(2000, 7);
    const takeover = pair(TAKEOVER);
    const fresh = pair(NO_TAKEOVER);
    try {
      const first = takeover.server.deflate(message);
      const second = takeover.server.deflate(message);
      expect(second.length).toBeLessThan(first.length / 10);
      expect(takeover.client.inflate(first, true)).toEqual(message);
      expect(takeover.client.inflate(second, true)).toEqual(message);

      const a = fresh.server.deflate(message);
      const b = fresh.server.deflate(message);
      expect(b).toEqual(a);
      expect(fresh.client.inflate(a, true)).toEqual(message);
      expect(fresh.client.inflate(b, true)).toEqual(message);
      // An inflater without takeover has no window left: the back-reference is invalid.
      expect(inflateError(() => fresh.client.inflate(second, true)).closeCode).toBe(1007);
    } finally {
      for (const p of [takeover.server, takeover.client, fresh.server, fresh.client]) p.close();
    }
  });

  it('each direction follows its own params', () => {
    // The server resets after every message; the client keeps its window.
    const params = { ...TAKEOVER, serverNoContextTakeover: true };
    const { server, client } = pair(params);
    try {
      const message = text(3000, 3);
      const s1 = server.deflate(message);
      expect(server.deflate(message)).toEqual(s1);
      const c1 = client.deflate(message);
      expect(client.deflate(message).length).toBeLessThan(c1.length / 10);
    } finally {
      server.close();
      client.close();
    }
  });

  it('returns fresh memory: later messages never overwrite an earlier result', () => {
    const { server, client } = pair(TAKEOVER);
    try {
      const a = text(500, 1);
      const b = text(500, 2);
      const pa = server.deflate(a);
      const got = client.inflate(pa, true)!;
      const pb = server.deflate(b);
      client.inflate(pb, true);
      expect(got).toEqual(a);
      expect(client.inflate(server.deflate(a), true)).toEqual(a);
      expect(pa).not.toEqual(pb);
    } finally {
      server.close();
      client.close();
    }
  });

  it('deflateView gives the same payload as deflate, in the shared buffer until the next call', () => {
    const a = pair(TAKEOVER);
    const b = pair(TAKEOVER);
    try {
      const message = text(2000, 8);
      const copy = a.server.deflate(message);
      const view = b.server.deflateView(message);
      expect(view).toEqual(copy);
      // The view is where inflate writes: refused as input rather than overwritten mid-call.
      expect(() => b.client.inflate(view, true)).toThrow(RangeError);
      expect(() => b.server.deflate(view)).toThrow(RangeError);
      const sent = view.slice();
      expect(b.client.inflate(sent, true)).toEqual(message);
      // That inflate reused the buffer the view points into.
      expect(view).not.toEqual(sent);
    } finally {
      for (const p of [a.server, a.client, b.server, b.client]) p.close();
    }
  });

  it('handles empty messages, empty fragments and a message of 1 byte', () => {
    const { server, client } = pair(TAKEOVER);
    try {
      for (const message of [new Uint8Array(0), Uint8Array.of(42), new Uint8Array(0), text(300, 5), new Uint8Array(0)]) {
        const payload = server.deflate(message);
        expect(client.inflate(new Uint8Array(0), false)).toBeNull();
        expect(client.inflate(payload, false)).toBeNull();
        expect(client.inflate(new Uint8Array(0), true)).toEqual(message);
      }
      // An RSV1 frame with no payload at all is an empty message too.
      expect(client.inflate(new Uint8Array(0), true)).toEqual(new Uint8Array(0));
    } finally {
      server.close();
      client.close();
    }
  });

  it('handles messages bigger than the per-thread output buffer, both ways', () => {
    const { server, client } = pair(TAKEOVER);
    try {
      const compressible = text(3 << 20, 11);
      const payload = server.deflate(compressible);
      expect(same(client.inflate(payload, true), compressible)).toBe(true);
      // Random bytes deflate to slightly more than themselves: over 256 KiB of output.
      const random = new Uint8Array(600_000);
      for (let i = 0; i < random.length; i += 65536) crypto.getRandomValues(random.subarray(i, i + 65536));
      const packed = server.deflate(random);
      expect(packed.length).toBeGreaterThan(random.length);
      expect(same(inflateFragments(client, packed, [1000, 300_000]), random)).toBe(true);
      // And the small path still works after the big ones.
      expect(client.inflate(server.deflate(Uint8Array.of(1, 2, 3)), true)).toEqual(Uint8Array.of(1, 2, 3));
    } finally {
      server.close();
      client.close();
    }
  });

  it.each([0, 1, 6, 9, -1])('round-trips at level %i', (level) => {
    const { server, client } = pair(TAKEOVER, { level });
    try {
      const message = text(5000, level + 20);
      const payload = server.deflate(message);
      if (level === 0) expect(payload.length).toBeGreaterThan(message.length);
      else expect(payload.length).toBeLessThan(message.length / 2);
      expect(client.inflate(payload, true)).toEqual(message);
    } finally {
      server.close();
      client.close();
    }
  });
});

describe('against node:zlib, every window size', () => {
  for (const bits of [8, 9, 10, 11, 12, 13, 14, 15]) {
    const params: DeflateParams = { ...TAKEOVER, serverMaxWindowBits: bits, clientMaxWindowBits: bits };

    it(`${bits} bits: zlib inflates our messages, as one stream with context takeover`, () => {
      const { server } = pair(params);
      try {
        const messages = Array.from({ length: 20 }, (_, i) => text(200 + 150 * i, bits * 100 + i));
        const stream = concat(messages.flatMap((m) => [server.deflate(m), TAIL]));
        expect(new Uint8Array(inflateRawSync(stream, { windowBits: bits, finishFlush: constants.Z_SYNC_FLUSH }))).toEqual(concat(messages));
      } finally {
        server.close();
      }
    });

    it(`${bits} bits: we inflate zlib's messages, with and without a final block`, () => {
      const { client } = pair({ ...params, serverNoContextTakeover: true });
      try {
        for (let i = 0; i < 10; i++) {
          const message = text(100 + 500 * i, bits + i);
          const synced = deflateRawSync(message, { windowBits: bits, finishFlush: constants.Z_SYNC_FLUSH });
          expect([...synced.subarray(-4)]).toEqual([...TAIL]);
          expect(client.inflate(synced.subarray(0, -4), true)).toEqual(message);
          // RFC 7692 7.2.3.5: a sender may end with BFINAL instead of a sync flush.
          const final = deflateRawSync(message, { windowBits: bits });
          expect(client.inflate(final, true)).toEqual(message);
        }
      } finally {
        client.close();
      }
    });
  }

  it('after a final block the sender starts afresh, even with context takeover', () => {
    const { client } = pair(TAKEOVER);
    try {
      const a = text(1000, 1);
      const b = text(1000, 2);
      expect(client.inflate(deflateRawSync(a), true)).toEqual(a);
      expect(client.inflate(deflateRawSync(b), true)).toEqual(b);
      expect(client.inflate(deflateRawSync(a, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4), true)).toEqual(a);
      // A stream after a final block, in the same message, is read as a new stream.
      const joined = concat([deflateRawSync(a), deflateRawSync(b, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4)]);
      expect(client.inflate(joined, true)).toEqual(concat([a, b]));
    } finally {
      client.close();
    }
  });
});

/** A ws PerMessageDeflate set up by ws's own negotiation with our server. */
function wsClient(offer: Record<string, unknown>): { ws: WsPerMessageDeflate; params: DeflateParams } {
  const ws = new WsPerMessageDeflate({ ...offer, threshold: 0 });
  const accepted = acceptOffer(extension.format({ 'permessage-deflate': [ws.offer()] }), {})!;
  ws.accept(extension.parse(accepted.response)['permessage-deflate']);
  return { ws, params: accepted.params };
}

const wsCall = (ws: WsPerMessageDeflate, method: 'compress' | 'decompress', data: Uint8Array): Promise<Uint8Array> =>
  new Promise((resolve, reject) => {
    ws[method](Buffer.from(data), true, (error: Error | null, result?: Buffer) => (error ? reject(error) : resolve(new Uint8Array(result!))));
  });

describe('against ws', () => {
  it.each([
    {},
    { serverNoContextTakeover: true, clientNoContextTakeover: true },
    { serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
    { serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
  ])('our server and a ws client read each other, message after message (ws offers %o)', async (offer) => {
    const { ws, params } = wsClient(offer);
    const server = new PerMessageDeflate('server', params, { maxMessage: MAX });
    try {
      for (let i = 0; i < 30; i++) {
        const message = text(64 + 211 * i, i);
        expect(await wsCall(ws, 'decompress', server.deflate(message))).toEqual(message);
        expect(server.inflate(await wsCall(ws, 'compress', message), true)).toEqual(message);
      }
    } finally {
      server.close();
      ws.cleanup();
    }
  });
});

describe('properties', () => {
  const message = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.string({ maxLength: 2000 }).map((s) => new TextEncoder().encode(s)),
    fc.tuple(fc.nat({ max: 20_000 }), fc.nat()).map(([n, seed]) => text(n, seed)),
  );
  const paramsArb = fc.record({
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
    clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
  });

  it('any messages, any params, any fragmentation of the compressed bytes: the same messages', () => {
    fc.assert(
      fc.property(
        paramsArb,
        fc.integer({ min: 0, max: 9 }),
        fc.array(fc.tuple(message, fc.array(fc.nat(), { maxLength: 6 })), { minLength: 1, maxLength: 8 }),
        (params, level, traffic) => {
          const { server, client } = pair(params, { level });
          try {
            for (const [m, cuts] of traffic) {
              expect(same(inflateFragments(client, server.deflate(m), cuts), m)).toBe(true);
              expect(same(inflateFragments(server, client.deflate(m), cuts), m)).toBe(true);
            }
          } finally {
            server.close();
            client.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('node:zlib reads any of our messages with the same window size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 15 }), fc.array(message, { minLength: 1, maxLength: 6 }), (bits, messages) => {
        const { server } = pair({ ...TAKEOVER, serverMaxWindowBits: bits });
        try {
          const stream = concat(messages.flatMap((m) => [server.deflate(m), TAIL]));
          expect(inflateRawSync(stream, { windowBits: bits, finishFlush: constants.Z_SYNC_FLUSH }).equals(concat(messages))).toBe(true);
        } finally {
          server.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('maxMessage', () => {
  it('allows a message of exactly maxMessage bytes and fails one byte more with 1009', () => {
    const max = 10_000;
    const { server, client } = pair(TAKEOVER, { maxMessage: max });
    const other = pair(TAKEOVER, { maxMessage: max + 1 });
    try {
      const exact = text(max, 1);
      expect(client.inflate(server.deflate(exact), true)).toEqual(exact);
      const over = other.server.deflate(text(max + 1, 2));
      const error = inflateError(() => inflateFragments(client, over, [10, 20]));
      expect(error.closeCode).toBe(1009);
      expect(error.code).toBe(InflateErrorCode.MessageTooBig);
      // The stream is out of step with the sender's now: later calls fail the same way.
      expect(inflateError(() => client.inflate(server.deflate(Uint8Array.of(1)), true))).toBe(error);
    } finally {
      for (const p of [server, client, other.server, other.client]) p.close();
    }
  });

  it('counts the whole message across fragments', () => {
    const { server, client } = pair(NO_TAKEOVER, { maxMessage: 5000 });
    try {
      const payload = server.deflate(text(6000, 3));
      const half = payload.length >> 1;
      expect(client.inflate(payload.subarray(0, half), false)).toBeNull();
      expect(inflateError(() => client.inflate(payload.subarray(half), true)).closeCode).toBe(1009);
    } finally {
      server.close();
      client.close();
    }
  });

  it('stops a decompression bomb at maxMessage: native memory never passes it by much', () => {
    // 1 MiB of zeros deflates to ~1 KiB of whole blocks; repeated, they stay one valid
    // stream. 256 copies: ~256 KiB that would inflate to 256 MiB.
    const block = deflateRawSync(new Uint8Array(1 << 20), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
    const bomb = concat(Array.from({ length: 256 }, () => block));
    expect(bomb.length).toBeLessThan(400_000);
    const maxMessage = 1 << 20;
    const client = new PerMessageDeflate('client', TAKEOVER, { maxMessage });
    const rssBefore = process.memoryUsage().rss;
    deflateStats(true);
    const before = deflateStats().heldBytes;
    try {
      const error = inflateError(() => client.inflate(bomb, true));
      expect(error.closeCode).toBe(1009);
      // zlib's inflate state and 32 KiB window come on top of the message buffer.
      expect(deflateStats().peakHeldBytes - before).toBeLessThan(maxMessage + 64 * 1024);
      // And the message buffer is given back at once: only zlib's state is left.
      expect(deflateStats().heldBytes - before).toBeLessThan(64 * 1024);
      // Had the bomb been inflated whole, 256 MiB would have shown up here.
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 << 20);
      // The same in fragments of 4 KiB.
      const fragmented = new PerMessageDeflate('client', TAKEOVER, { maxMessage });
      try {
        const error2 = inflateError(() => {
          for (let at = 0; at < bomb.length; at += 4096) fragmented.inflate(bomb.subarray(at, at + 4096), at + 4096 >= bomb.length);
        });
        expect(error2.closeCode).toBe(1009);
        expect(deflateStats().peakHeldBytes - before).toBeLessThan(2 * (maxMessage + 64 * 1024));
      } finally {
        fragmented.close();
      }
    } finally {
      client.close();
    }
  });
});

describe('invalid compressed data', () => {
  it.each([
    ['a reserved block type', Uint8Array.of(0xff, 0xff, 0xff, 0xff)],
    ['a stored block whose length check fails', Uint8Array.of(0x00, 0x05, 0x00, 0x00, 0x00)],
    // A fixed-Huffman block whose first symbol copies 3 bytes from distance 1: nothing is there.
    ['a distance before the start of the stream', Uint8Array.of(0x02, 0x02, 0x00)],
  ])('fails with 1007 on %s', (_, payload) => {
    const client = new PerMessageDeflate('client', TAKEOVER, { maxMessage: MAX });
    try {
      const error = inflateError(() => client.inflate(payload, true));
      expect(error.closeCode).toBe(1007);
      expect(error.code).toBe(InflateErrorCode.InvalidData);
      expect(error.message).toMatch(/invalid/);
    } finally {
      client.close();
    }
  });

  it('fails with 1007 on a message cut inside a block', () => {
    const { server, client } = pair(TAKEOVER);
    try {
      // A stored block that promises 1000 bytes and brings 10.
      const cut = concat([Uint8Array.of(0x00, 0xe8, 0x03, 0x17, 0xfc), new Uint8Array(10)]);
      const error = inflateError(() => client.inflate(cut, true));
      expect(error.closeCode).toBe(1007);
      expect(error.code).toBe(InflateErrorCode.Unfinished);
      // The same data whole is fine, and a truncated real message is caught too.
      const ok = new PerMessageDeflate('client', TAKEOVER, { maxMessage: MAX });
      const payload = server.deflate(text(5000, 9));
      try {
        expect(inflateError(() => ok.inflate(payload.subarray(0, payload.length - 30), true)).closeCode).toBe(1007);
      } finally {
        ok.close();
      }
    } finally {
      server.close();
      client.close();
    }
  });

  it('a reference into an earlier message beyond the negotiated window fails with 1007', () => {
    // The sender keeps a 32 KiB window; the receiver was promised 512 bytes. (Within one
    // message zlib reads back-references from its output and does not check them against
    // the window; across messages only the window holds the bytes.)
    const sender = new PerMessageDeflate('server', TAKEOVER, { maxMessage: MAX });
    const small = new PerMessageDeflate('client', { ...TAKEOVER, serverMaxWindowBits: 9 }, { maxMessage: MAX });
    const big = new PerMessageDeflate('client', TAKEOVER, { maxMessage: MAX });
    try {
      const message = text(4000, 1);
      const first = sender.deflate(message);
      const second = sender.deflate(message);
      expect(big.inflate(first, true)).toEqual(message);
      expect(big.inflate(second, true)).toEqual(message);
      expect(small.inflate(first, true)).toEqual(message);
      const error = inflateError(() => small.inflate(second, true));
      expect(error.closeCode).toBe(1007);
      expect(error.message).toMatch(/too far back/);
    } finally {
      for (const p of [sender, small, big]) p.close();
    }
  });

  it('one failing connection leaves the others working', () => {
    const bad = pair(TAKEOVER);
    const good = pair(TAKEOVER);
    try {
      const message = text(3000, 4);
      expect(good.client.inflate(good.server.deflate(message), true)).toEqual(message);
      inflateError(() => bad.client.inflate(Uint8Array.of(0xff, 0xff), true));
      expect(good.client.inflate(good.server.deflate(message), true)).toEqual(message);
      expect(bad.client.deflate(message).length).toBeGreaterThan(0);
    } finally {
      for (const p of [bad.server, bad.client, good.server, good.client]) p.close();
    }
  });
});

describe('lifecycle and settings', () => {
  it('close() is idempotent and later calls throw', () => {
    const pmd = new PerMessageDeflate('server', TAKEOVER, { maxMessage: MAX });
    expect(pmd.closed).toBe(false);
    pmd.deflate(text(100, 1));
    pmd.close();
    pmd.close();
    expect(pmd.closed).toBe(true);
    expect(() => pmd.deflate(Uint8Array.of(1))).toThrow(/after close/);
    expect(() => pmd.inflate(Uint8Array.of(1), true)).toThrow(/after close/);
  });

  it('compresses from the threshold on: 1024 bytes by default', () => {
    const pmd = new PerMessageDeflate('server', TAKEOVER, { maxMessage: MAX });
    const eager = new PerMessageDeflate('server', TAKEOVER, { maxMessage: MAX, threshold: 0 });
    try {
      expect(pmd.shouldCompress(1023)).toBe(false);
      expect(pmd.shouldCompress(1024)).toBe(true);
      expect(eager.shouldCompress(0)).toBe(true);
    } finally {
      pmd.close();
      eager.close();
    }
  });

  it('refuses bad arguments', () => {
    const make = (role: string, params: DeflateParams, maxMessage: number) => () =>
      new PerMessageDeflate(role as 'server', params, { maxMessage }).close();
    expect(make('peer', TAKEOVER, 1)).toThrow(TypeError);
    expect(make('server', { ...TAKEOVER, serverMaxWindowBits: 7 }, 1)).toThrow(RangeError);
    expect(make('server', { ...TAKEOVER, clientMaxWindowBits: 16 }, 1)).toThrow(RangeError);
    expect(make('server', TAKEOVER, -1)).toThrow(RangeError);
    expect(make('server', TAKEOVER, 2 ** 31)).toThrow(RangeError);
    expect(make('server', TAKEOVER, 0)).not.toThrow();
  });
});
