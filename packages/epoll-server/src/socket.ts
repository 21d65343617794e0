import type { Frame } from '@simple-stream/frames';
import type { Stream } from '@simple-stream/stream';
import type { Broker, ThreadBroker } from './broker.js';
import type { Connection } from './connection.js';
import { native, type SocketAddress } from './native.js';
import type { ProxyHeader } from './proxy-header.js';

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
   * The connection's id, unique among the server's connections on every worker (fds are
   * reused at once; ids never are): `server.send(id, payload)` reaches it from anywhere.
   */
  get id(): number {
    return this.#connection.id;
  }

  /**
   * The server as handler code reaches it from this connection: `publish` to a topic's
   * subscribers and `send` to a connection by id, on every worker. Throws for a client's
   * connection (`connect`), which belongs to no server.
   */
  get server(): Broker {
    return this.#broker();
  }

  /**
   * The connection's stream (Plain or Secure). Over TLS, once the handshake is complete:
   * `(socket.stream as Secure).peerCertificate?.subject` / `.fingerprint256` (mTLS),
   * `.protocol`, `.alpnProtocol`, `.servername`, `.authorized`.
   */
  get stream(): Stream<F> {
    return this.#connection.stream;
  }

  /**
   * The client's address, looked up once: the peer's (getpeername), or, behind a proxy
   * (`config.proxyProtocol`), the source its PROXY header gave, when it gave one.
   */
  get remoteAddress(): SocketAddress {
    return (this.#remote ??= this.#connection.proxyHeader?.source ?? this.peerAddress);
  }

  /**
   * The socket's own peer (getpeername): behind a proxy (`config.proxyProtocol`), the
   * proxy; otherwise the same as `remoteAddress`.
   */
  get peerAddress(): SocketAddress {
    return native.remoteAddress(this.#connection.fd);
  }

  /** The PROXY protocol header the connection started with (`config.proxyProtocol`), else null. */
  get proxyHeader(): ProxyHeader | null {
    return this.#connection.proxyHeader;
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

  /**
   * Receives, from now on, what is published to `topic` (`server.publish` on any worker),
   * framed by this connection's stream, until `unsubscribe` or the connection's removal.
   */
  subscribe(topic: string): void {
    this.#broker().subscribe(this as Socket, topic);
  }

  /** Stops receiving `topic`. */
  unsubscribe(topic: string): void {
    this.#broker().unsubscribe(this as Socket, topic);
  }

  /** Sends what is queued, then closes; `onConnectionRemoved` gets a null reason. */
  shutdown(): void {
    this.#connection.end();
  }

  /** Closes at once, dropping queued output; `onConnectionRemoved` gets `reason`. */
  close(reason: Error | null = null): void {
    this.#connection.close(reason);
  }

  #broker(): ThreadBroker {
    const broker = this.#connection.owner.broker;
    if (broker === undefined) throw new TypeError('publish, subscribe and send are for server connections, not a client\'s');
    return broker;
  }
}
