// Shared machinery of the WebSocket tests: a raw peer on a memory pair that writes
// hand-made requests and frames and reads back the other side's HTTP head and frames,
// bounded waits on conditions, and small byte helpers.
import { FrameReader, WebSocketFrame, WebSocketFrameBuilder } from '@simple-stream/frames';
import { memoryPair, type MemoryTransport } from '@simple-stream/stream';
import { WebSocket, type WebSocketServerOptions } from '../src/index.js';

/** The key of RFC 6455's example (its accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=). */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A waiting bound far below the test timeout, so that a failure names what it waited for. */
export const WAIT_MS = 10_000;

/** Rejects if `promise` has not settled within WAIT_MS. */
export function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The bytes of a request head: a valid upgrade by default; `fields` add or (null) remove fields. */
export function request(fields: Record<string, string | null> = {}, line = 'GET /chat?room=1 HTTP/1.1'): Uint8Array {
  const all: Record<string, string | null> = {
    Host: 'example.com',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...fields,
  };
  let head = `${line}\r\n`;
  for (const [name, value] of Object.entries(all)) if (value !== null) head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/** A plain HTTP request head (no upgrade). */
export function plainRequest(line = 'GET /health HTTP/1.1', fields: Record<string, string> = {}): Uint8Array {
  let head = `${line}\r\nHost: example.com\r\n`;
  for (const [name, value] of Object.entries(fields)) head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/** A client's frame: masked with a fixed, non-zero key. */
export function clientFrame(opcode: number, payload: Uint8Array | string, options: { fin?: boolean; rsv?: number; mask?: boolean } = {}): Uint8Array {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const key = options.mask === false ? null : 0x37fa213d;
  return new WebSocketFrame(opcode, bytes, options.fin ?? true, options.rsv ?? 0, key).toBytes();
}

/** A close frame body: the code, then the reason. */
export function closeBody(code: number, reason: string | Uint8Array = ''): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]));
}

/** A parsed HTTP response head. */
export interface Head {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * The raw end of a memory pair: writes bytes, and reads back the other side's HTTP
 * response head (once) and then its frames (as a client, expecting them unmasked).
 */
export class RawPeer {
  readonly transport: MemoryTransport;
  #bytes = Buffer.alloc(0);
  #head: Head | null = null;
  readonly #reader: FrameReader<WebSocketFrame>;
  /** Frames read so far (payloads copied). */
  readonly frames: WebSocketFrame[] = [];
  /** True once the other side ended or closed. */
  ended = false;

  constructor(transport: MemoryTransport, role: 'client' | 'server' = 'client') {
    this.transport = transport;
    this.#reader = new FrameReader(new WebSocketFrameBuilder({ role, allowedRsv: 0b100 }));
  }

  send(...chunks: Uint8Array[]): void {
    for (const chunk of chunks) this.transport.write(chunk, 0, chunk.length);
  }

  /** Reads all that is there now: the head first, then frames. */
  pump(): this {
    const scratch = new Uint8Array(64 * 1024);
    for (;;) {
      const n = this.transport.read(scratch, 0, scratch.length);
      if (n === -2) this.ended = true;
      if (n <= 0) break;
      this.#take(scratch.subarray(0, n));
    }
    return this;
  }

  /**
   * Resolves once `condition()` holds, checked after each read: woken by the other side's
   * writes and its closing, never by a timer (bounded by WAIT_MS).
   */
  async until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    for (this.pump(); !condition(); this.pump()) {
      if (this.ended || Date.now() > deadline) throw new Error(`${what} did not happen`);
      await bounded(this.transport.readable(), what);
    }
  }

  /** The response head, once read. */
  get head(): Head | null {
    this.pump();
    return this.#head;
  }

  #take(chunk: Uint8Array): void {
    if (this.#head === null) {
      this.#bytes = Buffer.concat([this.#bytes, chunk]);
      const end = this.#bytes.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = this.#bytes.subarray(0, end).toString('latin1');
      const [line, ...lines] = text.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const colon = l.indexOf(':');
        headers[l.slice(0, colon).toLowerCase()] = l.slice(colon + 1).trim();
      }
      const body = this.#bytes.subarray(end + 4);
      this.#head = { status: Number(line.split(' ')[1]), headers, text: text + '\r\n\r\n' + body.toString('latin1') };
      this.#bytes = Buffer.alloc(0);
      if (this.#head.status !== 101) {
        // A plain response: what follows is its body and any later responses, kept as text.
        this.#bytes = Buffer.from(body);
        return;
      }
      chunk = body;
    } else if (this.#head.status !== 101) {
      this.#bytes = Buffer.concat([this.#bytes, chunk]);
      this.#head.text += Buffer.from(chunk).toString('latin1');
      return;
    }
    for (const f of this.#reader.push(chunk)) this.frames.push(new WebSocketFrame(f.opcode, f.payload.slice(), f.fin, f.rsv));
  }
}

/** A server-side WebSocket on a memory pair, and the raw client peer. */
export function serverPair(options: WebSocketServerOptions = {}): { ws: WebSocket; peer: RawPeer } {
  const [a, b] = memoryPair();
  return { ws: WebSocket.accept(a, options), peer: new RawPeer(b) };
}

/** The same, upgraded: the peer sent a valid request and read the 101. */
export function openServerPair(options: WebSocketServerOptions = {}): { ws: WebSocket; peer: RawPeer } {
  const pair = serverPair(options);
  pair.peer.send(request());
  pair.ws.nbRecv();
  if (pair.peer.head?.status !== 101) throw new Error(`no 101: ${pair.peer.head?.text}`);
  return pair;
}

/** Runs `ws.nbRecv()` and returns what it threw (or fails if it returned). */
export function recvError(ws: WebSocket): Error & { code?: string; closeCode?: number; status?: number; frames?: readonly unknown[] } {
  try {
    ws.nbRecv();
  } catch (err) {
    return err as Error;
  }
  throw new Error('nbRecv did not throw');
}

/** The text of a payload. */
export const str = (p: Uint8Array): string => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString();
