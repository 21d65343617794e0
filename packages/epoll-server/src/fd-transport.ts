import { END, TransportError, WOULD_BLOCK, Waiters, closedError, type Transport } from '@simple-stream/stream';
import { EAGAIN, Epoll, Errno, Shutdown, errnoName, native } from './native.js';
import { READ_WRITE_EVENTS, reactor, type Endpoint } from './reactor.js';

/** A TransportError for a hot-path call's negative errno. */
export function transportError(result: number, syscall: string): TransportError {
  const code = errnoName(result);
  return new TransportError(code, `${syscall} ${code}`, -result, syscall);
}

/**
 * A Transport over a raw, non-blocking socket fd, through the native addon: one syscall per
 * read or write, no copy beyond the kernel's. A server drives it from its epoll events;
 * used on its own, `readable()`/`writable()` register the fd with the thread's reactor
 * (edge-triggered, so readiness is remembered until a call says it is gone).
 */
export class FdTransport implements Transport, Endpoint {
  readonly fd: number;
  /**
   * A short read means the socket is drained, except once epoll has reported the peer's
   * FIN or an error (RDHUP/HUP/ERR): that edge is gone, so reads must go on to END or the
   * error instead of waiting for an event that will not come.
   */
  get shortMeansWouldBlock(): boolean {
    return !this.#peerDone;
  }
  #peerDone = false;
  /** Bytes read and written so far. */
  bytesRead = 0;
  bytesWritten = 0;
  #closed = false;
  #token = -1;
  #canRead = true;
  #canWrite = true;
  #readWaiters: Waiters | null = null;
  #writeWaiters: Waiters | null = null;

  constructor(fd: number) {
    this.fd = fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  read(target: Uint8Array, offset: number, length: number): number {
    if (this.#closed) throw closedError();
    const n = native.read(this.fd, target, offset, length);
    if (n > 0) {
      this.bytesRead += n;
      return n;
    }
    if (n === 0) return END;
    if (n === -EAGAIN) {
      this.#canRead = false;
      return WOULD_BLOCK;
    }
    throw transportError(n, 'read');
  }

  write(source: Uint8Array, offset: number, length: number): number {
    if (this.#closed) throw closedError();
    const n = native.write(this.fd, source, offset, length);
    return this.#wrote(n, 'write');
  }

  writev(chunks: readonly Uint8Array[]): number {
    if (this.#closed) throw closedError();
    return this.#wrote(native.writev(this.fd, chunks), 'writev');
  }

  readable(): Promise<void> {
    if (this.#closed || this.#canRead) return Promise.resolve();
    this.#watch();
    return (this.#readWaiters ??= new Waiters()).wait();
  }

  writable(): Promise<void> {
    if (this.#closed || this.#canWrite) return Promise.resolve();
    this.#watch();
    return (this.#writeWaiters ??= new Waiters()).wait();
  }

  /** Readiness reported by epoll (by the server that owns the fd, or our own watch). */
  onEvents(events: number): void {
    if ((events & (Epoll.RDHUP | Epoll.HUP | Epoll.ERR)) !== 0) this.#peerDone = true;
    if ((events & ~Epoll.OUT) !== 0) {
      this.#canRead = true;
      this.#readWaiters?.wake();
    }
    if ((events & (Epoll.OUT | Epoll.ERR | Epoll.HUP)) !== 0) {
      this.#canWrite = true;
      this.#writeWaiters?.wake();
    }
  }

  shutdown(): void {
    if (this.#closed) throw closedError();
    const r = native.shutdown(this.fd, Shutdown.WR);
    if (r < 0 && r !== -Errno.ENOTCONN) throw transportError(r, 'shutdown');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#token >= 0) {
      reactor().unwatch(this.#token, this.fd);
      this.#token = -1;
    }
    native.close(this.fd);
    this.#readWaiters?.wake();
    this.#writeWaiters?.wake();
  }

  #wrote(n: number, syscall: string): number {
    if (n >= 0) {
      this.bytesWritten += n;
      return n;
    }
    if (n === -EAGAIN) {
      this.#canWrite = false;
      return 0;
    }
    throw transportError(n, syscall);
  }

  /** Standalone use: watch our own fd with the thread's reactor, once. */
  #watch(): void {
    if (this.#token < 0) this.#token = reactor().watch(this, this.fd, READ_WRITE_EVENTS);
  }
}

