/**
 * A set of promise resolvers woken together: the readiness notices of transports
 * (`readable()`, `writable()`), without a listener per waiter.
 */
export class Waiters {
  #resolvers: Array<() => void> = [];

  /** A promise resolved at the next {@link wake}. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#resolvers.push(resolve));
  }

  /** Resolves every pending wait. */
  wake(): void {
    if (this.#resolvers.length === 0) return;
    const resolvers = this.#resolvers;
    this.#resolvers = [];
    for (const resolve of resolvers) resolve();
  }
}
