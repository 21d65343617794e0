// The framing of a WebSocket connection from its first byte: heads, then frames, decoded by
// the FrameReader every stream uses, whatever the chunking of the bytes.
import { FrameError, FrameReader, WebSocketFrame, type Frame } from '@simple-stream/frames';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEAD_TOO_LARGE, HeadFrame, UpgradeFrameBuilder } from '../src/upgrade-builder.js';
import { clientFrame, plainRequest, request } from './helpers.js';

const options = { maxHeadSize: 1024, maxPayload: 1 << 20, allowCompression: false };

/** Decodes `chunks` in turn with a fresh reader; returns the frames as short descriptions. */
function decode(role: 'server' | 'client', chunks: Uint8Array[]): string[] {
  const reader = new FrameReader<Frame>(new UpgradeFrameBuilder({ role, ...options }));
  const out: string[] = [];
  for (const chunk of chunks) {
    for (const f of reader.push(chunk)) {
      if (f instanceof HeadFrame) out.push(f.head === null ? `bad head ${f.error?.status}` : `head ${'method' in f.head ? f.head.method : f.head.status}`);
      else out.push(`frame ${(f as WebSocketFrame).opcode} ${Buffer.from(f.payload).toString()}`);
    }
  }
  return out;
}

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

describe('UpgradeFrameBuilder', () => {
  it('decodes the upgrade request, then the frames after it, however the bytes are cut', () => {
    const bytes = concat(request(), clientFrame(1, 'one'), clientFrame(2, 'two'));
    fc.assert(
      fc.property(fc.array(fc.nat(bytes.length), { maxLength: 10 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.slice(from, p));
          from = p;
        }
        expect(decode('server', chunks)).toEqual(['head GET', 'frame 1 one', 'frame 2 two']);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps decoding heads after plain requests (keep-alive)', () => {
    expect(decode('server', [concat(plainRequest(), plainRequest('HEAD / HTTP/1.1'), request())])).toEqual(['head GET', 'head HEAD', 'head GET']);
  });

  it('hands a malformed head over as a frame with its error', () => {
    expect(decode('server', [Buffer.from('NOT HTTP AT ALL\r\n\r\n')])).toEqual(['bad head 400']);
  });

  it('throws HTTP_HEAD_TOO_LARGE once maxHeadSize bytes hold no end of head', () => {
    const reader = new FrameReader<Frame>(new UpgradeFrameBuilder({ role: 'server', ...options }));
    expect(reader.push(Buffer.from(`GET / HTTP/1.1\r\nX: ${'a'.repeat(1000)}`))).toEqual([]);
    let err: unknown;
    try {
      reader.push(Buffer.from('a'.repeat(10)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).code).toBe(HEAD_TOO_LARGE);
  });

  it('does not let a frame header alone reserve more than 1 MiB', () => {
    const reader = new FrameReader<Frame>(new UpgradeFrameBuilder({ role: 'server', ...options, maxPayload: 100 << 20 }));
    reader.push(request());
    // A masked binary frame declaring 50 MiB, and its first 16 bytes of payload.
    const header = Uint8Array.of(0x82, 0x80 | 127, 0, 0, 0, 0, 0x03, 0x20, 0, 0, 1, 2, 3, 4);
    expect(reader.push(new Uint8Array(Buffer.concat([header, Buffer.alloc(16)])))).toEqual([]);
    expect(reader.retained).toBeLessThan(64 * 1024);
    // A small frame's length is still hinted: it is held in one allocation of its size.
    const small = new FrameReader<Frame>(new UpgradeFrameBuilder({ role: 'server', ...options }));
    small.push(request());
    small.push(clientFrame(2, new Uint8Array(300_000)).subarray(0, 100));
    expect(small.retained).toBe(300_000 + 14);
  });

  it('client: switches to frames after a 101 only, taking unmasked frames', () => {
    const ok = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
    expect(decode('client', [concat(ok, new WebSocketFrame(1, Buffer.from('hi')).toBytes())])).toEqual(['head 101', 'frame 1 hi']);
    expect(decode('client', [Buffer.from('HTTP/1.1 404 Not Found\r\n\r\nHTTP/1.1 200 OK\r\n\r\n')])).toEqual(['head 404', 'head 200']);
  });
});
