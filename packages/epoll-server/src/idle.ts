import type { Frame } from '@simple-stream/frames';
import type { Connection } from './connection.js';
import { ConnectionError, ConnectionErrorCode } from './errors.js';
import { socketBytes } from './counters.js';

/** A watched connection's byte count at the last tick that saw it move, and when. */
interface Seen {
  bytes: number;
  since: number;
}

/**
 * The idle time limit of a server's connections (`config.idleTimeoutMs`): one timer per
 * server, that is per thread, rather than a timer per connection, and nothing on the data
 * path. Each tick reads every watched connection's byte counters (read plus written, its
 * transport's and its stream's own); a connection whose count has not moved for the limit
 * is closed with ConnectionError `IDLE_TIMEOUT`.
 *
 * Movement is noticed at the first tick after it happened, so the clock restarts late, never
 * early: a connection is closed no sooner than the limit after its last byte, and at most
 * two ticks later.
 */
export class IdleSweep<F extends Frame = Frame> {
  /** The limit in ms; 0 turns the sweep off. */
  readonly limitMs: number;
  readonly #tickMs: number;
  readonly #watched = new Map<Connection<F>, Seen>();
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(limitMs: number) {
    this.limitMs = limitMs;
    this.#tickMs = Math.max(10, Math.min(1000, Math.floor(limitMs / 4)));
  }

  /** Connections watched now. */
  get watched(): number {
    return this.#watched.size;
  }

  /** Holds `connection` to the limit from now on (nothing when the limit is off). */
  watch(connection: Connection<F>): void {
    if (this.limitMs === 0) return;
    this.#watched.set(connection, { bytes: activity(connection), since: performance.now() });
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.check(), this.#tickMs);
      this.#timer.unref();
    }
  }

  /** Stops watching a connection that is gone. */
  forget(connection: Connection<F>): void {
    if (this.#watched.delete(connection) && this.#watched.size === 0) this.stop();
  }

  /** Closes the connections idle for the limit at `now`; restarts the clock of the others. */
  check(now = performance.now()): void {
    // Closing removes the connection from the map (through forget): a Map tolerates that
    // while it is iterated, and skips nothing else.
    for (const [connection, seen] of this.#watched) {
      const bytes = activity(connection);
      if (bytes !== seen.bytes) {
        seen.bytes = bytes;
        seen.since = now;
      } else if (now - seen.since >= this.limitMs) {
        connection.close(new ConnectionError(ConnectionErrorCode.IdleTimeout, `nothing read or written for ${this.limitMs} ms`));
      }
    }
  }

  /** Stops the timer (the server is closing, or nothing is watched). */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** Bytes moved on the connection's socket so far, both ways (Secure's own I/O included). */
function activity<F extends Frame>(connection: Connection<F>): number {
  const bytes = socketBytes(connection);
  return bytes.read + bytes.written;
}
