import type { Frame } from '@simple-stream/frames';
import type { Connection } from './connection.js';
import { FdTransport } from './fd-transport.js';

/** Live figures of a server (or client), as `server.stats()` returns them. */
export interface Stats {
  /** Connections open now. */
  connections: number;
  /** Connections accepted (or made) since the start. */
  accepted: number;
  /** Connections removed since the start. */
  removed: number;
  /** Frames received and handed to the handler. */
  messagesReceived: number;
  /** Frames sent. */
  messagesSent: number;
  /** Bytes read from sockets. */
  bytesReceived: number;
  /** Bytes written to sockets. */
  bytesSent: number;
}

/** The counting behind {@link Stats}: cheap increments on the hot path, sums on demand. */
export class Counters<F extends Frame = Frame> {
  readonly live = new Set<Connection<F>>();
  accepted = 0;
  removed = 0;
  messagesReceived = 0;
  messagesSent = 0;
  #bytesReceived = 0;
  #bytesSent = 0;

  /** Adds a removed connection's byte counts to the totals. */
  retire(connection: Connection<F>): void {
    this.live.delete(connection);
    this.removed++;
    const bytes = socketBytes(connection);
    this.#bytesReceived += bytes.read;
    this.#bytesSent += bytes.written;
  }

  snapshot(): Stats {
    let bytesReceived = this.#bytesReceived;
    let bytesSent = this.#bytesSent;
    for (const c of this.live) {
      const bytes = socketBytes(c);
      bytesReceived += bytes.read;
      bytesSent += bytes.written;
    }
    return {
      connections: this.live.size,
      accepted: this.accepted,
      removed: this.removed,
      messagesReceived: this.messagesReceived,
      messagesSent: this.messagesSent,
      bytesReceived,
      bytesSent,
    };
  }
}

/**
 * The bytes a connection has moved on its socket: its transport's counts plus what the
 * stream moved itself (Secure over the fd: OpenSSL reads and writes the socket). Cold path.
 */
export function socketBytes<F extends Frame>(connection: Connection<F>): { read: number; written: number } {
  const stream = connection.stream;
  const transport = stream.transport as FdTransport;
  const own = stream.socketBytes?.();
  return { read: transport.bytesRead + (own?.read ?? 0), written: transport.bytesWritten + (own?.written ?? 0) };
}
