// How messages leave: a client's frames masked with a fresh key each (the caller's bytes
// untouched), compressed ones with RSV1, and a prepared message deflated once for every
// connection without context takeover.
import { FrameReader, Opcode, WebSocketFrameBuilder, type Frame } from '@simple-stream/frames';
import { Plain, memoryPair } from '@simple-stream/stream';
import { constants, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Message, PerMessageDeflate, prepare } from '../src/index.js';
import { MessageWriter } from '../src/message-writer.js';
import { UpgradeFrameBuilder } from '../src/upgrade-builder.js';

/** A writer's inner stream on a memory pair, and a reader of what it wrote (as the peer). */
function wire(peerRole: 'server' | 'client') {
  const [a, b] = memoryPair();
  const inner = new Plain<Frame>(a, new UpgradeFrameBuilder({ role: 'client', maxHeadSize: 1024, maxPayload: 1 << 20, allowCompression: true }));
  const reader = new FrameReader(new WebSocketFrameBuilder({ role: peerRole, allowedRsv: 0b100 }));
  const read = () => {
    const buf = new Uint8Array(1 << 20);
    const n = b.read(buf, 0, buf.length);
    return n > 0 ? reader.push(buf.subarray(0, n)) : [];
  };
  return { inner, read };
}

const params = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const unDeflate = (p: Uint8Array): Buffer => inflateRawSync(Buffer.concat([p, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });

describe('MessageWriter', () => {
  it('masks every client frame with its own key, leaving the caller’s bytes alone', () => {
    const { inner, read } = wire('server');
    const writer = new MessageWriter(true);
    const payload = Buffer.from('the same payload twice, please');
    const copy = Buffer.from(payload);
    writer.data(inner, new Message(payload, Opcode.Text));
    writer.data(inner, new Message(payload, Opcode.Text));
    const frames = read();
    expect(frames.map((f) => [f.masked, Buffer.from(f.payload).toString()])).toEqual([
      [true, copy.toString()],
      [true, copy.toString()],
    ]);
    expect(frames[0].maskKey).not.toBe(frames[1].maskKey);
    expect(payload.equals(copy)).toBe(true);
  });

  it('compresses messages over the threshold with RSV1, and only those', () => {
    const { inner, read } = wire('client');
    const writer = new MessageWriter(false);
    writer.deflate = new PerMessageDeflate('server', params, { threshold: 64, maxMessage: 1 << 20 });
    const long = 'a rather repetitive message, '.repeat(20);
    writer.data(inner, Message.text(long));
    writer.data(inner, Message.text('short'));
    writer.control(inner, Opcode.Ping, Buffer.from('never compressed'));
    const [big, small, ping] = read();
    expect([big.rsv, small.rsv, ping.rsv]).toEqual([0b100, 0, 0]);
    expect(big.payload.length).toBeLessThan(long.length / 4);
    expect(unDeflate(big.payload).toString()).toBe(long);
    writer.deflate.close();
  });

  it('deflates a prepared message once for all connections without context takeover', () => {
    const message = prepare('broadcast '.repeat(100));
    const a = new PerMessageDeflate('server', params, { threshold: 0, maxMessage: 1 << 20 });
    const b = new PerMessageDeflate('server', params, { threshold: 0, maxMessage: 1 << 20 });
    const takeover = new PerMessageDeflate('server', { ...params, serverNoContextTakeover: false }, { threshold: 0, maxMessage: 1 << 20 });
    const first = message.compressedFor(a);
    expect(message.compressedFor(b)).toBe(first);
    expect(message.compressedFor(takeover)).not.toBe(first);
    expect(unDeflate(first).toString()).toBe('broadcast '.repeat(100));
    for (const d of [a, b, takeover]) d.close();
  });
});
