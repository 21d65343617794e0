import { Opcode, Rsv, type Frame } from '@simple-stream/frames';
import type { Stream } from '@simple-stream/stream';
import type { Message } from './message.js';
import { OutgoingFrame } from './outgoing-frame.js';
import type { PerMessageDeflate } from './permessage-deflate.js';
import { PreparedMessage } from './prepared.js';

/**
 * Frames messages for one side of a connection into its inner stream's output: a
 * server's uncompressed message encodes itself (the fast path: one header and a copy);
 * anything masked (a client's frames) or compressed goes through one reusable
 * OutgoingFrame, so sending allocates nothing but a compressed payload.
 */
export class MessageWriter {
  readonly #frame = new OutgoingFrame();
  readonly #masked: boolean;
  /** The negotiated permessage-deflate, once agreed. */
  deflate: PerMessageDeflate | null = null;

  /** @param masked true for a client (RFC 6455 5.3: every frame masked, a fresh key each) */
  constructor(masked: boolean) {
    this.#masked = masked;
  }

  /** Sends a text or binary message, compressed when agreed and over the threshold. */
  data(inner: Stream<Frame>, message: Message): boolean {
    const deflate = this.deflate;
    if (deflate !== null && deflate.shouldCompress(message.payload.length)) {
      const payload = message instanceof PreparedMessage ? message.compressedFor(deflate) : deflate.deflate(message.payload);
      return this.frame(inner, message.opcode, Rsv.Rsv1, payload);
    }
    return this.#masked ? this.frame(inner, message.opcode, 0, message.payload) : inner.nbSend(message);
  }

  /** Sends a control frame (never compressed: RFC 7692 6.1). */
  control(inner: Stream<Frame>, opcode: number, payload: Uint8Array): boolean {
    return this.frame(inner, opcode, 0, payload);
  }

  /** Sends one frame with FIN set. */
  frame(inner: Stream<Frame>, opcode: number, rsv: number, payload: Uint8Array): boolean {
    const frame = this.#frame.set(opcode, rsv, payload, this.#masked);
    const ok = inner.nbSend(frame);
    frame.release();
    return ok;
  }

  /** A close frame with `code` and no reason (a failure's). */
  close(inner: Stream<Frame>, code: number): boolean {
    return this.frame(inner, Opcode.Close, 0, Uint8Array.of(code >>> 8, code & 0xff));
  }
}
