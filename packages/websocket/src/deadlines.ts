import { ticker, type Timed } from './ticker.js';
import { WebSocketError, WebSocketErrorCode } from './websocket-error.js';

/** What a connection may be waiting for, with a time limit. */
export const Wait = {
  None: 0,
  /** Client: the server's 101. */
  Handshake: 1,
  /** Input, while open (idle timeout; a ping half way). */
  Input: 2,
  /** The peer's close frame, after ours. */
  CloseFrame: 3,
  /** Client, after the close frames: the server closing TCP. */
  ServerEnd: 4,
} as const;

/** The connection the deadlines belong to. */
export interface DeadlineOwner {
  /** The wait `kind` ran out of time. */
  timedOut(kind: number): void;
  /** Half the idle limit passed without input: ping the peer (a live one answers). */
  ping(): void;
}

/**
 * A connection's one time limit at a time, on the thread's {@link ticker}: marking input
 * (`seen`, once per read) is two field writes, with no timer to reset.
 */
export class Deadlines implements Timed {
  readonly #owner: DeadlineOwner;
  readonly #idleMs: number;
  #kind: number = Wait.None;
  #at = 0;
  #lastSeen = 0;
  #pinged = false;

  /** @param idleMs the idle limit while open; 0: none */
  constructor(owner: DeadlineOwner, idleMs: number) {
    this.#owner = owner;
    this.#idleMs = idleMs;
  }

  /** What is waited for now (a {@link Wait}). */
  get waiting(): number {
    return this.#kind;
  }

  /** Input arrived. */
  seen(): void {
    this.#lastSeen = ticker.now;
    this.#pinged = false;
  }

  /** Waits for `kind` at most `ms`, instead of what was waited for. */
  start(kind: number, ms: number): void {
    this.#kind = kind;
    ticker.watch(this, ms);
    this.#at = ticker.now + ms;
    this.#lastSeen = ticker.now;
  }

  /** The connection is open: watch for silence, if an idle limit is set. */
  open(): void {
    if (this.#idleMs > 0) this.start(Wait.Input, this.#idleMs);
    else this.stop();
  }

  /** Waits for nothing. */
  stop(): void {
    this.#kind = Wait.None;
    ticker.unwatch(this);
  }

  tick(now: number): boolean {
    const kind = this.#kind;
    if (kind === Wait.None) return false;
    if (kind === Wait.Input) {
      const silent = now - this.#lastSeen;
      // Stamps lag the real time by up to a period: taking it off never closes early.
      if (silent - ticker.periodMs < this.#idleMs) {
        if (!this.#pinged && silent >= this.#idleMs / 2) {
          this.#pinged = true;
          this.#owner.ping();
        }
        return true;
      }
    } else if (now < this.#at) {
      return true;
    }
    this.#kind = Wait.None;
    this.#owner.timedOut(kind);
    return false;
  }
}

/** The failure of a wait that ran out of time (not ServerEnd, which ends cleanly). */
export function deadlineError(kind: number, closeTimeoutMs: number): WebSocketError {
  if (kind === Wait.Handshake) return new WebSocketError(WebSocketErrorCode.HandshakeTimeout, 'no answer to the upgrade request in time', 1006);
  if (kind === Wait.CloseFrame) return new WebSocketError(WebSocketErrorCode.CloseTimeout, `no close frame within ${closeTimeoutMs} ms of ours`, 1006);
  return new WebSocketError(WebSocketErrorCode.IdleTimeout, 'nothing received within idleTimeoutMs', 1001);
}
