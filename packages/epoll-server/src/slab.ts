/**
 * hydrogen's connection table: a slab. Insert, remove and lookup are O(1); an index is
 * the epoll token of its connection, so an event finds its connection without a scan.
 *
 * An index freed while a batch of events is being handled is quarantined until the batch
 * ends: a later event of the same batch for the removed connection then finds nothing,
 * instead of a new connection that reused the index.
 */
export class Slab<T> {
  #items: Array<T | undefined>;
  #free: number[] = [];
  #quarantine: number[] = [];
  #size = 0;

  /** @param preAllocated slots made up front (hydrogen's `pre_allocated`); it grows past them. */
  constructor(preAllocated = 0) {
    this.#items = new Array<T | undefined>(preAllocated).fill(undefined);
    for (let i = preAllocated - 1; i >= 0; i--) this.#free.push(i);
  }

  /** Makes sure at least `count` slots exist (growing only), so inserts up to it allocate nothing. */
  reserve(count: number): void {
    const items = this.#items;
    if (count <= items.length) return;
    const from = items.length;
    items.length = count;
    items.fill(undefined, from);
    // Free indices are popped from the end: push the new ones highest first.
    for (let i = count - 1; i >= from; i--) this.#free.push(i);
  }

  /** Items held. */
  get size(): number {
    return this.#size;
  }

  /** Slots allocated, used or not. */
  get capacity(): number {
    return this.#items.length;
  }

  /** Stores `item` and returns its index. */
  insert(item: T): number {
    const index = this.#free.length > 0 ? this.#free.pop()! : this.#items.push(undefined) - 1;
    this.#items[index] = item;
    this.#size++;
    return index;
  }

  /** The item at `index`, or undefined. */
  get(index: number): T | undefined {
    return this.#items[index];
  }

  /**
   * Removes the item at `index` and returns it. With `quarantine`, the index is reused only
   * after {@link recycle}.
   */
  remove(index: number, quarantine = false): T | undefined {
    const item = this.#items[index];
    if (item === undefined) return undefined;
    this.#items[index] = undefined;
    this.#size--;
    (quarantine ? this.#quarantine : this.#free).push(index);
    return item;
  }

  /** Makes quarantined indices free again (at the end of a batch). */
  recycle(): void {
    if (this.#quarantine.length === 0) return;
    for (const index of this.#quarantine) this.#free.push(index);
    this.#quarantine.length = 0;
  }

  /** Every item held, in index order. */
  *values(): IterableIterator<T> {
    for (const item of this.#items) if (item !== undefined) yield item;
  }
}
