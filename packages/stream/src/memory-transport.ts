import { END, TransportError, WOULD_BLOCK, closedError, type Transport } from './transport.js';
import { Waiters } from './waiters.js';

/** How a {@link memoryPair} behaves, to force the short reads and writes of real sockets. */
export interface MemoryPairOptions {
  /** The most bytes one `read` returns; default: no limit. */
  maxRead?: number;
  /** The most bytes one `write` takes; default: no limit. */
  maxWrite?: number;
  /** Unread bytes one direction holds before writes would block; default 256 KiB. */
  capacity?: number;
}

/** One direction of a pair: bytes written by one side, not yet read by the other. */
class Pipe {
  readonly chunks: Uint8Array[] = [];
  /** Offset into chunks[0] of the first unread byte. */
  head = 0;
  size = 0;
  /** The writer shut down or closed: after the queued bytes, END. */
  ended = false;
  /** The reader closed: writes fail with EPIPE. */
  readerGone = false;
  /** A reset to report to the reader instead of more bytes. */
  reset: TransportError | null = null;
  readonly readable = new Waiters();
  readonly writable = new Waiters();
}

/** One end of an in-memory pair: a Transport for tests (ours and users'). */
export class MemoryTransport implements Transport {
  readonly shortMeansWouldBlock = false;
  readonly #in: Pipe;
  readonly #out: Pipe;
  readonly #maxRead: number;
  readonly #maxWrite: number;
  readonly #capacity: number;
  #closed = false;

  /** @internal Use {@link memoryPair}. */
  constructor(input: Pipe, output: Pipe, options: MemoryPairOptions) {
    this.#in = input;
    this.#out = output;
    this.#maxRead = options.maxRead ?? Infinity;
    this.#maxWrite = options.maxWrite ?? Infinity;
    this.#capacity = options.capacity ?? 256 * 1024;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes written to this end and not yet read. */
  get pending(): number {
    return this.#in.size;
  }

  read(target: Uint8Array, offset: number, length: number): number {
    if (this.#closed) throw closedError();
    const pipe = this.#in;
    if (pipe.size === 0) {
      if (pipe.reset !== null) throw pipe.reset;
      return pipe.ended ? END : WOULD_BLOCK;
    }
    let want = Math.min(length, this.#maxRead, pipe.size);
    const n = want;
    while (want > 0) {
      const chunk = pipe.chunks[0];
      const take = Math.min(want, chunk.length - pipe.head);
      target.set(chunk.subarray(pipe.head, pipe.head + take), offset);
      offset += take;
      want -= take;
      pipe.head += take;
      if (pipe.head === chunk.length) {
        pipe.chunks.shift();
        pipe.head = 0;
      }
    }
    pipe.size -= n;
    pipe.writable.wake();
    return n;
  }

  write(source: Uint8Array, offset: number, length: number): number {
    if (this.#closed) throw closedError();
    const pipe = this.#out;
    if (pipe.ended) throw new TransportError('EPIPE', 'write after shutdown', 32, 'write');
    if (pipe.readerGone) throw new TransportError('EPIPE', 'the peer closed', 32, 'write');
    const n = Math.min(length, this.#maxWrite, this.#capacity - pipe.size);
    if (n <= 0) return 0;
    pipe.chunks.push(source.slice(offset, offset + n));
    pipe.size += n;
    pipe.readable.wake();
    return n;
  }

  writev(chunks: readonly Uint8Array[]): number {
    let total = 0;
    for (const chunk of chunks) {
      const n = this.write(chunk, 0, chunk.length);
      total += n;
      if (n < chunk.length) break;
    }
    return total;
  }

  readable(): Promise<void> {
    const pipe = this.#in;
    if (this.#closed || pipe.size > 0 || pipe.ended || pipe.reset !== null) return Promise.resolve();
    return pipe.readable.wait();
  }

  writable(): Promise<void> {
    const pipe = this.#out;
    if (this.#closed || pipe.size < this.#capacity || pipe.ended || pipe.readerGone) return Promise.resolve();
    return pipe.writable.wait();
  }

  shutdown(): void {
    if (this.#closed) throw closedError();
    this.#out.ended = true;
    this.#out.readable.wake();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out.ended = true;
    this.#out.readable.wake();
    this.#in.readerGone = true;
    this.#in.writable.wake();
  }

  /**
   * Simulates a connection reset: the peer's reads fail with ECONNRESET once the bytes
   * already sent are read, and this end is closed.
   */
  reset(): void {
    this.#out.reset = new TransportError('ECONNRESET', 'connection reset by peer', 104, 'read');
    this.close();
  }
}

/** Two connected in-memory transports: what one writes, the other reads. */
export function memoryPair(options: MemoryPairOptions = {}): [MemoryTransport, MemoryTransport] {
  const ab = new Pipe();
  const ba = new Pipe();
  return [new MemoryTransport(ba, ab, options), new MemoryTransport(ab, ba, options)];
}
