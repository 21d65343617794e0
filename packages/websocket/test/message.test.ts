// Messages as frames: a Message encodes as the frames package's WebSocketFrame does, the
// MessageBuilder round-trips it, and a prepared message carries the same bytes.
import { Opcode, WebSocketFrame, WebSocketFrameBuilder } from '@simple-stream/frames';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Message, MessageBuilder, PreparedMessage, prepare } from '../src/index.js';

describe('Message', () => {
  it('encodes as an unmasked WebSocketFrame with FIN, at every length encoding', () => {
    for (const n of [0, 125, 126, 65_535, 65_536, 70_000]) {
      const payload = new Uint8Array(n).map((_, i) => i * 7);
      for (const opcode of [Opcode.Text, Opcode.Binary]) {
        const m = new Message(payload, opcode);
        const expected = new WebSocketFrame(opcode, payload).toBytes();
        expect(Buffer.from(m.toBytes()).equals(Buffer.from(expected))).toBe(true);
        expect(m.byteLength).toBe(expected.length);
      }
    }
  });

  it('makes control messages within their limits', () => {
    expect(Message.close(1000, 'bye').payload).toEqual(Uint8Array.of(0x03, 0xe8, 0x62, 0x79, 0x65));
    expect(Message.close().payload.length).toBe(0);
    expect(() => Message.close(1005)).toThrow(RangeError);
    expect(() => Message.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(() => Message.ping(new Uint8Array(126))).toThrow(RangeError);
    expect([Message.text('é').binary, Message.binary(Uint8Array.of(1)).binary, Message.text('é').text()]).toEqual([false, true, 'é']);
  });

  it('round-trips through MessageBuilder, which the frames package decodes too', () => {
    const builder = new MessageBuilder();
    const server = new WebSocketFrameBuilder({ role: 'client' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (payload) => {
        const bytes = builder.build(payload).toBytes();
        const decoded = builder.decode(bytes);
        expect(decoded?.length).toBe(bytes.length);
        expect(Buffer.from(decoded!.frame.payload).equals(Buffer.from(payload))).toBe(true);
        expect(decoded!.frame.binary).toBe(true);
        expect(Buffer.from(server.decode(bytes)!.frame.payload).equals(Buffer.from(payload))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe('prepare', () => {
  it('frames once, with the bytes a Message would have, text or binary', () => {
    const text = prepare('to everyone');
    expect(text).toBeInstanceOf(PreparedMessage);
    expect([text.opcode, Buffer.from(text.toBytes()).equals(Buffer.from(Message.text('to everyone').toBytes()))]).toEqual([Opcode.Text, true]);
    const bin = prepare(Uint8Array.of(1, 2, 3));
    const target = new Uint8Array(bin.byteLength + 3);
    expect(bin.encodeInto(target, 3)).toBe(bin.byteLength);
    expect([...target.subarray(3)]).toEqual([0x82, 3, 1, 2, 3]);
    expect(prepare(Buffer.from('as text'), false).opcode).toBe(Opcode.Text);
  });
});
