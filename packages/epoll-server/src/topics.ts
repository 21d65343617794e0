import type { Frame, FrameBuilder } from '@simple-stream/frames';
import type { Socket } from './socket.js';

/**
 * One thread's subscriptions: which of its connections listen to which topic. Publishing
 * frames the payload once per framer (FrameBuilder) among the subscribers, not once per
 * subscriber: the frame is built once and each connection copies its bytes into its output.
 */
export class Topics {
  readonly #subscribers = new Map<string, Set<Socket>>();
  readonly #topicsOf = new Map<Socket, Set<string>>();

  /** Topics with at least one subscriber on this thread. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Subscribers of `topic` on this thread. */
  count(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /** `socket` receives what is published to `topic` from now on (once, however often asked). */
  subscribe(socket: Socket, topic: string): void {
    let subscribers = this.#subscribers.get(topic);
    if (subscribers === undefined) this.#subscribers.set(topic, (subscribers = new Set()));
    subscribers.add(socket);
    let topics = this.#topicsOf.get(socket);
    if (topics === undefined) this.#topicsOf.set(socket, (topics = new Set()));
    topics.add(topic);
  }

  /** `socket` no longer receives `topic`. */
  unsubscribe(socket: Socket, topic: string): void {
    const subscribers = this.#subscribers.get(topic);
    if (subscribers?.delete(socket) && subscribers.size === 0) this.#subscribers.delete(topic);
    const topics = this.#topicsOf.get(socket);
    if (topics?.delete(topic) && topics.size === 0) this.#topicsOf.delete(socket);
  }

  /** Drops every subscription of `socket` (its connection is gone). */
  unsubscribeAll(socket: Socket): void {
    const topics = this.#topicsOf.get(socket);
    if (topics === undefined) return;
    for (const topic of [...topics]) this.unsubscribe(socket, topic);
  }

  /**
   * Sends `payload` to this thread's subscribers of `topic`. Returns how many took it
   * ('sent' or 'queued'); the others were closed, over their queue limit (policy 'drop'),
   * or their framing cannot carry the payload (too long for a Simple frame, say).
   */
  publish(topic: string, payload: Uint8Array): number {
    const subscribers = this.#subscribers.get(topic);
    if (subscribers === undefined) return 0;
    // Nearly always one framer for all: keep the last one at hand, a map only past it.
    let lastBuilder: FrameBuilder | null = null;
    let lastFrame: Frame | null = null;
    let others: Map<FrameBuilder, Frame | null> | null = null;
    let taken = 0;
    // A send may close its connection, which unsubscribes it: a Set tolerates deletion
    // while it is iterated.
    for (const socket of subscribers) {
      const builder = socket.stream.builder;
      let frame: Frame | null;
      if (builder === lastBuilder) frame = lastFrame;
      else {
        if (lastBuilder !== null) (others ??= new Map()).set(lastBuilder, lastFrame);
        frame = others?.has(builder) ? others.get(builder)! : frameFor(builder, payload);
        lastBuilder = builder;
        lastFrame = frame;
      }
      if (frame === null) continue;
      const status = socket.sendFrame(frame);
      if (status === 'sent' || status === 'queued') taken++;
    }
    return taken;
  }
}

/** The frame `builder` makes of `payload`, or null when its framing cannot carry it. */
function frameFor(builder: FrameBuilder, payload: Uint8Array): Frame | null {
  try {
    return builder.build(payload);
  } catch {
    return null;
  }
}
