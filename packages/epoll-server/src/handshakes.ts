import type { Frame } from '@simple-stream/frames';
import type { Connection } from './connection.js';
import { ConnectionError, ConnectionErrorCode } from './errors.js';

interface Pending<F extends Frame> {
  readonly connection: Connection<F>;
  readonly deadline: number;
}

/**
 * The handshake time limit of a server's connections: one queue and one timer per server,
 * not a timer per connection. Every connection gets the same limit, so the queue is in
 * deadline order as it is appended; entries whose handshake completed (or whose connection
 * closed) are dropped as the check passes them.
 */
export class HandshakeDeadlines<F extends Frame = Frame> {
  readonly limitMs: number;
  readonly #tickMs: number;
  #queue: Array<Pending<F>> = [];
  #head = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(limitMs: number) {
    this.limitMs = limitMs;
    this.#tickMs = Math.max(10, Math.min(250, Math.floor(limitMs / 4)));
  }

  /** Connections with a handshake still to complete. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Holds `connection` to the limit when its stream has a handshake not yet complete. */
  watch(connection: Connection<F>): void {
    if (this.limitMs === 0 || connection.stream.handshakeComplete !== false) return;
    this.#queue.push({ connection, deadline: performance.now() + this.limitMs });
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.check(), this.#tickMs);
      this.#timer.unref();
    }
  }

  /** Closes the connections past their deadline with ConnectionError `HANDSHAKE_TIMEOUT`. */
  check(now = performance.now()): void {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const { connection, deadline } = queue[this.#head];
      const waiting = !connection.closed && connection.stream.handshakeComplete === false;
      if (waiting && deadline > now) break;
      this.#head++;
      if (waiting) {
        connection.close(new ConnectionError(ConnectionErrorCode.HandshakeTimeout, `handshake not complete within ${this.limitMs} ms`));
      }
    }
    if (this.#head === queue.length) {
      this.#queue = [];
      this.#head = 0;
      this.stop();
    } else if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Stops the timer (the server is closing, or nothing is pending). */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
