import { rewindBatchArenas } from '@simple-stream/stream';
import { Epoll, native } from './native.js';
import { Slab } from './slab.js';

/** Anything registered with a {@link Reactor}: a listener, a connection, a watched fd. */
export interface Endpoint {
  /** Called with the epoll events reported for this endpoint's fd. */
  onEvents(events: number): void;
}

/** Something with output held back while a batch is handled. */
export interface Corked {
  /** Called once at the end of the batch in which it was corked. */
  uncorkAfterBatch(): void;
}

const BATCH = 1024;

/**
 * One per thread: the native epoll loop behind a uv_poll_t in Node's event loop, the slab
 * of endpoints its tokens index, and the batching of writes. Every server and client
 * connection of the thread shares it, as every libuv handle shares the thread's loop.
 *
 * A batch is one call from native code with up to 1,024 (token, events) pairs. Sends made
 * while it is handled are corked and leave, one write per connection, when it ends.
 */
export class Reactor {
  readonly #events = new Int32Array(BATCH * 2);
  readonly #slab: Slab<Endpoint>;
  readonly #loop: number;
  #corked: Corked[] = [];
  #batching = false;
  #holds = 0;

  constructor(preAllocated = 1024) {
    this.#slab = new Slab<Endpoint>(preAllocated);
    this.#loop = native.loopCreate(this.#events, (count) => this.#dispatch(count));
    // The loop keeps the process alive only while something holds it (see hold()).
    native.loopUnref(this.#loop);
  }

  /** True while a batch of events is being handled. */
  get batching(): boolean {
    return this.#batching;
  }

  /** Endpoints registered. */
  get size(): number {
    return this.#slab.size;
  }

  /** Makes room for `count` endpoints up front (hydrogen's `pre_allocated`). */
  reserve(count: number): void {
    this.#slab.reserve(count);
  }

  /** Registers `fd` for `events` on behalf of `endpoint`; returns its token. */
  add(endpoint: Endpoint, fd: number, events: number): number {
    const token = this.#slab.insert(endpoint);
    try {
      native.loopAdd(this.#loop, fd, token, events);
    } catch (err) {
      this.#slab.remove(token);
      throw err;
    }
    return token;
  }

  /** Changes the events watched for a registered fd. */
  modify(token: number, fd: number, events: number): void {
    native.loopModify(this.#loop, fd, token, events);
  }

  /**
   * Unregisters `fd` (before it is closed). Its token is reused only after the current
   * batch, so a stale event in this batch finds nothing rather than another endpoint.
   */
  remove(token: number, fd: number): void {
    if (this.#slab.remove(token, this.#batching) === undefined) return;
    try {
      native.loopRemove(this.#loop, fd);
    } catch {
      // Already gone from epoll (the fd was closed elsewhere): nothing more to undo.
    }
  }

  /**
   * Registers `fd` as {@link add} does and keeps the process alive (a {@link hold}) until
   * {@link unwatch}: what every server, connection and standalone fd does.
   */
  watch(endpoint: Endpoint, fd: number, events: number): number {
    const token = this.add(endpoint, fd, events);
    this.hold();
    return token;
  }

  /** Undoes {@link watch}: unregisters `fd` and releases its hold. */
  unwatch(token: number, fd: number): void {
    this.remove(token, fd);
    this.release();
  }

  /** Holds `corked` until the end of the current batch (call only while batching). */
  corkUntilBatchEnd(corked: Corked): void {
    this.#corked.push(corked);
  }

  /** Keeps the process alive until the matching {@link release} (servers, connections). */
  hold(): void {
    if (this.#holds++ === 0) native.loopRef(this.#loop);
  }

  /** Ends one {@link hold}. */
  release(): void {
    if (this.#holds > 0 && --this.#holds === 0) native.loopUnref(this.#loop);
  }

  #dispatch(count: number): void {
    const events = this.#events;
    const slab = this.#slab;
    this.#batching = true;
    try {
      for (let i = 0; i < count * 2; i += 2) {
        const endpoint = slab.get(events[i]);
        if (endpoint !== undefined) endpoint.onEvents(events[i + 1]);
      }
    } finally {
      this.#batching = false;
      const corked = this.#corked;
      if (corked.length > 0) {
        this.#corked = [];
        for (const c of corked) c.uncorkAfterBatch();
      }
      slab.recycle();
      // Every frame of the batch was delivered: arenas that opted in may be reused.
      rewindBatchArenas();
    }
  }
}

let threadReactor: Reactor | undefined;

/** The reactor of the calling thread, created on first use. */
export function reactor(): Reactor {
  return (threadReactor ??= new Reactor());
}

/** Events every stream connection is watched for (EPOLLOUT is added only while needed). */
export const READ_EVENTS = Epoll.IN | Epoll.RDHUP | Epoll.ET;
/** The same plus EPOLLOUT, while output waits for the peer. */
export const READ_WRITE_EVENTS = READ_EVENTS | Epoll.OUT;
