import { Opcode } from '@simple-stream/frames';
import { Message } from './message.js';
import type { PerMessageDeflate } from './permessage-deflate.js';

/**
 * A message framed once for many connections (broadcast): its frame bytes are made when it
 * is prepared and copied as they are into each server connection's output, and a text
 * message is encoded to UTF-8 once. Compressed, it is deflated once per window size for
 * the connections that agreed on server_no_context_takeover (their compressed bytes do not
 * depend on what they sent before); connections with context takeover deflate it each.
 * Clients mask every frame afresh, so they frame it as any message.
 */
export class PreparedMessage extends Message {
  readonly #wire: Uint8Array;
  /** Compressed payloads by the window bits they were made with. */
  readonly #compressed = new Map<number, Uint8Array>();

  constructor(payload: Uint8Array, opcode: number = Opcode.Binary) {
    super(payload, opcode);
    this.#wire = new Message(payload, opcode).toBytes();
  }

  override toBytes(): Uint8Array {
    return this.#wire;
  }

  override encodeInto(target: Uint8Array, offset: number): number {
    target.set(this.#wire, offset);
    return this.#wire.length;
  }

  /** The compressed payload for a connection's compressor, made once where it can be shared. */
  compressedFor(deflate: PerMessageDeflate): Uint8Array {
    const params = deflate.params;
    const server = deflate.role === 'server';
    if (!(server ? params.serverNoContextTakeover : params.clientNoContextTakeover)) return deflate.deflate(this.payload);
    const bits = server ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    let compressed = this.#compressed.get(bits);
    if (compressed === undefined) {
      compressed = deflate.deflate(this.payload);
      this.#compressed.set(bits, compressed);
    }
    return compressed;
  }
}

/** Prepares `data` for sending to many: a string as text, bytes as binary unless `isBinary` is false. */
export function prepare(data: string | Uint8Array, isBinary?: boolean): PreparedMessage {
  if (typeof data === 'string') return new PreparedMessage(Buffer.from(data), Opcode.Text);
  return new PreparedMessage(data, isBinary === false ? Opcode.Text : Opcode.Binary);
}
