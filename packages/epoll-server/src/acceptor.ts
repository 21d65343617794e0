import type { Config } from './config.js';
import { EAGAIN, Epoll, native } from './native.js';
import { reactor, type Endpoint } from './reactor.js';

/**
 * The accept path: a listening socket on the thread's reactor, a server's own or a worker
 * pool's on the main thread. Each edge accepts until the kernel's queue is empty and hands
 * every batch to `deliver` at once, so a pool's workers only ever see whole batches of
 * ready connections and never accept(2) themselves.
 */
export class Acceptor implements Endpoint {
  /** The listening socket's fd. */
  readonly fd: number;
  readonly address: string;
  readonly port: number;
  /** accept(2) failures other than EAGAIN (EMFILE…), counted rather than thrown. */
  errors = 0;
  readonly #accepted = new Int32Array(128);
  readonly #deliver: (fds: Int32Array, count: number) => void;
  #token = -1;
  #closed = false;

  constructor(config: Config, deliver: (fds: Int32Array, count: number) => void) {
    this.#deliver = deliver;
    this.fd = native.listen(config.addr ?? '0.0.0.0', config.port ?? 0, config.backlog ?? 511, {
      reuseAddr: true,
      reusePort: config.reusePort ?? false,
    });
    const local = native.localAddress(this.fd);
    this.address = local.address;
    this.port = local.port;
  }

  /** Starts accepting (once the workers can take connections). */
  start(): void {
    this.#token = reactor().watch(this, this.fd, Epoll.IN | Epoll.ET);
  }

  onEvents(): void {
    const out = this.#accepted;
    for (;;) {
      const n = native.accept(this.fd, out);
      if (n < 0) {
        if (n !== -EAGAIN) this.errors++;
        return;
      }
      this.#deliver(out, n);
      if (n < out.length) {
        if (out[n] !== -EAGAIN) this.errors++;
        return;
      }
    }
  }

  /** Stops accepting and closes the listening socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#token >= 0) {
      reactor().unwatch(this.#token, this.fd);
      this.#token = -1;
    }
    native.close(this.fd);
  }
}
