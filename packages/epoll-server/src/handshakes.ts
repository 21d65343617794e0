import type { Frame } from '@simple-stream/frames';
import type { Connection } from './connection.js';
import { DeadlineQueue } from './deadline-queue.js';
import { ConnectionError, ConnectionErrorCode } from './errors.js';

/**
 * The handshake time limit of a server's (or client's) connections: those whose stream
 * has a handshake not yet complete (`handshakeComplete === false`) are closed with
 * ConnectionError `HANDSHAKE_TIMEOUT` past the limit, checked by one timer (see
 * {@link DeadlineQueue}).
 */
export class HandshakeDeadlines<F extends Frame = Frame> {
  readonly #queue: DeadlineQueue<Connection<F>>;

  constructor(limitMs: number) {
    this.#queue = new DeadlineQueue(
      limitMs,
      (connection) => !connection.closed && connection.stream.handshakeComplete === false,
      (connection) => connection.close(new ConnectionError(ConnectionErrorCode.HandshakeTimeout, `handshake not complete within ${limitMs} ms`)),
    );
  }

  /** The limit in ms (0: none). */
  get limitMs(): number {
    return this.#queue.limitMs;
  }

  /** Connections with a handshake still to complete (as of the last check). */
  get pending(): number {
    return this.#queue.size;
  }

  /** Holds `connection` to the limit when its stream has a handshake not yet complete. */
  watch(connection: Connection<F>): void {
    if (connection.stream.handshakeComplete === false) this.#queue.add(connection);
  }

  /** Closes the connections past their deadline. */
  check(now = performance.now()): void {
    this.#queue.check(now);
  }

  /** Stops the timer (the server is closing). */
  stop(): void {
    this.#queue.stop();
  }
}
