import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Checksum32Frame, Checksum32FrameBuilder, FrameError, checksum32 } from '@simple-stream/frames';

const builder = new Checksum32FrameBuilder();

describe('Checksum32Frame', () => {
  it('encodes u32 length, payload, u32 sum of the payload bytes', () => {
    const frame = new Checksum32Frame(Uint8Array.of(0xff, 0xff, 0x02));
    expect([...frame.toBytes()]).toEqual([0, 0, 0, 3, 0xff, 0xff, 0x02, 0, 0, 0x02, 0x00]);
    expect(frame.checksum).toBe(0x200);
    expect(frame.byteLength).toBe(11);
  });

  it('sums modulo 2^32', () => {
    // 17,000,000 bytes of 0xff sum to 4,335,000,000, which wraps past 2^32.
    const bytes = new Uint8Array(17_000_000).fill(0xff);
    expect(checksum32(bytes)).toBe((17_000_000 * 255) % 2 ** 32);
  });

  it('agrees with a naive sum for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(checksum32(bytes)).toBe(bytes.reduce((s, b) => (s + b) % 2 ** 32, 0));
      }),
    );
  });
});

describe('Checksum32FrameBuilder.decode', () => {
  it('round-trips and waits for the whole frame', () => {
    const bytes = new Checksum32Frame(Uint8Array.of(1, 2, 3)).toBytes();
    for (let n = 0; n < bytes.length; n++) expect(builder.decode(bytes.subarray(0, n))).toBeNull();
    const decoded = builder.decode(bytes)!;
    expect(decoded.length).toBe(11);
    expect([...decoded.frame.payload]).toEqual([1, 2, 3]);
  });

  it('fails on a wrong checksum, pointing at the checksum', () => {
    const bytes = new Checksum32Frame(Uint8Array.of(1, 2, 3)).toBytes();
    bytes[5] ^= 0x10;
    let err: unknown;
    try {
      builder.decode(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect(err).toMatchObject({ code: 'CHECKSUM_MISMATCH', offset: 7 });
  });

  it('refuses a declared length over maxPayload before the payload arrives', () => {
    const small = new Checksum32FrameBuilder({ maxPayload: 100 });
    expect(() => small.decode(Uint8Array.of(0, 0, 0, 101))).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    expect(() => builder.decode(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toThrow(FrameError);
    expect(() => small.build(new Uint8Array(101))).toThrow(RangeError);
  });
});
