import { MAX_CONTROL_PAYLOAD, Opcode, isValidCloseCode, webSocketHeaderLength, type Frame } from '@simple-stream/frames';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * One WebSocket message: what `WebSocket#nbRecv` returns and what `nbSend` takes.
 *
 * Received messages are whole (fragments reassembled, decompressed) text or binary data;
 * `payload` is a view that stays valid (never overwritten). A text message's payload has
 * been checked to be UTF-8; `text()` decodes it.
 *
 * For sending, `opcode` may also be a ping, pong or close (see the static helpers): the
 * WebSocket frames it for its role (masking, compression), so one Message can go to many
 * connections. As a {@link Frame}, it encodes as one unmasked, uncompressed frame (the
 * server's form), which `byteLength` measures.
 */
export class Message implements Frame {
  /** The application data. */
  readonly payload: Uint8Array;
  /** `Opcode.Text` or `Opcode.Binary` (or Ping, Pong, Close for control messages sent). */
  readonly opcode: number;
  readonly byteLength: number;

  constructor(payload: Uint8Array, opcode: number = Opcode.Binary) {
    this.payload = payload;
    this.opcode = opcode;
    this.byteLength = webSocketHeaderLength(payload.length, false) + payload.length;
  }

  /** A text message; a string is encoded as UTF-8 (bytes are sent as they are). */
  static text(data: string | Uint8Array): Message {
    return new Message(typeof data === 'string' ? encoder.encode(data) : data, Opcode.Text);
  }

  /** A binary message. */
  static binary(data: Uint8Array): Message {
    return new Message(data, Opcode.Binary);
  }

  /** A ping, with at most 125 bytes of data. */
  static ping(data: Uint8Array = EMPTY): Message {
    return new Message(control(data), Opcode.Ping);
  }

  /** An unsolicited pong (a heartbeat), with at most 125 bytes of data. */
  static pong(data: Uint8Array = EMPTY): Message {
    return new Message(control(data), Opcode.Pong);
  }

  /**
   * A close message: no body when `code` is omitted, else the code and a reason of at
   * most 123 bytes of UTF-8. Sending it starts the closing handshake.
   */
  static close(code?: number, reason = ''): Message {
    if (code === undefined) {
      if (reason !== '') throw new TypeError('a close reason needs a close code');
      return new Message(EMPTY, Opcode.Close);
    }
    if (!isValidCloseCode(code)) throw new RangeError(`${code} is not a close code an endpoint may send`);
    const text = encoder.encode(reason);
    const body = new Uint8Array(2 + text.length);
    body[0] = code >>> 8;
    body[1] = code & 0xff;
    body.set(text, 2);
    return new Message(control(body), Opcode.Close);
  }

  /** True for a binary message, false for text (and control messages). */
  get binary(): boolean {
    return this.opcode === Opcode.Binary;
  }

  /** The payload decoded as UTF-8 (a received text message is known to be valid). */
  text(): string {
    return decoder.decode(this.payload);
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.encodeInto(out, 0);
    return out;
  }

  /** Writes the message as one unmasked frame with FIN set. */
  encodeInto(target: Uint8Array, offset: number): number {
    const payload = this.payload;
    const n = payload.length;
    let at = offset;
    target[at] = 0x80 | this.opcode;
    if (n < 126) {
      target[at + 1] = n;
      at += 2;
    } else if (n < 0x10000) {
      target[at + 1] = 126;
      target[at + 2] = n >>> 8;
      target[at + 3] = n & 0xff;
      at += 4;
    } else {
      target[at + 1] = 127;
      writeLength64(target, at + 2, n);
      at += 10;
    }
    target.set(payload, at);
    return at + n - offset;
  }
}

/**
 * The string of a text message's bytes (what serve's `message(ws, data, isBinary)` gets):
 * received text is known to be valid UTF-8, so this never replaces anything.
 */
export function toText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Writes `n` as the 64-bit big-endian length of a frame header at `target[at]`. */
export function writeLength64(target: Uint8Array, at: number, n: number): void {
  const high = Math.floor(n / 0x100000000);
  const low = n >>> 0;
  target[at] = high >>> 24;
  target[at + 1] = (high >>> 16) & 0xff;
  target[at + 2] = (high >>> 8) & 0xff;
  target[at + 3] = high & 0xff;
  target[at + 4] = low >>> 24;
  target[at + 5] = (low >>> 16) & 0xff;
  target[at + 6] = (low >>> 8) & 0xff;
  target[at + 7] = low & 0xff;
}

function control(data: Uint8Array): Uint8Array {
  if (data.length > MAX_CONTROL_PAYLOAD) {
    throw new RangeError(`control messages carry at most ${MAX_CONTROL_PAYLOAD} bytes, got ${data.length}`);
  }
  return data;
}
