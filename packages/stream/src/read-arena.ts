import { uninitialized } from './spare-buffers.js';

/**
 * Where streams read into. Bytes are read into the free tail of a shared arena that is
 * never written twice, so the frames decoded from a read stay valid views for as long as
 * the user holds them, with no copy and no allocation per read; a new arena replaces the
 * old one when its tail gets short, and the old one is freed once no frame refers to it.
 * One arena per thread serves every stream, so idle connections hold no read memory.
 */
export class ReadArena {
  readonly #size: number;
  readonly #minRead: number;
  #bytes: Uint8Array;
  #used = 0;
  /** True for an arena whose views live only until the end of the event batch. */
  readonly reusedAfterBatch: boolean;

  /**
   * @param size bytes per arena (default 64 KiB)
   * @param minRead the smallest free tail worth reading into (default 4 KiB)
   * @param options `reuseAfterBatch`: see {@link ReadArena.reusedAfterBatch} and
   * {@link rewindBatchArenas}. Off by default: views stay valid as long as they are held.
   */
  constructor(size = 64 * 1024, minRead = 4 * 1024, options: { reuseAfterBatch?: boolean } = {}) {
    if (!(minRead >= 1 && size >= minRead)) throw new RangeError('need size ≥ minRead ≥ 1');
    this.#size = size;
    this.#minRead = minRead;
    this.#bytes = uninitialized(size);
    this.reusedAfterBatch = options.reuseAfterBatch === true;
    if (this.reusedAfterBatch) batchArenas.push(this);
  }

  /**
   * Starts over at the beginning of the same memory: every view handed out so far may be
   * overwritten. Only for an arena whose readers copy what they keep.
   */
  rewind(): void {
    this.#used = 0;
  }

  /** The arena to read into now; read at {@link offset}, at most {@link room} bytes. */
  get bytes(): Uint8Array {
    if (this.#size - this.#used < this.#minRead) {
      // Not zero-filled: only committed bytes (written by a read) are ever handed out.
      this.#bytes = uninitialized(this.#size);
      this.#used = 0;
    }
    return this.#bytes;
  }

  /** Where the free tail of {@link bytes} starts. */
  get offset(): number {
    return this.#used;
  }

  /** How many bytes the free tail holds. */
  get room(): number {
    return this.#size - this.#used;
  }

  /** Marks `n` bytes at {@link offset} as used and returns them as a view. */
  commit(n: number): Uint8Array {
    const start = this.#used;
    this.#used = start + n;
    return this.#bytes.subarray(start, start + n);
  }
}

/**
 * The arena streams use unless given one: one per thread (module instance). 256 KiB lets
 * one read take what a busy socket holds (a 64 KiB arena took two reads per 64 KiB and
 * cut more frames at its end); a payload view kept for long pins at most that much.
 */
export const sharedReadArena = new ReadArena(256 * 1024, 16 * 1024);

// The thread's arenas made with `reuseAfterBatch`.
const batchArenas: ReadArena[] = [];

/**
 * Rewinds every arena of this thread made with `reuseAfterBatch: true`. The epoll server
 * calls it when a batch of events has been handled: by then every frame read in the batch
 * has been delivered and its callback has returned, so an arena opted in this way is
 * written again while it is still in the CPU's cache, instead of fresh memory every few
 * reads (a copy into cold memory cost ~7% of a TLS echo server's CPU with 16 KiB frames).
 * The price is uWebSockets.js's rule: a payload is valid only during the callback that
 * gets it; copy what you keep (sends copy already). Streams frames get whole from a read
 * are views; incomplete tails are copied by the FrameReader, so nothing else holds them.
 */
export function rewindBatchArenas(): void {
  for (let i = 0; i < batchArenas.length; i++) batchArenas[i].rewind();
}
