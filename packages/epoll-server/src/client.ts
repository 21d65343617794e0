import type { Frame } from '@simple-stream/frames';
import { handshakeTimeoutOf, limitsOf, type Config } from './config.js';
import { Connection, type ConnectionOwner } from './connection.js';
import { Counters } from './counters.js';
import { ConnectionError, ConnectionErrorCode } from './errors.js';
import { transportError } from './fd-transport.js';
import { HandshakeDeadlines } from './handshakes.js';
import type { Handler } from './handler.js';
import { Epoll, native } from './native.js';
import { reactor } from './reactor.js';
import type { Socket } from './socket.js';

/** Where and how to connect. */
export interface ConnectOptions extends Pick<Config, 'maxQueued' | 'queuePolicy' | 'handshakeTimeoutMs'> {
  /** Numeric IPv4 or IPv6 address; default '127.0.0.1'. */
  addr?: string;
  port: number;
}

/** The owner of one client connection: its handler, limits and counters. */
class Client<F extends Frame> implements ConnectionOwner<F> {
  readonly maxQueued: number;
  readonly queuePolicy: 'close' | 'drop';
  readonly counters = new Counters<F>();
  /** A server that never completes the handshake (TLS) must not hold the client forever. */
  readonly handshakes: HandshakeDeadlines<F>;

  constructor(
    readonly handler: Handler<F>,
    options: ConnectOptions,
  ) {
    const limits = limitsOf(options);
    this.maxQueued = limits.maxQueued;
    this.queuePolicy = limits.queuePolicy;
    this.handshakes = new HandshakeDeadlines(handshakeTimeoutOf(options));
  }

  received(count: number): void {
    this.counters.messagesReceived += count;
  }

  sent(): void {
    this.counters.messagesSent++;
  }

  removed(connection: Connection<F>, reason: Error | null): void {
    this.counters.retire(connection);
    try {
      this.handler.onConnectionRemoved?.(connection.fd, reason);
    } catch (err) {
      process.emitWarning(`onConnectionRemoved threw: ${String(err)}`, 'HandlerWarning');
    }
  }
}

/**
 * Connects to a server and runs the connection with the same Handler shape and streams
 * as a server's: `onNewConnection(fd)` once connected, then `onOpen`, `onDataReceived`,
 * `onConnectionRemoved`. A stream with a handshake (`Secure`) is held to
 * `options.handshakeTimeoutMs` (default 10 s) as on a server: past it the connection is
 * removed with ConnectionError `HANDSHAKE_TIMEOUT`. Resolves with the connection's Socket; rejects with a
 * TransportError (ECONNREFUSED…) when the connection cannot be made.
 */
export function connect<F extends Frame = Frame>(handler: Handler<F>, options: ConnectOptions): Promise<Socket<F>> {
  const client = new Client(handler, options);
  const fd = native.connect(options.addr ?? '127.0.0.1', options.port);
  const r = reactor();
  return new Promise<Socket<F>>((resolve, reject) => {
    const token = r.watch(
      {
        onEvents(): void {
          r.unwatch(token, fd);
          const error = native.socketError(fd);
          if (error < 0) {
            native.close(fd);
            reject(transportError(error, 'connect'));
            return;
          }
          let connection: Connection<F>;
          try {
            connection = new Connection(client, fd, handler.onNewConnection(fd));
          } catch (err) {
            native.close(fd);
            reject(err instanceof ConnectionError ? err : new ConnectionError(ConnectionErrorCode.HandlerThrew, 'onNewConnection threw', { cause: err }));
            return;
          }
          client.counters.accepted++;
          client.counters.live.add(connection);
          client.handshakes.watch(connection);
          resolve(connection.socket);
          try {
            handler.onOpen?.(connection.socket);
          } catch (err) {
            connection.close(new ConnectionError(ConnectionErrorCode.HandlerThrew, 'onOpen threw', { cause: err }));
          }
        },
      },
      fd,
      Epoll.OUT | Epoll.ET,
    );
  });
}
