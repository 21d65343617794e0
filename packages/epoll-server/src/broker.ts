import type { Socket } from './socket.js';
import { Topics } from './topics.js';

/**
 * Publish and send as handler code sees them: `server.publish`/`server.send`, a socket's
 * `socket.server`, a handler module's `context.server`. With worker threads both reach
 * connections on every worker.
 */
export interface Broker {
  /**
   * Sends `payload` to every connection subscribed to `topic` (`socket.subscribe`), on
   * every thread of the server, framed once per framer on each thread.
   */
  publish(topic: string, payload: Uint8Array): void;
  /**
   * Sends `payload` to the connection whose `socket.id` is `id`, framed by its own stream,
   * whichever thread owns it. True when it was taken here ('sent' or 'queued') or handed
   * to the worker that owns it; false when it is not an open connection of this thread's
   * (gone, unknown) or it refused the message (over `maxQueued`, policy 'drop').
   */
  send(id: number, payload: Uint8Array): boolean;
}

/**
 * One thread's side of publish and send: its connections by id and its subscriptions. On
 * its own (a server without workers) it is the whole broker; a worker's broker extends it
 * to forward what belongs to other threads.
 */
export class ThreadBroker implements Broker {
  readonly #sockets = new Map<number, Socket>();
  readonly #topics = new Topics();

  /** Open connections registered here. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Connections of this thread subscribed to `topic`. */
  subscribers(topic: string): number {
    return this.#topics.count(topic);
  }

  /** A connection of this thread is open: `send` can reach it by its id. */
  attach(socket: Socket): void {
    this.#sockets.set(socket.id, socket);
  }

  /** A connection of this thread is gone: forget its id and its subscriptions. */
  detach(socket: Socket): void {
    this.#sockets.delete(socket.id);
    this.#topics.unsubscribeAll(socket);
  }

  /** See `Socket.subscribe`. */
  subscribe(socket: Socket, topic: string): void {
    if (!socket.closed) this.#topics.subscribe(socket, topic);
  }

  /** See `Socket.unsubscribe`. */
  unsubscribe(socket: Socket, topic: string): void {
    this.#topics.unsubscribe(socket, topic);
  }

  publish(topic: string, payload: Uint8Array): void {
    this.publishHere(topic, payload);
  }

  send(id: number, payload: Uint8Array): boolean {
    return this.sendHere(id, payload);
  }

  /** Publishes to this thread's subscribers only; returns how many took the message. */
  publishHere(topic: string, payload: Uint8Array): number {
    return this.#topics.publish(topic, payload);
  }

  /** Sends to connection `id` if this thread owns it (see {@link Broker.send}). */
  sendHere(id: number, payload: Uint8Array): boolean {
    const socket = this.#sockets.get(id);
    if (socket === undefined) return false;
    let status;
    try {
      status = socket.send(payload);
    } catch {
      // The framing cannot carry this payload: refused, as the return value says.
      return false;
    }
    return status === 'sent' || status === 'queued';
  }
}
