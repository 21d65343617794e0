import type { Transport } from '@simple-stream/stream';
import { ByteQueue } from './byte-queue.js';
import type { Engine } from './engine.js';
import { FAILED, out } from './native.js';

/**
 * A Secure stream's ciphertext on its way to the transport, in order: what each engine
 * call produced is written at once when nothing waits before it (and the stream is not
 * corked), else queued behind what waits. In fd mode the engine sends itself, and only
 * hands over what the socket did not take when the stream must wait (see takePending).
 */
export class CipherOutput {
  readonly #transport: Transport;
  readonly #engine: Engine;
  readonly #queue = new ByteQueue();
  /** True while the transport (or, in fd mode, the socket) would not take everything. */
  blocked = false;
  /** Nested cork() calls of the stream: while > 0, output is only queued. */
  corked = 0;

  constructor(transport: Transport, engine: Engine) {
    this.#transport = transport;
    this.#engine = engine;
  }

  /** Queued ciphertext bytes (not counting what the engine holds). */
  get size(): number {
    return this.#queue.size;
  }

  /**
   * Takes what the last engine call produced; throws the call's failure (after trying to
   * write the alert for the peer). False when the transport would not take it all.
   */
  deliver(result: number): boolean {
    const engine = this.#engine;
    const n = engine.produced;
    const queue = this.#queue;
    if (result === FAILED) {
      const error = engine.fail();
      if (n > 0) queue.push(out, 0, n);
      try {
        this.write();
      } catch {
        // The TLS failure is the one to report.
      }
      throw error;
    }
    if (n > 0) {
      const direct = queue.size === 0 && !this.blocked && this.corked === 0;
      const w = direct ? this.#write(out, 0, n) : 0;
      if (w < n) queue.push(out, w, n - w);
      if (direct && w < n) this.blocked = true;
    }
    if (engine.pending > 0) this.blocked = true; // fd mode: the socket is full
    return !this.blocked;
  }

  /**
   * Writes the queue; true when nothing waits here. What the engine holds (fd mode) is
   * not a reason to stop: only the engine's next call sends it (see Secure#flush), and a
   * writable socket must lead to that call, or the held bytes would wait forever.
   */
  write(): boolean {
    const queue = this.#queue;
    if (queue.size > 0) queue.consume(this.#write(queue.bytes, queue.start, queue.size));
    this.blocked = queue.size > 0;
    return !this.blocked;
  }

  /**
   * fd mode, before waiting for writability: moves what the engine holds into the queue,
   * so that the transport's own write meets EAGAIN (and its `writable()` really waits).
   * The engine then holds its later output back until the stream sends again.
   */
  takePending(): void {
    const engine = this.#engine;
    while (engine.pending > 0) {
      engine.takePending();
      if (engine.produced > 0) this.#queue.push(out, 0, engine.produced);
    }
  }

  /** Drops everything queued. */
  clear(): void {
    this.#queue.clear();
  }

  /** Writes what the transport takes now; returns the bytes taken. */
  #write(source: Uint8Array, offset: number, length: number): number {
    const transport = this.#transport;
    let done = 0;
    while (done < length) {
      const n = transport.write(source, offset + done, length - done);
      done += n;
      if (n === 0 || (done < length && transport.shortMeansWouldBlock)) break;
    }
    return done;
  }
}
