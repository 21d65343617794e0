// Shared machinery of the TLS tests: driving Secure pairs over memory, an echo server of
// ours on node:net, and a frame reader for Node's tls sockets. Every wait is bounded.
import { once } from 'node:events';
import net from 'node:net';
import type tls from 'node:tls';
import { FrameReader, type Frame, type FrameBuilder } from '@simple-stream/frames';
import { DuplexTransport, memoryPair, type MemoryPairOptions } from '@simple-stream/stream';
import { Secure, type SecureOptions, type TlsContext, type TlsContextRef } from '../src/index.js';

/** A bound far below the test timeout, so that a failure names what it waited for. */
export const WAIT_MS = 10_000;

/** Rejects after WAIT_MS naming `what`. */
export function bounded<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A server and a client Secure over an in-memory pair. */
export function securePair<F extends Frame>(
  builder: FrameBuilder<F>,
  server: TlsContext | TlsContextRef,
  client: TlsContext,
  options: { pair?: MemoryPairOptions; server?: SecureOptions; client?: SecureOptions } = {},
): { server: Secure<F>; client: Secure<F> } {
  const [a, b] = memoryPair(options.pair);
  return { server: new Secure(a, builder, server, options.server), client: new Secure(b, builder, client, options.client) };
}

/**
 * Steps both streams (flush, then nbRecv) until `done()`; returns what each received.
 * Throws the first error either side throws, and after `maxSteps` without `done()`.
 */
export function drive<F extends Frame>(
  server: Secure<F>,
  client: Secure<F>,
  done: (got: { server: F[]; client: F[] }) => boolean,
  maxSteps = 10_000,
): { server: F[]; client: F[] } {
  const got = { server: [] as F[], client: [] as F[] };
  for (let step = 0; !done(got); step++) {
    if (step >= maxSteps) throw new Error(`no progress after ${maxSteps} steps`);
    for (const [stream, into] of [[client, got.client], [server, got.server]] as const) {
      if (!stream.ended) into.push(...stream.nbRecv());
      stream.flush();
    }
  }
  return got;
}

/** Completes the handshake of a memory pair. */
export function handshake<F extends Frame>(server: Secure<F>, client: Secure<F>): void {
  drive(server, client, () => server.handshakeComplete && client.handshakeComplete, 100);
}

/** A copy of a payload: received payloads are views into reused memory. */
export function copy(bytes: Uint8Array): Uint8Array {
  return bytes.slice();
}

/** Byte equality without the deep-equality machinery (slow on 64 KiB arrays). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Payload sizes worth checking: empty, around a TLS record (16 KiB) and the largest. */
export const SIZES = [0, 1, 100, 1400, 16_383, 16_384, 16_385, 40_000, 65_535];

/** A payload whose bytes depend on its size and a seed. */
export function payload(size: number, seed = 0): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return p;
}

/** Echoes every frame back on `stream` until the peer ends, then shuts down. */
export async function echo<F extends Frame>(stream: Secure<F>): Promise<void> {
  for (;;) {
    const frames = await stream.bRecv();
    for (const frame of frames) await stream.bSend(stream.builder.build(frame.payload));
    if (stream.ended) break;
  }
  stream.shutdown();
}

/** Our Secure echo server on 127.0.0.1 over node:net sockets (DuplexTransport). */
export async function secureEchoServer<F extends Frame>(
  builder: FrameBuilder<F>,
  context: TlsContext | TlsContextRef,
  onStream: (stream: Secure<F>) => Promise<void> = echo,
): Promise<{ port: number; streams: Secure<F>[]; errors: unknown[]; close(): Promise<void> }> {
  const streams: Secure<F>[] = [];
  const errors: unknown[] = [];
  const server = net.createServer((socket) => {
    const stream = new Secure(new DuplexTransport(socket), builder, context);
    streams.push(stream);
    onStream(stream).catch((err: unknown) => {
      errors.push(err);
      stream.close();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    streams,
    errors,
    close: async () => {
      for (const s of streams) s.transport.close();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Frames read from a Node socket (tls.TLSSocket or net.Socket). */
export class SocketFrames<F extends Frame> {
  readonly frames: F[] = [];
  readonly #reader: FrameReader<F>;
  #waiters: Array<() => void> = [];
  ended = false;
  error: Error | null = null;

  constructor(socket: net.Socket | tls.TLSSocket, builder: FrameBuilder<F>) {
    this.#reader = new FrameReader(builder);
    socket.on('data', (chunk: Buffer) => {
      // Copy: Node may reuse the chunk's memory, and frames are views into it.
      for (const f of this.#reader.push(new Uint8Array(chunk))) this.frames.push(f);
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.#wake();
    });
  }

  /** Resolves once `count` frames arrived (rejects on a socket error or the end). */
  async until(count: number): Promise<F[]> {
    while (this.frames.length < count) {
      if (this.error !== null) throw this.error;
      if (this.ended) throw new Error(`the socket ended after ${this.frames.length} of ${count} frames`);
      await bounded(new Promise<void>((resolve) => this.#waiters.push(resolve)), `${count} frames`);
    }
    return this.frames;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
