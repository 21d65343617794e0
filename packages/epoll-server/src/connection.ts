import { FrameError, type Frame } from '@simple-stream/frames';
import type { Stream } from '@simple-stream/stream';
import { ConnectionError, ConnectionErrorCode } from './errors.js';
import { FdTransport } from './fd-transport.js';
import type { ThreadBroker } from './broker.js';
import type { Handler } from './handler.js';
import { Epoll } from './native.js';
import type { ProxyHeader } from './proxy-header.js';
import { READ_EVENTS, READ_WRITE_EVENTS, reactor, type Corked, type Endpoint } from './reactor.js';
import { Socket, type SendStatus } from './socket.js';
import type { StatsRequests } from './stats-request.js';

/** What a connection needs from the server or client that made it. */
export interface ConnectionOwner<F extends Frame = Frame> {
  readonly handler: Handler<F>;
  /** Bytes a slow reader may have queued before `queuePolicy` applies. */
  readonly maxQueued: number;
  readonly queuePolicy: 'close' | 'drop';
  /** Counts a frame received and handed to the handler. */
  received(count: number): void;
  /** Counts a frame sent. */
  sent(): void;
  /** The connection is gone (its fd closed); report it. */
  removed(connection: Connection<F>, reason: Error | null): void;
  /** Publish and send among the server's connections (servers only, not clients). */
  readonly broker?: ThreadBroker;
  /** Takes hydrogen's stats requests before the handler sees them (`config.statsRequests`). */
  readonly statsRequests?: StatsRequests | null;
}

/**
 * A stream that wants the Socket of the connection it runs on (a WebSocket, for its
 * timers): the connection calls `attach` once registered, before `onOpen`.
 */
export interface SocketAware<F extends Frame = Frame> {
  attach(socket: Socket<F>): void;
}

const OPEN = 0;
/** Sending what is queued, then closing (peer finished, shutdown, server close). */
const CLOSING = 1;
const CLOSED = 2;

/**
 * One connection on the thread's reactor: its stream, the corking of its output during a
 * batch of events, EPOLLOUT armed only while output waits, and its removal with a reason.
 */
export class Connection<F extends Frame = Frame> implements Endpoint, Corked {
  readonly fd: number;
  readonly stream: Stream<F>;
  readonly socket: Socket<F>;
  readonly owner: ConnectionOwner<F>;
  /** Unique among the server's connections, on every thread (0 for a client's). */
  readonly id: number;
  /** The PROXY protocol header read before the stream started (`config.proxyProtocol`). */
  readonly proxyHeader: ProxyHeader | null;
  readonly #token: number;
  #state = OPEN;
  #corked = false;
  #outArmed = false;
  /** A send said 'queued': onDrain is owed once the queue is empty, whichever write empties it. */
  #drainOwed = false;

  /** Registers `stream`, which must run over an FdTransport of `fd`. */
  constructor(owner: ConnectionOwner<F>, fd: number, stream: Stream<F>, id = 0, proxyHeader: ProxyHeader | null = null) {
    const transport = stream.transport;
    if (!(transport instanceof FdTransport) || transport.fd !== fd) {
      throw new ConnectionError(ConnectionErrorCode.BadStream, `onNewConnection must return a stream over new FdTransport(${fd})`);
    }
    this.fd = fd;
    this.stream = stream;
    this.owner = owner;
    this.id = id;
    this.proxyHeader = proxyHeader;
    this.socket = new Socket(this);
    this.#token = reactor().watch(this, fd, READ_EVENTS);
    // A stream that acts outside this connection's events (a WebSocket's pings and close
    // deadlines) gets its Socket, so that those sends and closes go through the connection.
    (stream as Stream<F> & Partial<SocketAware<F>>).attach?.(this.socket);
  }

  /** True until the connection is closing or closed. */
  get open(): boolean {
    return this.#state === OPEN;
  }

  get closed(): boolean {
    return this.#state === CLOSED;
  }

  onEvents(events: number): void {
    if (this.#state === CLOSED) return;
    this.#cork();
    (this.stream.transport as FdTransport).onEvents(events);
    if ((events & Epoll.OUT) !== 0) this.#flush();
    if ((events & ~Epoll.OUT) !== 0 && this.#state !== CLOSED) this.#receive();
  }

  /** Frames `frame` for this connection, applying the queue limit. */
  send(frame: F): SendStatus {
    if (this.#state !== OPEN) return 'closed';
    const stream = this.stream;
    const limit = this.owner.maxQueued;
    if (stream.queued > 0 && stream.queued + frame.byteLength > limit) {
      // Output corked for this batch is not backpressure: let it go, then look again.
      if (!stream.blocked && !this.#tryFlush()) return 'closed';
      if (stream.queued > 0 && stream.queued + frame.byteLength > limit) {
        if (this.owner.queuePolicy === 'drop') return 'dropped';
        this.close(new ConnectionError(ConnectionErrorCode.Backpressure, `over ${limit} bytes queued for a slow reader`));
        return 'closed';
      }
    }
    if (reactor().batching) this.#cork();
    try {
      stream.nbSend(frame);
    } catch (err) {
      this.close(err as Error);
      return 'closed';
    }
    this.owner.sent();
    if (stream.blocked) this.#drainOwed = true;
    if (!this.#corked) this.#afterWrite();
    return stream.blocked ? 'queued' : 'sent';
  }

  /** Sends what is queued, then closes with no error (graceful). */
  end(): void {
    if (this.#state !== OPEN) return;
    this.#state = CLOSING;
    if (!this.#corked) this.#afterWrite();
  }

  /** Closes now, dropping queued output, and reports `reason`. */
  close(reason: Error | null): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    reactor().unwatch(this.#token, this.fd);
    try {
      this.stream.close();
    } finally {
      this.owner.removed(this, reason);
    }
  }

  uncorkAfterBatch(): void {
    this.#corked = false;
    if (this.#state === CLOSED) return;
    try {
      this.stream.uncork();
    } catch (err) {
      this.close(err as Error);
      return;
    }
    this.#afterWrite();
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.stream.cork();
    reactor().corkUntilBatchEnd(this);
  }

  #receive(): void {
    let frames: F[];
    try {
      frames = this.stream.nbRecv();
    } catch (err) {
      // Frames that arrived whole before the bad bytes are still delivered.
      if (err instanceof FrameError) this.#deliver(err.frames as F[]);
      this.close(err as Error);
      return;
    }
    this.#deliver(frames);
    if (this.stream.ended) this.end();
  }

  #deliver(frames: F[]): void {
    if (frames.length === 0) return;
    this.owner.received(frames.length);
    const handler = this.owner.handler;
    const statsRequests = this.owner.statsRequests ?? null;
    for (const frame of frames) {
      if (this.#state !== OPEN) return;
      if (statsRequests !== null && statsRequests.take(this.socket, frame)) continue;
      try {
        handler.onDataReceived(this.socket, frame.payload, frame);
      } catch (err) {
        this.close(new ConnectionError(ConnectionErrorCode.HandlerThrew, 'onDataReceived threw', { cause: err }));
        return;
      }
    }
  }

  /**
   * EPOLLOUT: write what waits. onDrain comes from #afterWrite at the end of the batch: the
   * uncork there may be the write that empties the queue.
   */
  #flush(): void {
    if (this.stream.queued > 0) this.#tryFlush();
  }

  /** Output held back by a slow reader is all out: tell the handler. */
  #drained(): void {
    this.#drainOwed = false;
    if (this.owner.handler.onDrain === undefined) return;
    try {
      this.owner.handler.onDrain(this.socket);
    } catch (err) {
      this.close(new ConnectionError(ConnectionErrorCode.HandlerThrew, 'onDrain threw', { cause: err }));
    }
  }

  /** stream.flush() with failures closing the connection; false once closed. */
  #tryFlush(): boolean {
    try {
      this.stream.flush();
      return true;
    } catch (err) {
      this.close(err as Error);
      return false;
    }
  }

  /** After writing outside a cork: arm EPOLLOUT while output waits, finish a close. */
  #afterWrite(): void {
    if (this.#state === CLOSED) return;
    const waiting = this.stream.queued > 0;
    const drained = !waiting && (this.#outArmed || this.#drainOwed);
    if (waiting !== this.#outArmed) {
      this.#outArmed = waiting;
      reactor().modify(this.#token, this.fd, waiting ? READ_WRITE_EVENTS : READ_EVENTS);
    }
    if (!waiting && this.#state === CLOSING) this.close(null);
    else if (drained && this.#state === OPEN) this.#drained();
  }
}
