// A raw WebSocket client for conformance tests: it performs a real upgrade over node:net
// (or node:tls), then writes exact client frames (masked, or not when a case wants it),
// chopped as a case says, and decodes what the server sends with a reader of its own
// (not the frames package under test), so a test sees every byte the server put out.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';

/** The GUID of RFC 6455 1.3, for checking Sec-WebSocket-Accept independently. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** How long a wait for the server may take before the test fails naming what it waited for. */
export const WAIT_MS = 10_000;

/** Opcodes, spelled out for the tables (RFC 6455 5.2). */
export const Op = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

/** One frame as the server sent it. */
export interface ServerFrame {
  fin: boolean;
  /** RSV1-3 as three bits, RSV1 on top (0b100), as on the wire. */
  rsv: number;
  opcode: number;
  payload: Buffer;
}

/** How a frame of a client is to be made; everything a case may get wrong on purpose. */
export interface FrameSpec {
  fin?: boolean;
  /** RSV1-3 as three bits, RSV1 on top: Autobahn's `rsv` values mean the same bits. */
  rsv?: number;
  /** False sends the frame unmasked (a protocol error from a client). */
  mask?: boolean;
}

let keyCounter = 0x1234567;

/** The exact bytes of a client frame: header (shortest length form), mask key, masked payload. */
export function clientFrame(opcode: number, payload: Uint8Array | string = '', spec: FrameSpec = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const n = data.length;
  const masked = spec.mask ?? true;
  const header = n < 126 ? 2 : n < 0x10000 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + (masked ? 4 : 0) + n);
  out[0] = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (n < 126) out[1] = maskBit | n;
  else if (n < 0x10000) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeUInt32BE(Math.floor(n / 0x100000000), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  if (!masked) {
    data.copy(out, header);
    return out;
  }
  // A different, never-zero key per frame, so that masking is exercised for real.
  keyCounter = (Math.imul(keyCounter, 1103515245) + 12345) >>> 0 || 1;
  out.writeUInt32BE(keyCounter, header);
  const key = out.subarray(header, header + 4);
  const body = header + 4;
  for (let i = 0; i < n; i++) out[body + i] = data[i] ^ key[i & 3];
  return out;
}

/** A close frame's body: the code (2 bytes), then the reason's bytes. */
export function closeBody(code: number, reason: string | Uint8Array = ''): Buffer {
  const text = typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason);
  const body = Buffer.alloc(2 + text.length);
  body.writeUInt16BE(code, 0);
  text.copy(body, 2);
  return body;
}

/** The code of a close frame's body; 1005 for an empty body. */
export function closeCodeOf(frame: ServerFrame): number {
  return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}

/** How a client writes: all at once, one write per frame (and wait), or in chops of n bytes. */
export type Chop = 'all' | 'frame' | number;

/** Where and how to open a connection. */
export interface WireOptions {
  /** The server's port on 127.0.0.1. */
  port: number;
  /** The Sec-WebSocket-Extensions offer, if any. */
  extensions?: string;
  /** Connect over TLS, trusting `ca`. */
  tls?: { ca: string; servername?: string };
}

/** The server's 101 as the client read it. */
export interface UpgradeResponse {
  status: number;
  headers: Record<string, string>;
}

/**
 * One raw client connection. Frames the server sends are decoded as they arrive and
 * queued; `next()` takes them in order with a bounded wait, and `end` settles when the
 * server closes TCP ('fin' for an orderly close, 'reset' for a reset).
 */
export class WireClient {
  /** The connection (a tls.TLSSocket over TLS). */
  readonly socket: net.Socket;
  /** The server's 101. */
  readonly response: UpgradeResponse;
  /** Settles with how TCP ended: the server's FIN, or a reset. */
  readonly end: Promise<'fin' | 'reset'>;
  #ended: 'fin' | 'reset' | null = null;
  readonly #frames: ServerFrame[] = [];
  #wake: (() => void) | null = null;
  #violation: Error | null = null;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;

  private constructor(socket: net.Socket, response: UpgradeResponse, rest: Buffer) {
    this.socket = socket;
    this.response = response;
    this.end = new Promise((resolve) => {
      const settle = (how: 'fin' | 'reset'): void => {
        if (this.#ended !== null) return;
        this.#ended = how;
        this.#wake?.();
        resolve(how);
      };
      socket.on('end', () => settle('fin'));
      socket.on('error', () => settle('reset'));
      socket.on('close', () => settle('reset'));
    });
    if (rest.length > 0) this.#take(rest);
    socket.on('data', (chunk: Buffer) => this.#take(chunk));
    // readHead paused the socket, so that nothing was read between the head and here.
    socket.resume();
  }

  /** Connects, sends an upgrade request, and resolves once a valid 101 came (else rejects with the answer). */
  static async open(options: WireOptions): Promise<WireClient> {
    const socket = options.tls
      ? tls.connect({ host: '127.0.0.1', port: options.port, ca: options.tls.ca, servername: options.tls.servername ?? 'localhost' })
      : net.connect({ host: '127.0.0.1', port: options.port });
    socket.setNoDelay(true);
    try {
      await bounded(once(socket, options.tls ? 'secureConnect' : 'connect'), 'the TCP connection');
      const key = randomBytes(16).toString('base64');
      const lines = [
        'GET / HTTP/1.1',
        `Host: 127.0.0.1:${options.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
        ...(options.extensions === undefined ? [] : [`Sec-WebSocket-Extensions: ${options.extensions}`]),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      const { head, rest } = await readHead(socket);
      const response = parseHead(head);
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      if (response.status !== 101 || response.headers['sec-websocket-accept'] !== accept) {
        throw new Error(`no valid 101: ${head}`);
      }
      return new WireClient(socket, response, rest);
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  /**
   * Writes `bytes` as `chop` says: in one write, or in chops of n bytes each awaited (as
   * Autobahn's chopsize). Stops quietly once the server has closed TCP.
   */
  async write(bytes: Uint8Array, chop: Chop = 'all'): Promise<void> {
    const size = typeof chop === 'number' ? chop : bytes.length;
    for (let at = 0; at < bytes.length; at += size) {
      if (this.#ended !== null || this.socket.destroyed) return;
      await new Promise<void>((resolve) => this.socket.write(bytes.subarray(at, at + size), () => resolve()));
    }
  }

  /** Writes frames: all in one write, one write per frame, or each frame in chops of n bytes. */
  async send(frames: Uint8Array[], chop: Chop = 'all'): Promise<void> {
    if (chop === 'all') return this.write(Buffer.concat(frames));
    for (const f of frames) await this.write(f, chop === 'frame' ? 'all' : chop);
  }

  /** The next frame from the server; rejects when TCP ends first or after `ms`. */
  async next(what = 'a frame', ms = WAIT_MS): Promise<ServerFrame> {
    await this.peek(what, ms);
    return this.#frames.shift()!;
  }

  /** The next frame from the server, left for `next()` or `rest()` to take; rejects as `next` does. */
  async peek(what = 'a frame', ms = WAIT_MS): Promise<ServerFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.#violation !== null) throw this.#violation;
      const frame = this.#frames[0];
      if (frame !== undefined) return frame;
      if (this.#ended !== null) throw new Error(`the server closed TCP (${this.#ended}) while the client waited for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = null;
          resolve();
        };
      });
    }
  }

  /** Every frame until the server closes TCP (bounded), and how it closed. */
  async rest(): Promise<{ frames: ServerFrame[]; how: 'fin' | 'reset' }> {
    const how = await bounded(this.end, 'the server to close TCP');
    if (this.#violation !== null) throw this.#violation;
    return { frames: this.#frames.splice(0), how };
  }

  /** Ends the connection at once (the test is done with it). */
  destroy(): void {
    this.socket.destroy();
  }

  #take(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    let decoded = false;
    try {
      for (;;) {
        const frame = this.#decode();
        if (frame === null) break;
        this.#frames.push(frame);
        decoded = true;
      }
    } catch (err) {
      this.#violation = err as Error;
      decoded = true;
    }
    if (decoded) this.#wake?.();
  }

  /** One whole frame off the front of the buffered bytes, or null; throws for frames a server may not send. */
  #decode(): ServerFrame | null {
    if (this.#buffered < 2) return null;
    const head = this.#peek(Math.min(this.#buffered, 10));
    if (head[1] & 0x80) throw new Error('the server sent a masked frame (RFC 6455 5.1)');
    let n = head[1] & 0x7f;
    let size = 2;
    if (n === 126) {
      if (head.length < 4) return null;
      n = head.readUInt16BE(2);
      size = 4;
      if (n < 126) throw new Error(`the server used a 16-bit length for ${n} bytes (RFC 6455 5.2: the minimal number of bytes)`);
    } else if (n === 127) {
      if (head.length < 10) return null;
      n = head.readUInt32BE(2) * 0x100000000 + head.readUInt32BE(6);
      size = 10;
      if (n < 0x10000) throw new Error(`the server used a 64-bit length for ${n} bytes`);
    }
    if (this.#buffered < size + n) return null;
    const all = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#buffered);
    const frame: ServerFrame = { fin: (all[0] & 0x80) !== 0, rsv: (all[0] >> 4) & 7, opcode: all[0] & 0x0f, payload: all.subarray(size, size + n) };
    const rest = all.subarray(size + n);
    this.#chunks.length = 0;
    if (rest.length > 0) this.#chunks.push(rest);
    this.#buffered = rest.length;
    return frame;
  }

  /** The first `count` buffered bytes (count small: a header). */
  #peek(count: number): Buffer {
    const first = this.#chunks[0];
    if (first.length >= count) return first.subarray(0, count);
    return Buffer.concat(this.#chunks).subarray(0, count);
  }
}

/** Reads up to the end of an HTTP head; returns it and the bytes after it. */
async function readHead(socket: net.Socket): Promise<{ head: string; rest: Buffer }> {
  let bytes = Buffer.alloc(0);
  return bounded(
    new Promise((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        bytes = Buffer.concat([bytes, chunk]);
        const end = bytes.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.pause();
        resolve({ head: bytes.subarray(0, end).toString('latin1'), rest: bytes.subarray(end + 4) });
      };
      const onEnd = (): void => reject(new Error(`the server closed before a whole head: ${bytes.toString('latin1')}`));
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('error', reject);
    }),
    'the HTTP response head',
  );
}

function parseHead(head: string): UpgradeResponse {
  const [line, ...fields] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
  }
  return { status: Number(line.split(' ')[1]), headers };
}

/** Rejects if `promise` has not settled within WAIT_MS, naming `what`. */
export function bounded<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
