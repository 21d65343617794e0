import type { Duplex } from 'node:stream';
import { END, TransportError, WOULD_BLOCK, closedError, type Transport } from './transport.js';
import { Waiters } from './waiters.js';

/** Options of a {@link DuplexTransport}. */
export interface DuplexTransportOptions {
  /** Unread bytes held before the Duplex is paused; default 256 KiB. */
  highWaterMark?: number;
}

/**
 * A Transport over a Node `net.Socket`, `tls.TLSSocket` or any Duplex: Node's streams
 * under simple-stream's non-blocking surface. Reads come from the chunks the Duplex
 * emitted (pausing it past the high-water mark); writes would block while the Duplex
 * needs a drain. Bytes given to `write` are copied, so callers may reuse their buffers.
 */
export class DuplexTransport implements Transport {
  readonly shortMeansWouldBlock = true;
  readonly #stream: Duplex;
  readonly #highWaterMark: number;
  readonly #chunks: Buffer[] = [];
  #head = 0;
  #size = 0;
  #ended = false;
  #closed = false;
  #error: TransportError | null = null;
  readonly #readable = new Waiters();
  readonly #writable = new Waiters();

  constructor(stream: Duplex, options: DuplexTransportOptions = {}) {
    this.#stream = stream;
    this.#highWaterMark = options.highWaterMark ?? 256 * 1024;
    stream.on('data', (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      this.#chunks.push(bytes);
      this.#size += bytes.length;
      if (this.#size >= this.#highWaterMark) stream.pause();
      this.#readable.wake();
    });
    stream.on('end', () => {
      this.#ended = true;
      this.#readable.wake();
    });
    stream.on('drain', () => this.#writable.wake());
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.#error = new TransportError(err.code ?? 'EIO', err.message, err.errno === undefined ? undefined : Math.abs(err.errno), err.syscall);
      this.#readable.wake();
      this.#writable.wake();
    });
    stream.on('close', () => {
      // Closed without 'end' or 'error' (destroyed): nothing more will come.
      this.#ended = true;
      this.#readable.wake();
      this.#writable.wake();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  read(target: Uint8Array, offset: number, length: number): number {
    if (this.#closed) throw closedError();
    if (this.#size === 0) {
      if (this.#error !== null) throw this.#error;
      return this.#ended ? END : WOULD_BLOCK;
    }
    const n = Math.min(length, this.#size);
    let want = n;
    while (want > 0) {
      const chunk = this.#chunks[0];
      const take = Math.min(want, chunk.length - this.#head);
      target.set(chunk.subarray(this.#head, this.#head + take), offset);
      offset += take;
      want -= take;
      this.#head += take;
      if (this.#head === chunk.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.#size -= n;
    if (this.#size < this.#highWaterMark && this.#stream.isPaused()) this.#stream.resume();
    return n;
  }

  write(source: Uint8Array, offset: number, length: number): number {
    this.#checkWritable();
    if (this.#stream.writableNeedDrain) return 0;
    this.#stream.write(Buffer.from(source.subarray(offset, offset + length)));
    return length;
  }

  writev(chunks: readonly Uint8Array[]): number {
    this.#checkWritable();
    if (this.#stream.writableNeedDrain) return 0;
    const copy = Buffer.concat(chunks as Uint8Array[]);
    this.#stream.write(copy);
    return copy.length;
  }

  readable(): Promise<void> {
    if (this.#closed || this.#size > 0 || this.#ended || this.#error !== null) return Promise.resolve();
    return this.#readable.wait();
  }

  writable(): Promise<void> {
    if (this.#closed || !this.#stream.writableNeedDrain || this.#error !== null || this.#ended) return Promise.resolve();
    return this.#writable.wait();
  }

  shutdown(): void {
    if (this.#closed) throw closedError();
    this.#stream.end();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream.destroy();
  }

  #checkWritable(): void {
    if (this.#closed) throw closedError();
    if (this.#error !== null) throw this.#error;
    if (this.#stream.writableEnded || this.#stream.destroyed) {
      throw new TransportError('EPIPE', 'the stream is no longer writable', 32, 'write');
    }
  }
}
