/** Something with deadlines, checked by the {@link Ticker}. */
export interface Timed {
  /** Checks deadlines against `now` (performance.now()); false to stop being checked. */
  tick(now: number): boolean;
}

const MIN_PERIOD_MS = 10;
const MAX_PERIOD_MS = 1_000;

/**
 * The deadlines of every WebSocket of the thread (idle, close, a client's handshake) on one
 * unref'd interval timer instead of a timer per connection, so that marking activity on
 * the hot path is a field write. The period is a quarter of the shortest limit watched
 * (10 ms to 1 s), so a deadline passes at most that late; the timer runs only while
 * something is watched.
 */
export class Ticker {
  readonly #watched = new Set<Timed>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #periodMs = MAX_PERIOD_MS;
  /** performance.now() at the last tick (or watch): the clock activity is stamped with. */
  now = performance.now();

  /** The current period: a stamp of `now` may be up to this much older than the real time. */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** Things watched now. */
  get size(): number {
    return this.#watched.size;
  }

  /** Checks `item` every tick from now on; `limitMs` is the shortest limit it needs honoured. */
  watch(item: Timed, limitMs: number): void {
    this.now = performance.now();
    this.#watched.add(item);
    const period = Math.max(MIN_PERIOD_MS, Math.min(MAX_PERIOD_MS, Math.floor(limitMs / 4)));
    if (this.#timer !== null && period >= this.#periodMs) return;
    this.#periodMs = period;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = setInterval(() => this.#run(), period);
    this.#timer.unref();
  }

  /** Stops checking `item`. */
  unwatch(item: Timed): void {
    if (this.#watched.delete(item) && this.#watched.size === 0) this.#stop();
  }

  #run(): void {
    const now = performance.now();
    this.now = now;
    for (const item of this.#watched) {
      let keep: boolean;
      try {
        keep = item.tick(now);
      } catch (err) {
        // A deadline's action failing must not stop the others' checks.
        keep = false;
        process.emitWarning(`a WebSocket deadline failed: ${String(err)}`, 'WebSocketWarning');
      }
      if (!keep) this.#watched.delete(item);
    }
    if (this.#watched.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#periodMs = MAX_PERIOD_MS;
  }
}

/** The thread's ticker. */
export const ticker = new Ticker();
