import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WebSocketFrame, WebSocketFrameBuilder } from '@simple-stream/frames';
import { native } from '@simple-stream/epoll-server';

function naive(bytes: Uint8Array, start: number, end: number, key: number): Uint8Array {
  const out = bytes.slice();
  for (let i = start; i < end; i++) out[i] ^= (key >>> (24 - 8 * ((i - start) & 3))) & 0xff;
  return out;
}

describe('the native mask', () => {
  it('equals the RFC 6455 definition for any range and key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (data, a, b, key) => {
        const start = a % (data.length + 1);
        const end = start + (b % (data.length - start + 1));
        const expected = naive(data, start, end, key);
        native.mask(data, start, end, key);
        expect(data).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a range outside the buffer', () => {
    expect(() => native.mask(new Uint8Array(4), 2, 5, 1)).toThrow(RangeError);
  });

  it('is what the frames package uses once this package is loaded (large masked frames decode)', () => {
    const payload = new Uint8Array(5000).map((_, i) => i * 13);
    const bytes = WebSocketFrame.binary(payload, { mask: 0xa1b2c3d4 }).toBytes();
    // Masked on the wire: not the payload.
    expect(Buffer.from(bytes.subarray(8)).equals(Buffer.from(payload))).toBe(false);
    const frame = new WebSocketFrameBuilder({ role: 'server' }).decode(bytes)!.frame;
    expect(Buffer.from(frame.payload).equals(Buffer.from(payload))).toBe(true);
  });
});
