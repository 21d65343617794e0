import { begin, type Config, type Server, type Stats } from '@simple-stream/epoll-server';
import { broadcast } from './broadcast.js';
import { Dispatcher, type WebSocketHandlers } from './dispatcher.js';
import type { WebSocketHandle } from './handle.js';
import type { Message } from './message.js';
import type { WebSocketServerOptions } from './options.js';

/** Where and how `serve()` listens, and its connections' WebSocket options. */
export interface ServeOptions
  extends Omit<WebSocketServerOptions, 'upgrade' | 'http' | 'onHandshake' | 'deliverPings'>,
    Pick<Config, 'addr' | 'port' | 'backlog' | 'reusePort' | 'preAllocated' | 'maxQueued' | 'queuePolicy' | 'handshakeTimeoutMs' | 'noDelay'> {}

/**
 * A WebSocket server on the epoll server: `serve()` makes it. `clients` holds the open
 * connections' handles (for broadcast), `stats()` the core server's figures.
 */
export class WebSocketServer<D = unknown> {
  readonly #server: Server<Message>;
  readonly #dispatcher: Dispatcher<D>;
  #closing: Promise<void> | null = null;

  /** @internal Use {@link serve}. */
  constructor(server: Server<Message>, dispatcher: Dispatcher<D>) {
    this.#server = server;
    this.#dispatcher = dispatcher;
  }

  /** The bound port (the one the kernel picked when 0 was asked). */
  get port(): number {
    return this.#server.port;
  }

  /** The bound address. */
  get address(): string {
    return this.#server.address;
  }

  /** The handles of the open WebSocket connections. */
  get clients(): ReadonlySet<WebSocketHandle<D>> {
    return this.#dispatcher.open;
  }

  /** The epoll server underneath. */
  get server(): Server<Message> {
    return this.#server;
  }

  /** Connections, messages and bytes, as the core server counts them. */
  stats(): Stats {
    return this.#server.stats();
  }

  /** Sends one message to every open connection, framed once; returns how many took it. */
  broadcast(data: string | Uint8Array, isBinary?: boolean): number {
    return broadcast(this.#dispatcher.open, data, isBinary);
  }

  /**
   * Stops: a close frame 1001 (going away) to every open connection, a wait (at most
   * `timeoutMs`, default 5 s) for them to answer, then the core server's close (stop
   * accepting, flush, close what is left).
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 5000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const open = this.#dispatcher.open;
    for (const ws of open) ws.end(1001, 'server closing');
    if (open.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([this.#dispatcher.allClosed(), late]);
      clearTimeout(timer);
    }
    await this.#server.close({ timeoutMs });
  }
}

/**
 * Starts a WebSocket server, in the spirit of uWebSockets.js:
 * ```ts
 * const server = await serve({ port: 8080 }, {
 *   message(ws, data, isBinary) { ws.send(data, isBinary); },
 * });
 * ```
 * Every accepted connection is a {@link WebSocket} (over TLS with `tls`), driven by the
 * epoll server; `handlers` get a {@link WebSocketHandle} per connection.
 */
export async function serve<D = unknown>(options: ServeOptions, handlers: WebSocketHandlers<D>): Promise<WebSocketServer<D>> {
  const { addr, port, backlog, reusePort, preAllocated, maxQueued, queuePolicy, handshakeTimeoutMs, noDelay, ...ws } = options;
  const dispatcher = new Dispatcher<D>('server', handlers, ws);
  const server = await begin(dispatcher, { addr, port, backlog, reusePort, preAllocated, maxQueued, queuePolicy, handshakeTimeoutMs, noDelay });
  return new WebSocketServer(server, dispatcher);
}
