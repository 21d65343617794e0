/**
 * Items held to one time limit (a handshake, a PROXY header), checked by one timer rather
 * than a timer per item. Every item gets the same limit, so the queue is in deadline order
 * as it is appended; items no longer pending (settled, closed) are dropped as the check
 * passes them. The timer runs every `min(250, limit / 4)` ms (at least 10), only while
 * something is queued, and never keeps the process alive.
 */
export class DeadlineQueue<T> {
  /** The limit in ms; 0 turns the queue off (`add` does nothing). */
  readonly limitMs: number;
  readonly #tickMs: number;
  readonly #pending: (item: T) => boolean;
  readonly #expire: (item: T) => void;
  #items: T[] = [];
  #deadlines: number[] = [];
  #head = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  /**
   * @param pending whether an item still waits for what the limit is about
   * @param expire called once for a pending item past its deadline
   */
  constructor(limitMs: number, pending: (item: T) => boolean, expire: (item: T) => void) {
    this.limitMs = limitMs;
    this.#tickMs = Math.max(10, Math.min(250, Math.floor(limitMs / 4)));
    this.#pending = pending;
    this.#expire = expire;
  }

  /** Items queued (some may have settled since: they go at the next check). */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Holds `item` to the limit from now. */
  add(item: T): void {
    if (this.limitMs === 0) return;
    this.#items.push(item);
    this.#deadlines.push(performance.now() + this.limitMs);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.check(), this.#tickMs);
      this.#timer.unref();
    }
  }

  /** Expires the pending items past their deadline at `now`; drops the settled ones. */
  check(now = performance.now()): void {
    const items = this.#items;
    while (this.#head < items.length) {
      const item = items[this.#head];
      const pending = this.#pending(item);
      if (pending && this.#deadlines[this.#head] > now) break;
      this.#head++;
      if (pending) this.#expire(item);
    }
    if (this.#head === items.length) {
      this.clear();
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#deadlines = this.#deadlines.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Forgets every item and stops the timer. */
  clear(): void {
    this.#items = [];
    this.#deadlines = [];
    this.#head = 0;
    this.stop();
  }

  /** Stops the timer (items stay queued until the next check or clear). */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
