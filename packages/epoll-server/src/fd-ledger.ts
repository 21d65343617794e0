import { native } from './native.js';

/**
 * Which worker the main thread gave each accepted connection to, so that the connections
 * a dead worker leaves open can be closed and reported.
 *
 * Workers close their connections without telling the main thread (that would cost a
 * message per connection), and the kernel hands a closed fd's number to the next socket at
 * once, so a number alone proves nothing. Each entry therefore keeps the socket's inode
 * (fstat) too: an fd still open with the same inode is still the connection that was
 * handed over; anything else (closed, or reused by any thread) is left alone.
 */
export class FdLedger {
  /** Worker index by fd; -1 for none. */
  #worker = new Int32Array(1024).fill(-1);
  /** Inode by fd, when it was handed over. */
  #identity = new Float64Array(1024);

  /** Records that `fd` (an open socket) goes to `worker`. */
  record(fd: number, worker: number): void {
    if (fd >= this.#worker.length) this.#grow(fd);
    this.#worker[fd] = worker;
    this.#identity[fd] = native.socketIdentity(fd);
  }

  /**
   * The fds recorded for `worker` that are still the sockets it was given, forgotten as
   * they are returned. Call only once the worker has stopped: it may close them otherwise.
   */
  takeOpen(worker: number): number[] {
    const owner = this.#worker;
    const open: number[] = [];
    for (let fd = 0; fd < owner.length; fd++) {
      if (owner[fd] !== worker) continue;
      owner[fd] = -1;
      const identity = native.socketIdentity(fd);
      if (identity > 0 && identity === this.#identity[fd]) open.push(fd);
    }
    return open;
  }

  #grow(fd: number): void {
    let size = this.#worker.length;
    while (size <= fd) size *= 2;
    const worker = new Int32Array(size).fill(-1);
    worker.set(this.#worker);
    const identity = new Float64Array(size);
    identity.set(this.#identity);
    this.#worker = worker;
    this.#identity = identity;
  }
}
