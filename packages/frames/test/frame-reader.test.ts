import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Checksum32FrameBuilder,
  FrameError,
  FrameReader,
  SimpleFrameBuilder,
  WebSocketFrame,
  WebSocketFrameBuilder,
  type Decoded,
  type Frame,
  type FrameBuilder,
} from '@simple-stream/frames';
import { chunkAt, chunking, concat, payload, sameBytes, simplePayload, split } from './helpers.js';

/** A user's framer with no fast path: lines ending in '\n', at most `max` bytes each. */
class LineFrameBuilder implements FrameBuilder {
  constructor(readonly maxFrameSize = 1 << 16) {}
  decode(buf: Uint8Array): Decoded | null {
    const end = buf.indexOf(0x0a);
    if (end < 0) {
      if (buf.length >= this.maxFrameSize) throw new FrameError('LINE_TOO_LONG', 'no newline', this.maxFrameSize);
      return null;
    }
    return { frame: this.build(buf.subarray(0, end)), length: end + 1 };
  }
  build(payload: Uint8Array): Frame {
    return {
      payload,
      byteLength: payload.length + 1,
      toBytes: () => concat([payload, Uint8Array.of(0x0a)]),
    };
  }
}

interface Case {
  name: string;
  builder: () => FrameBuilder;
  /** Wire bytes of a valid frame carrying the payload. */
  encode: (p: Uint8Array) => Uint8Array;
  payload: fc.Arbitrary<Uint8Array>;
}

const cases: Case[] = [
  { name: 'Simple', builder: () => new SimpleFrameBuilder(), encode: (p) => new SimpleFrameBuilder().build(p).toBytes(), payload: simplePayload },
  {
    name: 'Checksum32',
    builder: () => new Checksum32FrameBuilder(),
    encode: (p) => new Checksum32FrameBuilder().build(p).toBytes(),
    payload,
  },
  {
    name: 'WebSocket (server side, masked frames)',
    builder: () => new WebSocketFrameBuilder({ role: 'server' }),
    encode: (p) => WebSocketFrame.binary(p, { mask: true }).toBytes(),
    payload,
  },
  {
    name: 'WebSocket (client side)',
    builder: () => new WebSocketFrameBuilder({ role: 'client' }),
    encode: (p) => new WebSocketFrameBuilder({ role: 'server' }).build(p).toBytes(),
    payload,
  },
  {
    name: 'a user builder without decodeAt (lines)',
    builder: () => new LineFrameBuilder(),
    encode: (p) => concat([p, Uint8Array.of(0x0a)]),
    payload: fc.uint8Array({ maxLength: 300 }).map((p) => p.map((b) => (b === 0x0a ? 0x0b : b))),
  },
];

/** Feeds chunks to a reader, checking its memory bound after each; returns the payloads. */
function feed(reader: FrameReader, chunks: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const chunk of chunks) {
    for (const frame of reader.push(chunk)) out.push(frame.payload.slice());
    expect(reader.retained).toBeLessThanOrEqual(reader.maxFrameSize);
    expect(reader.buffered).toBeLessThanOrEqual(reader.retained);
  }
  return out;
}

describe.each(cases)('FrameReader with $name', ({ builder, encode, payload: payloadArb }) => {
  it('gives the same frames, in order, for any chunking of any list of frames', () => {
    fc.assert(
      fc.property(fc.array(payloadArb, { maxLength: 12 }), chunking, (payloads, how) => {
        const stream = concat(payloads.map(encode));
        // One chunk per byte is exercised on streams small enough to stay fast.
        const chunks = how.kind === 'bytes' && stream.length > 4000 ? chunkAt(stream, [1, 2, 3]) : split(stream, how);
        const reader = new FrameReader(builder());
        const got = feed(reader, chunks);
        expect(sameBytes(got, payloads)).toBe(true);
        expect(reader.buffered).toBe(0);
      }),
      { numRuns: 120 },
    );
  });

  it('decodes a large frame delivered one byte at a time', () => {
    const big = new Uint8Array(65535).map((_, i) => 0x80 | ((i * 7) & 0x7f));
    const stream = concat([encode(big), encode(Uint8Array.of(1, 2, 3))]);
    const reader = new FrameReader(builder());
    const got = feed(reader, Array.from(stream, (b) => Uint8Array.of(b)));
    expect(sameBytes(got, [big, Uint8Array.of(1, 2, 3)])).toBe(true);
    expect(reader.buffered).toBe(0);
  });

  it('hands out frames whole inside a chunk as views of that chunk', () => {
    const chunk = concat([encode(Uint8Array.of(1, 2)), encode(Uint8Array.of(3))]);
    const frames = new FrameReader(builder()).push(chunk);
    expect(frames).toHaveLength(2);
    for (const frame of frames) expect(frame.payload.buffer).toBe(chunk.buffer);
  });

  it('keeps its own copy of an incomplete tail, so the caller may reuse its buffer', () => {
    const bytes = encode(Uint8Array.of(9, 8, 7, 6, 5));
    const reader = new FrameReader(builder());
    const reused = new Uint8Array(bytes.length);
    reused.set(bytes.subarray(0, 3));
    expect(reader.push(reused.subarray(0, 3))).toEqual([]);
    expect(reader.buffered).toBe(3);
    reused.fill(0xee);
    reused.set(bytes.subarray(3), 0);
    const frames = reader.push(reused.subarray(0, bytes.length - 3));
    expect(frames.map((f) => [...f.payload])).toEqual([[9, 8, 7, 6, 5]]);
  });
});

describe('FrameReader on bad input', () => {
  const small = [
    () => new SimpleFrameBuilder({ maxPayload: 200 }),
    () => new Checksum32FrameBuilder({ maxPayload: 200 }),
    () => new WebSocketFrameBuilder({ role: 'server', maxPayload: 200 }),
    () => new WebSocketFrameBuilder({ maxPayload: 200 }),
    () => new LineFrameBuilder(200),
  ];
  const valid = [
    (p: Uint8Array) => new SimpleFrameBuilder().build(p).toBytes(),
    (p: Uint8Array) => new Checksum32FrameBuilder().build(p).toBytes(),
    (p: Uint8Array) => WebSocketFrame.binary(p, { mask: true }).toBytes(),
    (p: Uint8Array) => WebSocketFrame.binary(p, { mask: true }).toBytes(),
    (p: Uint8Array) => concat([p.map((b) => (b === 0x0a ? 0 : b)), Uint8Array.of(0x0a)]),
  ];

  /** Random bytes, or valid frames with bytes flipped, inserted and removed. */
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc
      .tuple(
        fc.nat(small.length - 1),
        fc.array(fc.uint8Array({ maxLength: 250 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), {
          minLength: 1,
          maxLength: 6,
        }),
      )
      .map(([which, payloads, edits]) => {
        const bytes = [...concat(payloads.map(valid[which]))];
        for (const [at, value, op] of edits) {
          const i = at % (bytes.length + 1);
          if (op === 'set' && i < bytes.length) bytes[i] = value;
          else if (op === 'insert') bytes.splice(i, 0, value);
          else if (op === 'delete') bytes.splice(i, 1);
        }
        return Uint8Array.from(bytes);
      }),
  );

  it('gives frames or a FrameError, never another exception, within its memory bound', () => {
    fc.assert(
      fc.property(garbage, fc.nat(small.length - 1), chunking, (bytes, which, how) => {
        const reader = new FrameReader(small[which]());
        let failed: FrameError | null = null;
        try {
          feed(reader, split(bytes, how));
        } catch (err) {
          if (!(err instanceof FrameError)) throw err;
          failed = err;
        }
        if (failed !== null) {
          expect(reader.error).toBe(failed);
          expect(reader.buffered).toBe(0);
          expect(() => reader.push(Uint8Array.of(1))).toThrow(failed);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('gives the same frames and the same error for any chunking', () => {
    fc.assert(
      fc.property(garbage, fc.nat(small.length - 1), chunking, (bytes, which, how) => {
        const run = (chunks: Uint8Array[]) => {
          const reader = new FrameReader(small[which]());
          const frames: number[][] = [];
          try {
            for (const c of chunks) for (const f of reader.push(c.slice())) frames.push([...f.payload]);
          } catch (err) {
            if (!(err instanceof FrameError)) throw err;
            for (const f of err.frames) frames.push([...f.payload]);
            return { frames, error: err.code };
          }
          return { frames, error: null, buffered: reader.buffered };
        };
        expect(run(split(bytes, how))).toEqual(run([bytes]));
      }),
      { numRuns: 800 },
    );
  });

  it('delivers the valid frames that came before bad bytes on the error', () => {
    const builder = new SimpleFrameBuilder();
    const chunk = concat([builder.build(Uint8Array.of(1)).toBytes(), builder.build(Uint8Array.of(2)).toBytes(), Uint8Array.of(0x02)]);
    const reader = new FrameReader(builder);
    let error: FrameError | undefined;
    try {
      reader.push(chunk);
    } catch (err) {
      error = err as FrameError;
    }
    expect(error).toBeInstanceOf(FrameError);
    expect(error!.code).toBe('SIMPLE_BAD_START');
    expect(error!.frames.map((f) => [...f.payload])).toEqual([[1], [2]]);
  });

  it('refuses an over-long declared length at once, not after buffering it', () => {
    const reader = new FrameReader(new WebSocketFrameBuilder({ role: 'server', maxPayload: 1 << 20 }));
    const header = Uint8Array.of(0x82, 0xff, 0, 0, 0, 0, 0x10, 0, 0, 0);
    expect(() => reader.push(header)).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    expect(reader.retained).toBe(0);
  });

  it('bounds a framer that cannot tell the length: FRAME_TOO_LARGE at maxFrameSize', () => {
    // A line framer that never gives up by itself: only the reader's bound stops it.
    const patient: FrameBuilder = {
      maxFrameSize: 1000,
      decode: (buf) => new LineFrameBuilder(Infinity).decode(buf),
      build: (p) => new LineFrameBuilder().build(p),
    };
    const reader = new FrameReader(patient);
    expect(reader.push(new Uint8Array(600))).toEqual([]);
    expect(() => reader.push(new Uint8Array(600))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
    expect(new FrameReader(new LineFrameBuilder(), { maxFrameSize: 10 }).maxFrameSize).toBe(10);
  });

  it('applies its own maxFrameSize to whole frames too, whatever the chunking', () => {
    const frame = new SimpleFrameBuilder().build(new Uint8Array(20)).toBytes();
    for (const chunks of [[frame], [frame.subarray(0, 10), frame.subarray(10)]]) {
      const reader = new FrameReader(new SimpleFrameBuilder(), { maxFrameSize: 16 });
      expect(() => chunks.forEach((c) => reader.push(c))).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
    }
  });

  it('delivers the frames before an error once: a later push rethrows it without them', () => {
    const builder = new SimpleFrameBuilder();
    const reader = new FrameReader(builder);
    const bytes = concat([builder.build(Uint8Array.of(1)).toBytes(), Uint8Array.of(9)]);
    const first = (() => { try { reader.push(bytes); } catch (e) { return e as FrameError; } })();
    expect(first!.frames).toHaveLength(1);
    const again = (() => { try { reader.push(Uint8Array.of(1)); } catch (e) { return e as FrameError; } })();
    expect(again).toBe(first);
    expect(again!.frames).toHaveLength(0);
  });

  it('allocates a frame that spans chunks once, at its final size, from the length hint', () => {
    const frame = new SimpleFrameBuilder().build(new Uint8Array(40000).fill(3)).toBytes();
    const reader = new FrameReader(new SimpleFrameBuilder());
    reader.push(frame.subarray(0, 100));
    expect(reader.retained).toBe(40004);
    reader.push(frame.subarray(100, 30000));
    expect(reader.retained).toBe(40004);
    const [got] = reader.push(frame.subarray(30000));
    expect(got.payload.length).toBe(40000);
  });

  it('loses nothing when a user builder gives a wrong length hint', () => {
    const simple = new SimpleFrameBuilder();
    const payloads = [new Uint8Array(3000).fill(1), new Uint8Array(10).fill(2), new Uint8Array(5000).fill(3)];
    const stream = concat(payloads.map((p) => simple.build(p).toBytes()));
    for (const lie of [-7, +7, -4000, +100000]) {
      const liar: FrameBuilder = {
        maxFrameSize: simple.maxFrameSize,
        decode: (b) => simple.decode(b),
        build: (p) => simple.build(p),
        frameLength: (b, s, e) => {
          const n = simple.frameLength(b, s, e);
          return n < 0 ? n : n + lie;
        },
      };
      const reader = new FrameReader(liar);
      const got = chunkAt(stream, [700, 701, 5000, 5001, 6000]).flatMap((c) => reader.push(c).map((f) => f.payload));
      expect(sameBytes(got, payloads)).toBe(true);
      expect(reader.buffered).toBe(0);
    }
  });

  it('treats a builder that breaks the contract as a programming error', () => {
    const zero: FrameBuilder = { maxFrameSize: 10, decode: () => ({ frame: { payload: new Uint8Array(0), byteLength: 0, toBytes: () => new Uint8Array(0) }, length: 0 }), build: () => { throw new Error('unused'); } };
    expect(() => new FrameReader(zero).push(Uint8Array.of(1))).toThrow(RangeError);
    const overrun: FrameBuilder = { ...zero, decode: (b) => ({ frame: zero.decode(b)!.frame, length: b.length + 1 }) };
    expect(() => new FrameReader(overrun).push(Uint8Array.of(1))).toThrow(RangeError);
  });
});
