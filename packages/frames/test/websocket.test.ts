import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FrameError,
  Opcode,
  Rsv,
  WebSocketFrame,
  WebSocketFrameBuilder,
  closeCodeFor,
  isValidCloseCode,
} from '@simple-stream/frames';

const any = new WebSocketFrameBuilder();
const server = new WebSocketFrameBuilder({ role: 'server' });
const client = new WebSocketFrameBuilder({ role: 'client' });
const HELLO = new TextEncoder().encode('Hello');
const KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

function decodeOne(builder: WebSocketFrameBuilder, bytes: number[] | Uint8Array) {
  const buf = Uint8Array.from(bytes);
  const decoded = builder.decode(buf);
  expect(decoded).not.toBeNull();
  expect(decoded!.length).toBe(buf.length);
  return decoded!.frame;
}

function codeOf(builder: WebSocketFrameBuilder, bytes: number[]): string {
  try {
    builder.decode(Uint8Array.from(bytes));
  } catch (err) {
    expect(err).toBeInstanceOf(FrameError);
    return (err as FrameError).code;
  }
  return 'no error';
}

describe('RFC 6455 section 5.7 examples, byte for byte', () => {
  const unmaskedHello = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
  const maskedHello = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];

  it('a single-frame unmasked text message', () => {
    expect([...WebSocketFrame.text('Hello').toBytes()]).toEqual(unmaskedHello);
    const frame = decodeOne(client, unmaskedHello);
    expect(frame).toMatchObject({ opcode: Opcode.Text, fin: true, masked: false });
    expect(frame.payload).toEqual(HELLO);
  });

  it('a single-frame masked text message', () => {
    expect([...WebSocketFrame.text('Hello', { mask: KEY }).toBytes()]).toEqual(maskedHello);
    const frame = decodeOne(server, maskedHello);
    expect(frame).toMatchObject({ opcode: Opcode.Text, masked: true, maskKey: 0x37fa213d });
    expect(frame.payload).toEqual(HELLO);
    // Re-encoding the decoded frame gives the same bytes.
    expect([...frame.toBytes()]).toEqual(maskedHello);
  });

  it('a fragmented unmasked text message', () => {
    const first = [0x01, 0x03, 0x48, 0x65, 0x6c];
    const last = [0x80, 0x02, 0x6c, 0x6f];
    expect([...WebSocketFrame.text('Hel', { fin: false }).toBytes()]).toEqual(first);
    expect([...WebSocketFrame.continuation(new TextEncoder().encode('lo')).toBytes()]).toEqual(last);
    expect(decodeOne(any, first)).toMatchObject({ opcode: Opcode.Text, fin: false });
    expect(decodeOne(any, last)).toMatchObject({ opcode: Opcode.Continuation, fin: true });
  });

  it('an unmasked ping and a masked pong', () => {
    const ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    const pong = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    expect([...WebSocketFrame.ping(HELLO).toBytes()]).toEqual(ping);
    expect([...WebSocketFrame.pong(HELLO, { mask: 0x37fa213d }).toBytes()]).toEqual(pong);
    expect(decodeOne(client, ping).payload).toEqual(HELLO);
    expect(decodeOne(server, pong)).toMatchObject({ opcode: Opcode.Pong, isControl: true });
  });

  it('256 bytes in a 16-bit length and 64 KiB in a 64-bit length', () => {
    const b256 = WebSocketFrame.binary(new Uint8Array(256)).toBytes();
    expect([...b256.subarray(0, 4)]).toEqual([0x82, 0x7e, 0x01, 0x00]);
    expect(b256.length).toBe(260);
    expect(decodeOne(any, b256).payload.length).toBe(256);
    const b64k = WebSocketFrame.binary(new Uint8Array(65536)).toBytes();
    expect([...b64k.subarray(0, 10)]).toEqual([0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(decodeOne(any, b64k).payload.length).toBe(65536);
  });
});

describe('WebSocketFrameBuilder rejects, each with its own code', () => {
  it('reserved opcodes 3-7 and 11-15', () => {
    for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) expect(codeOf(any, [0x80 | op])).toBe('WS_RESERVED_OPCODE');
  });

  it('RSV bits unless an extension allows them', () => {
    expect(codeOf(any, [0xc2])).toBe('WS_RSV_NOT_ALLOWED');
    expect(codeOf(any, [0xa2])).toBe('WS_RSV_NOT_ALLOWED');
    expect(codeOf(any, [0x92])).toBe('WS_RSV_NOT_ALLOWED');
    const deflate = new WebSocketFrameBuilder({ allowedRsv: Rsv.Rsv1 });
    expect(decodeOne(deflate, [0xc2, 0x00]).rsv).toBe(Rsv.Rsv1);
    expect(codeOf(deflate, [0xe2])).toBe('WS_RSV_NOT_ALLOWED');
  });

  it('control frames that are long or not FIN', () => {
    expect(codeOf(any, [0x89, 126])).toBe('WS_CONTROL_TOO_LONG');
    expect(codeOf(any, [0x88, 127])).toBe('WS_CONTROL_TOO_LONG');
    expect(codeOf(any, [0x09])).toBe('WS_CONTROL_FRAGMENTED');
    expect(decodeOne(any, [0x89, 125, ...new Uint8Array(125)]).payload.length).toBe(125);
  });

  it('a 64-bit length with its top bit set, and lengths not in the fewest bytes', () => {
    expect(codeOf(any, [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1])).toBe('WS_LENGTH_TOP_BIT');
    expect(codeOf(any, [0x82, 126, 0, 125])).toBe('WS_NON_MINIMAL_LENGTH');
    expect(codeOf(any, [0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff])).toBe('WS_NON_MINIMAL_LENGTH');
  });

  it('a payload over maxPayload, from the header alone', () => {
    const small = new WebSocketFrameBuilder({ maxPayload: 1000 });
    expect(codeOf(small, [0x82, 126, 0x03, 0xe9])).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(any, [0x82, 127, 0, 0, 0, 0x7f, 0, 0, 0, 0])).toBe('PAYLOAD_TOO_LARGE');
    expect(() => small.build(new Uint8Array(1001))).toThrow(RangeError);
  });

  it('unmasked frames on the server side, masked ones on the client side', () => {
    expect(codeOf(server, [0x82, 0x00])).toBe('WS_UNMASKED');
    expect(codeOf(client, [0x82, 0x80, 1, 2, 3, 4])).toBe('WS_MASKED');
    expect(decodeOne(any, [0x82, 0x80, 1, 2, 3, 4]).masked).toBe(true);
  });

  it('fails as soon as the offending byte arrives', () => {
    expect(codeOf(server, [0x82, 0x05])).toBe('WS_UNMASKED'); // payload not there yet
    expect(codeOf(any, [0x83])).toBe('WS_RESERVED_OPCODE');
  });

  it('maps errors to close codes: 1009 for size, 1002 for the rest', () => {
    const tooBig = new FrameError('PAYLOAD_TOO_LARGE', '', 1);
    expect(closeCodeFor(tooBig)).toBe(1009);
    expect(closeCodeFor(new FrameError('WS_UNMASKED', '', 1))).toBe(1002);
  });
});

describe('WebSocketFrame helpers', () => {
  it('close frames carry a code and a UTF-8 reason', () => {
    const frame = WebSocketFrame.close(1000, 'bye ✓');
    expect([...frame.payload.subarray(0, 2)]).toEqual([0x03, 0xe8]);
    const decoded = decodeOne(any, frame.toBytes());
    expect(decoded.closeCode).toBe(1000);
    expect(decoded.closeReason).toBe('bye ✓');
    expect(WebSocketFrame.close().closeCode).toBe(1005);
    expect(() => WebSocketFrame.close(1005)).toThrow(RangeError);
    expect(() => WebSocketFrame.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect([999, 1004, 1006, 1015, 2999, 5000].some(isValidCloseCode)).toBe(false);
    expect([1000, 1003, 1007, 1011, 3000, 4999].every(isValidCloseCode)).toBe(true);
  });

  it('control frames refuse long payloads and fragmentation', () => {
    expect(() => WebSocketFrame.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(() => WebSocketFrame.pong(new Uint8Array(0), { fin: false })).toThrow(RangeError);
  });

  it('the client side builds masked frames with fresh random keys; the server side unmasked', () => {
    const a = client.build(HELLO);
    const b = client.build(HELLO);
    expect(a.masked && b.masked).toBe(true);
    expect(a.maskKey).not.toBe(b.maskKey);
    expect(server.build(HELLO).masked).toBe(false);
    expect(decodeOne(server, a.toBytes()).payload).toEqual(HELLO);
  });

  it('its frameLength hint agrees with decode once the header is in', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70000 }), fc.option(fc.nat()), (data, key) => {
        const bytes = new WebSocketFrame(2, data, true, 0, key).toBytes();
        const header = bytes.length - data.length;
        for (let n = 0; n < header; n++) {
          const hint = any.frameLength(bytes, 0, n);
          expect(hint === -1 || hint === bytes.length).toBe(true);
        }
        expect(any.frameLength(bytes, 0, header)).toBe(bytes.length);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips every opcode, flag, length and mask', () => {
    const opcode = fc.constantFrom(0, 1, 2, 8, 9, 10);
    fc.assert(
      fc.property(opcode, fc.boolean(), fc.integer({ min: 0, max: 7 }), fc.option(fc.nat()), fc.uint8Array({ maxLength: 70000 }), (op, fin, rsv, key, data) => {
        const payload = op >= 8 ? data.subarray(0, 125) : data;
        const frame = new WebSocketFrame(op, payload, op >= 8 ? true : fin, rsv, key);
        const bytes = frame.toBytes();
        expect(bytes.length).toBe(frame.byteLength);
        const decoded = decodeOne(new WebSocketFrameBuilder({ allowedRsv: 7 }), bytes);
        expect(decoded).toMatchObject({ opcode: op, fin: frame.fin, rsv, masked: key !== null, maskKey: frame.maskKey });
        expect(decoded.payload).toEqual(payload);
      }),
      { numRuns: 200 },
    );
  });
});
