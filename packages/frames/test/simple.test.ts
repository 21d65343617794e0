import { describe, expect, it } from 'vitest';
import { FrameError, SimpleFrame, SimpleFrameBuilder } from '@simple-stream/frames';

const builder = new SimpleFrameBuilder();

describe('SimpleFrame', () => {
  it('encodes 0x01, u16 big-endian length, payload, 0x17', () => {
    const frame = new SimpleFrame(Uint8Array.of(0xaa, 0xbb, 0xcc));
    expect([...frame.toBytes()]).toEqual([0x01, 0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x17]);
    expect(frame.byteLength).toBe(7);
    const big = new SimpleFrame(new Uint8Array(0x1234));
    expect([...big.toBytes().subarray(0, 3)]).toEqual([0x01, 0x12, 0x34]);
  });

  it('carries 0 to 65,535 bytes and refuses more with a RangeError', () => {
    expect(new SimpleFrame(new Uint8Array(0)).toBytes()).toEqual(Uint8Array.of(1, 0, 0, 0x17));
    expect(new SimpleFrame(new Uint8Array(65535)).byteLength).toBe(65539);
    expect(() => new SimpleFrame(new Uint8Array(65536))).toThrow(RangeError);
    expect(() => builder.build(new Uint8Array(65536))).toThrow(RangeError);
  });

  it('encodeInto writes at an offset and returns the length', () => {
    const target = new Uint8Array(10).fill(0xee);
    expect(new SimpleFrame(Uint8Array.of(9)).encodeInto(target, 3)).toBe(5);
    expect([...target]).toEqual([0xee, 0xee, 0xee, 1, 0, 1, 9, 0x17, 0xee, 0xee]);
  });
});

describe('SimpleFrameBuilder.decode', () => {
  it('returns null until the frame is complete, then the frame and its length', () => {
    const bytes = Uint8Array.of(1, 0, 2, 7, 8, 0x17, 0xff);
    for (let n = 0; n < 6; n++) expect(builder.decode(bytes.subarray(0, n))).toBeNull();
    const decoded = builder.decode(bytes);
    expect(decoded?.length).toBe(6);
    expect([...decoded!.frame.payload]).toEqual([7, 8]);
  });

  it('hands out the payload as a view, not a copy', () => {
    const bytes = Uint8Array.of(1, 0, 1, 42, 0x17);
    const frame = builder.decode(bytes)!.frame;
    expect(frame.payload.buffer).toBe(bytes.buffer);
    expect(frame.payload.byteOffset).toBe(3);
  });

  it('fails on a wrong start guard with the first byte', () => {
    const err = catchError(() => builder.decode(Uint8Array.of(0x02)));
    expect(err).toBeInstanceOf(FrameError);
    expect(err).toMatchObject({ code: 'SIMPLE_BAD_START', offset: 0 });
  });

  it('fails on a wrong end guard instead of shifting to the next frame', () => {
    const err = catchError(() => builder.decode(Uint8Array.of(1, 0, 2, 7, 8, 0x18)));
    expect(err).toMatchObject({ code: 'SIMPLE_BAD_END', offset: 5 });
  });

  it('refuses a declared length over maxPayload from the header alone', () => {
    const small = new SimpleFrameBuilder({ maxPayload: 10 });
    expect(small.maxFrameSize).toBe(14);
    const err = catchError(() => small.decode(Uint8Array.of(1, 0, 11)));
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', offset: 1 });
    expect(() => new SimpleFrameBuilder({ maxPayload: 65536 })).toThrow(RangeError);
    expect(() => small.build(new Uint8Array(11))).toThrow(RangeError);
  });

  it('decodeAt agrees with decode at an offset', () => {
    const bytes = Uint8Array.of(0xff, 0xff, 1, 0, 1, 5, 0x17, 0xff);
    const frame = builder.decodeAt(bytes, 2, 7)!;
    expect(frame.byteLength).toBe(5);
    expect([...frame.payload]).toEqual([5]);
    expect(builder.decodeAt(bytes, 2, 6)).toBeNull();
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
