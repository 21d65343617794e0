import { FrameError, WebSocketFrameBuilder, type Decoded, type FrameBuilder } from '@simple-stream/frames';
import { Message } from './message.js';

/**
 * The `builder` of a WebSocket stream: what `Socket.send(payload)` of the epoll server
 * frames a payload with (a binary message). Its decoding is the inverse of a Message's
 * own encoding (one unmasked, unfragmented, uncompressed frame), for tools that take any
 * builder; a WebSocket itself reads through its UpgradeFrameBuilder.
 */
export class MessageBuilder implements FrameBuilder<Message> {
  readonly #frames: WebSocketFrameBuilder;

  /** @param maxPayload the largest message; default 100 MiB. */
  constructor(maxPayload?: number) {
    this.#frames = new WebSocketFrameBuilder({ role: 'client', maxPayload });
  }

  get maxFrameSize(): number {
    return this.#frames.maxFrameSize;
  }

  /** A binary message carrying `payload`. */
  build(payload: Uint8Array): Message {
    return new Message(payload);
  }

  decode(buf: Uint8Array): Decoded<Message> | null {
    const message = this.decodeAt(buf, 0, buf.length);
    return message === null ? null : { frame: message, length: message.byteLength };
  }

  decodeAt(buf: Uint8Array, start: number, end: number): Message | null {
    const frame = this.#frames.decodeAt(buf, start, end);
    if (frame === null) return null;
    if (!frame.fin || frame.opcode === 0) throw new FrameError('WS_NOT_A_MESSAGE', 'a fragment, not a whole message', 0);
    return new Message(frame.payload, frame.opcode);
  }

  frameLength(buf: Uint8Array, start: number, end: number): number {
    return this.#frames.frameLength(buf, start, end);
  }
}

/** One builder serves every WebSocket stream: it keeps no state. */
export const messageBuilder = new MessageBuilder();
