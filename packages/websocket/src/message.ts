import { MAX_CONTROL_PAYLOAD, Opcode, closePayload, encodeFrame, webSocketHeaderLength, writeWebSocketFrame, type Frame } from '@simple-stream/frames';

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
    return new Message(control(closePayload(code, reason)), Opcode.Close);
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
    return encodeFrame(this);
  }

  /** Writes the message as one unmasked frame with FIN set. */
  encodeInto(target: Uint8Array, offset: number): number {
    return writeWebSocketFrame(target, offset, 0x80 | this.opcode, this.payload, false, 0);
  }
}

/**
 * The string of a text message's bytes (what serve's `message(ws, data, isBinary)` gets):
 * received text is known to be valid UTF-8, so this never replaces anything.
 */
export function toText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

function control(data: Uint8Array): Uint8Array {
  if (data.length > MAX_CONTROL_PAYLOAD) {
    throw new RangeError(`control messages carry at most ${MAX_CONTROL_PAYLOAD} bytes, got ${data.length}`);
  }
  return data;
}
