import { encodeFrame, randomMaskKey, webSocketHeaderLength, writeWebSocketFrame, type Frame } from '@simple-stream/frames';

/**
 * The frame a WebSocket writes when a Message cannot encode itself as it is: masked (a
 * client's frames), compressed (RSV1 and a deflated payload) or both. One per stream,
 * refilled for every such message and encoded at once into the inner stream's output, so
 * sending allocates nothing.
 */
export class OutgoingFrame implements Frame {
  #first = 0;
  #masked = false;
  payload: Uint8Array = new Uint8Array(0);
  byteLength = 0;

  /**
   * Sets the next frame: `opcode` with FIN set, `rsv` bits (0b100 for a compressed
   * message), masked with a fresh random key when `masked`.
   */
  set(opcode: number, rsv: number, payload: Uint8Array, masked: boolean): this {
    this.#first = 0x80 | (rsv << 4) | opcode;
    this.#masked = masked;
    this.payload = payload;
    this.byteLength = webSocketHeaderLength(payload.length, masked) + payload.length;
    return this;
  }

  toBytes(): Uint8Array {
    return encodeFrame(this);
  }

  encodeInto(target: Uint8Array, offset: number): number {
    // A fresh key per frame (RFC 6455 5.3).
    const masked = this.#masked;
    return writeWebSocketFrame(target, offset, this.#first, this.payload, masked, masked ? randomMaskKey() : 0);
  }

  /** Drops the payload once sent: it may be large, and this frame lives as long as its stream. */
  release(): void {
    this.payload = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);
