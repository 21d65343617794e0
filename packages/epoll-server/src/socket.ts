import type { Frame } from '@simple-stream/frames';
import type { Stream } from '@simple-stream/stream';
import type { Connection } from './connection.js';
import { native, type SocketAddress } from './native.js';

/**
 * What `send` did with a message:
 * - `'sent'`: written, or leaving at the end of the current batch of events;
 * - `'queued'`: waiting for a slow reader (backpressure); `onDrain` follows when it is out;
 * - `'dropped'`: refused, the queue being over `maxQueued` (policy `'drop'`);
 * - `'closed'`: the connection is closed (or was just closed by policy `'close'`).
 */
export type SendStatus = 'sent' | 'queued' | 'dropped' | 'closed';

/** hydrogen's HydrogenSocket: the handle a Handler uses to talk to one connection. */
export class Socket<F extends Frame = Frame> {
  readonly #connection: Connection<F>;
  #remote: SocketAddress | undefined;
  /** A slot for the application's own per-connection state. */
  data: unknown = undefined;

  /** @internal Made by the server for each connection. */
  constructor(connection: Connection<F>) {
    this.#connection = connection;
  }

  /** The connection's socket fd. */
  get fd(): number {
    return this.#connection.fd;
  }

  /**
   * The connection's stream (Plain or Secure). Over TLS, once the handshake is complete:
   * `(socket.stream as Secure).peerCertificate?.subject` / `.fingerprint256` (mTLS),
   * `.protocol`, `.alpnProtocol`, `.servername`, `.authorized`.
   */
  get stream(): Stream<F> {
    return this.#connection.stream;
  }

  /** The peer's address (getpeername), looked up once. */
  get remoteAddress(): SocketAddress {
    return (this.#remote ??= native.remoteAddress(this.#connection.fd));
  }

  /** Bytes accepted by `send` that the kernel has not taken yet. */
  get bufferedAmount(): number {
    return this.#connection.stream.queued;
  }

  /** True once the connection is closing or closed: sends return `'closed'`. */
  get closed(): boolean {
    return !this.#connection.open;
  }

  /** Sends `payload`, framed by this connection's stream. */
  send(payload: Uint8Array): SendStatus {
    return this.#connection.send(this.#connection.stream.builder.build(payload));
  }

  /** Sends a frame built by the caller (a WebSocket ping, a text frame…). */
  sendFrame(frame: F): SendStatus {
    return this.#connection.send(frame);
  }

  /** Sends what is queued, then closes; `onConnectionRemoved` gets a null reason. */
  shutdown(): void {
    this.#connection.end();
  }

  /** Closes at once, dropping queued output; `onConnectionRemoved` gets `reason`. */
  close(reason: Error | null = null): void {
    this.#connection.close(reason);
  }
}
