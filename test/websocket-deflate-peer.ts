// The permessage-deflate side of the raw conformance client (RFC 7692), written on
// node:zlib rather than on the package under test: the server's answer to an offer read
// into the terms both sides are bound by, messages compressed the way a client may
// (DEFLATE with a sync flush, 00 00 ff ff removed, with the window and context the terms
// allow), and the server's messages inflated with exactly the window and context the
// terms allow it, so that a server using more than it agreed to fails here.
import zlib from 'node:zlib';
import { expect } from 'vitest';
import { Op, clientFrame, type WireClient } from './websocket-wire.js';

/** The terms of an agreed permessage-deflate (absent parameters at their defaults). */
export interface DeflateTerms {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** The empty block's tail a sender removes and a receiver appends (RFC 7692 7.2.1, 7.2.2). */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
/** The most of the past either side can refer to: a 2^15-byte window. */
const WINDOW = 1 << 15;

/**
 * Reads a server's Sec-WebSocket-Extensions answer: exactly one permessage-deflate, its
 * parameters each at most once, window bits 8 to 15.
 */
export function readTerms(header: string | undefined): DeflateTerms {
  expect(header, 'the Sec-WebSocket-Extensions answer').toBeDefined();
  const extensions = header!.split(',');
  expect(extensions.length, `one extension in ${header}`).toBe(1);
  const [name, ...params] = extensions[0].split(';').map((s) => s.trim());
  expect(name).toBe('permessage-deflate');
  const terms: DeflateTerms = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const seen = new Set<string>();
  for (const param of params) {
    const [key, raw] = param.split('=').map((s) => s.trim());
    expect(seen.has(key), `${key} repeated in ${header}`).toBe(false);
    seen.add(key);
    const value = raw === undefined ? undefined : raw.replace(/^"(.*)"$/, '$1');
    if (key === 'server_no_context_takeover' || key === 'client_no_context_takeover') {
      expect(value, `${key} takes no value`).toBeUndefined();
      terms[key === 'server_no_context_takeover' ? 'serverNoContextTakeover' : 'clientNoContextTakeover'] = true;
    } else if (key === 'server_max_window_bits' || key === 'client_max_window_bits') {
      expect(value, `${key} in an answer has a value of 8 to 15`).toMatch(/^(?:[89]|1[0-5])$/);
      terms[key === 'server_max_window_bits' ? 'serverMaxWindowBits' : 'clientMaxWindowBits'] = Number(value);
    } else {
      throw new Error(`an unknown parameter in the answer: ${param}`);
    }
  }
  return terms;
}

/** The last WINDOW bytes of `history` then `more`. */
function slide(history: Buffer, more: Buffer): Buffer {
  const all = history.length === 0 ? more : Buffer.concat([history, more]);
  return all.length > WINDOW ? all.subarray(all.length - WINDOW) : all;
}

/** A message the server sent, put together (and inflated when it came compressed). */
export interface Received {
  opcode: number;
  payload: Buffer;
  compressed: boolean;
}

/**
 * One client's compressor and decompressor. Context takeover is done with a preset
 * dictionary holding what came before (what a streaming zlib keeps as its window), so
 * every message is one synchronous zlib call and a window or context the terms do not
 * allow is refused by zlib ("invalid distance too far back") rather than tolerated.
 */
export class DeflatePeer {
  readonly #client: WireClient;
  readonly terms: DeflateTerms;
  /** What the server's inflater holds: the messages this client sent compressed. */
  #sent: Buffer = Buffer.alloc(0);
  /** What the server's deflater holds: the messages it sent compressed. */
  #received: Buffer = Buffer.alloc(0);

  constructor(client: WireClient, terms: DeflateTerms) {
    this.#client = client;
    this.terms = terms;
  }

  /** The payload of an RSV1 frame for `message`, compressed with the client's terms. */
  compress(message: Buffer): Buffer {
    const context = !this.terms.clientNoContextTakeover && this.#sent.length > 0;
    const out = zlib.deflateRawSync(message, {
      windowBits: this.terms.clientMaxWindowBits,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      ...(context ? { dictionary: this.#sent } : {}),
    });
    if (!out.subarray(-4).equals(TAIL)) throw new Error('zlib did not end the message with 00 00 ff ff');
    if (!this.terms.clientNoContextTakeover) this.#sent = slide(this.#sent, message);
    return out.subarray(0, out.length - 4);
  }

  /**
   * Sends `message` compressed, its compressed payload cut into frames of `fragment`
   * bytes (0: one frame), as Autobahn's auto-fragmentation does.
   */
  async send(opcode: number, message: Buffer, fragment = 0): Promise<void> {
    const payload = this.compress(message);
    const size = fragment > 0 ? fragment : Math.max(payload.length, 1);
    const frames: Buffer[] = [];
    for (let at = 0; at === 0 || at < payload.length; at += size) {
      const fin = at + size >= payload.length;
      frames.push(clientFrame(at === 0 ? opcode : Op.Continuation, payload.subarray(at, at + size), { fin, rsv: at === 0 ? 0b100 : 0 }));
    }
    await this.#client.send(frames);
  }

  /** The next message, inflated with the server's terms when its first frame had RSV1. */
  async receive(what: string): Promise<Received> {
    // Checked without expect() on every frame: it costs more than the round trip.
    const first = await this.#client.next(what);
    if ((first.rsv & 0b011) !== 0 || (first.opcode !== Op.Text && first.opcode !== Op.Binary)) {
      throw new Error(`${what}: a first frame with opcode ${first.opcode} and RSV bits ${first.rsv.toString(2)}`);
    }
    const compressed = first.rsv === 0b100;
    const parts = [first.payload];
    let last = first;
    while (!last.fin) {
      last = await this.#client.next(what);
      if (last.opcode !== Op.Continuation || last.rsv !== 0) throw new Error(`${what}: a frame with opcode ${last.opcode} and RSV bits ${last.rsv.toString(2)} inside a message`);
      parts.push(last.payload);
    }
    const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (!compressed) return { opcode: first.opcode, payload: whole, compressed };
    const context = !this.terms.serverNoContextTakeover && this.#received.length > 0;
    const payload = zlib.inflateRawSync(Buffer.concat([whole, TAIL]), {
      windowBits: this.terms.serverMaxWindowBits,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      ...(context ? { dictionary: this.#received } : {}),
    });
    if (!this.terms.serverNoContextTakeover) this.#received = slide(this.#received, payload);
    return { opcode: first.opcode, payload, compressed };
  }
}
