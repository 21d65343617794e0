import { isUtf8 } from 'node:buffer';
import { Opcode } from '@simple-stream/frames';
import { Message } from './message.js';
import { InflateError, type PerMessageDeflate } from './permessage-deflate.js';
import { Utf8Validator } from './utf8.js';
import { WebSocketError, WebSocketErrorCode } from './websocket-error.js';

const EMPTY = new Uint8Array(0);

/**
 * Builds the messages that do not arrive as one plain frame: fragmented messages (RFC
 * 6455 5.4) and compressed ones (RFC 7692). Fragments are copied into a buffer of the
 * message's own, which becomes the message on the last one (never reused). Limits are
 * checked as fragments arrive: a message passing `maxMessage` fails at the fragment that
 * passes it (1009), and uncompressed text fails at the fragment holding invalid UTF-8
 * (1007), while a character split across fragments is fine.
 */
export class MessageAssembler {
  readonly #maxMessage: number;
  readonly #utf8 = new Utf8Validator();
  #inflater: PerMessageDeflate | null = null;
  /** The opcode of the message in progress; 0 when none is. */
  #opcode = 0;
  #compressed = false;
  /** The fragments so far, copied: views would pin a read buffer (256 KiB) per small fragment. */
  #buffer: Uint8Array = EMPTY;
  #size = 0;

  constructor(maxMessage: number) {
    this.#maxMessage = maxMessage;
  }

  /** The negotiated permessage-deflate, once the handshake agreed on it. */
  set inflater(inflater: PerMessageDeflate | null) {
    this.#inflater = inflater;
  }

  /** True while a fragmented message waits for its continuation frames. */
  get inProgress(): boolean {
    return this.#opcode !== 0;
  }

  /** A compressed message in one frame (RSV1 and FIN). */
  inflateWhole(opcode: number, payload: Uint8Array): Message {
    return finish(opcode, this.#inflate(payload, true)!, true);
  }

  /** The first frame of a fragmented message (FIN clear). */
  begin(opcode: number, compressed: boolean, payload: Uint8Array): void {
    this.#opcode = opcode;
    this.#compressed = compressed;
    this.#add(payload, false);
  }

  /** A continuation frame: the whole message on the last one, else null. */
  continue(payload: Uint8Array, fin: boolean): Message | null {
    const whole = this.#add(payload, fin);
    if (!fin) return null;
    const opcode = this.#opcode;
    const compressed = this.#compressed;
    this.reset();
    return finish(opcode, whole!, compressed);
  }

  /** Drops the message in progress (the connection is closing). */
  reset(): void {
    this.#opcode = 0;
    this.#compressed = false;
    this.#buffer = EMPTY;
    this.#size = 0;
    this.#utf8.reset();
  }

  /** Takes one fragment; on the last one returns the message's bytes (not yet checked as text). */
  #add(payload: Uint8Array, fin: boolean): Uint8Array | null {
    if (this.#compressed) return this.#inflate(payload, fin);
    const size = this.#size + payload.length;
    if (size > this.#maxMessage) {
      throw new WebSocketError(WebSocketErrorCode.MessageTooBig, `a fragmented message passed maxMessage (${this.#maxMessage} bytes)`, 1009);
    }
    if (this.#opcode === Opcode.Text && !this.#utf8.push(payload)) throw invalidText();
    if (size > this.#buffer.length) {
      // Doubling: a message of n bytes costs at most 2n of copies, whatever its fragments.
      const grown = new Uint8Array(Math.min(this.#maxMessage, Math.max(size, 2 * this.#buffer.length, 1024)));
      grown.set(this.#buffer.subarray(0, this.#size), 0);
      this.#buffer = grown;
    }
    this.#buffer.set(payload, this.#size);
    this.#size = size;
    if (!fin) return null;
    if (this.#opcode === Opcode.Text && !this.#utf8.complete) throw invalidText();
    return this.#buffer.subarray(0, size);
  }

  #inflate(payload: Uint8Array, fin: boolean): Uint8Array | null {
    try {
      return this.#inflater!.inflate(payload, fin);
    } catch (err) {
      if (!(err instanceof InflateError)) throw err;
      const code = err.closeCode === 1009 ? WebSocketErrorCode.MessageTooBig : WebSocketErrorCode.InvalidCompressedData;
      throw new WebSocketError(code, err.message, err.closeCode, { cause: err });
    }
  }
}

/** The message; compressed text is checked as a whole here (it was not seen before inflating). */
function finish(opcode: number, bytes: Uint8Array, compressed: boolean): Message {
  if (opcode === Opcode.Text && compressed && !isUtf8(bytes)) throw invalidText();
  return new Message(bytes, opcode);
}

function invalidText(): WebSocketError {
  return new WebSocketError(WebSocketErrorCode.InvalidUtf8, 'a text message that is not UTF-8', 1007);
}
