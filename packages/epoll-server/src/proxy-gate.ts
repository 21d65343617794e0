import { DeadlineQueue } from './deadline-queue.js';
import { ConnectionError, ConnectionErrorCode } from './errors.js';
import { transportError } from './fd-transport.js';
import { EAGAIN, Epoll, native } from './native.js';
import { proxyProtocolError, type ProxyHeader, type ProxyProtocolMode } from './proxy-header.js';
import { PROXY_HEADER_MAX_LENGTH, parseProxyHeader, proxyHeaderSpan } from './proxy-protocol.js';
import { READ_EVENTS, reactor, type Endpoint } from './reactor.js';

/** What the first look asks for: a whole v1 line, or v2 with IPv6 addresses and some TLVs. */
const FIRST_LOOK = 256;

// Headers are peeked into this and consumed into it: one array per thread serves every
// server, since a header is parsed as soon as it is peeked. It grows to the largest
// header there can be only for a v2 header that needs it.
let scratch = new Uint8Array(FIRST_LOOK);

/** An accepted socket whose header has not all arrived: watched for input, held to a deadline. */
interface Waiting extends Endpoint {
  readonly fd: number;
  /** What the server numbered the connection, handed back on admission. */
  readonly id: number;
  /** Its reactor token while watched, else -1. */
  token: number;
}

/** The peer has finished sending (or failed): what is queued is all there will be. */
const PEER_DONE = Epoll.RDHUP | Epoll.HUP | Epoll.ERR;

/**
 * The phase of a server's connections before their stream exists, when the server
 * expects a PROXY protocol header (`config.proxyProtocol`). The header is read off the
 * socket here, before `onNewConnection`: it peeks (MSG_PEEK) until the whole header is
 * in, then reads exactly its length, so the first byte the stream sees, through its
 * transport or through OpenSSL reading the fd itself, is the first byte after it.
 *
 * A socket whose header is malformed, ends early, or has not all arrived within the
 * handshake time limit is closed and reported to `refused`; the others go to `admitted`
 * with their header. Deadlines work as the handshake's (a {@link DeadlineQueue}: one
 * timer per server, not a timer per socket).
 */
export class ProxyGate {
  /** The header versions accepted. */
  readonly mode: Exclude<ProxyProtocolMode, false>;
  /** The time a socket has to send its whole header, in ms (0: no limit). */
  readonly limitMs: number;
  readonly #admitted: (fd: number, id: number, header: ProxyHeader) => void;
  readonly #refused: (fd: number, reason: Error) => void;
  readonly #deadlines: DeadlineQueue<Waiting>;
  readonly #waiting = new Set<Waiting>();

  constructor(
    mode: Exclude<ProxyProtocolMode, false>,
    limitMs: number,
    admitted: (fd: number, id: number, header: ProxyHeader) => void,
    refused: (fd: number, reason: Error) => void,
  ) {
    this.mode = mode;
    this.limitMs = limitMs;
    this.#admitted = admitted;
    this.#refused = refused;
    this.#deadlines = new DeadlineQueue(
      limitMs,
      (waiting) => this.#waiting.has(waiting),
      (waiting) => this.#refuse(waiting, new ConnectionError(ConnectionErrorCode.HandshakeTimeout, `PROXY header not complete within ${limitMs} ms`)),
    );
  }

  /** Sockets whose header has not all arrived yet. */
  get pending(): number {
    return this.#waiting.size;
  }

  /** Takes a just-accepted socket (`id`: the server's number for it): its header is often in already. */
  admit(fd: number, id: number): void {
    const waiting: Waiting = {
      fd,
      id,
      token: -1,
      onEvents: (events) => void this.#inspect(waiting, (events & PEER_DONE) !== 0),
    };
    if (this.#inspect(waiting, false)) return;
    waiting.token = reactor().watch(waiting, fd, READ_EVENTS);
    this.#waiting.add(waiting);
    this.#deadlines.add(waiting);
  }

  /**
   * Looks at what has arrived; admits or refuses the socket when it can tell. `peerDone`:
   * the peer has finished sending (or failed), so an incomplete header stays incomplete.
   * True once the socket is settled.
   */
  #inspect(waiting: Waiting, peerDone: boolean): boolean {
    const fd = waiting.fd;
    let want = FIRST_LOOK;
    for (;;) {
      const n = native.peek(fd, scratch, 0, want);
      if (n === -EAGAIN && !peerDone) return false;
      if (n < 0 && n !== -EAGAIN) return this.#refuse(waiting, transportError(n, 'recv'));
      if (n <= 0) return this.#refuse(waiting, proxyProtocolError('the connection ended before its header'));
      let header: ProxyHeader | null;
      try {
        header = parseProxyHeader(scratch.subarray(0, n), this.mode);
      } catch (err) {
        return this.#refuse(waiting, err as Error);
      }
      if (header !== null) return this.#consume(waiting, header);
      const span = proxyHeaderSpan(scratch.subarray(0, n));
      if (n === want && span > want) {
        if (scratch.length < span) scratch = new Uint8Array(PROXY_HEADER_MAX_LENGTH);
        want = span;
        continue;
      }
      // All that is queued has been seen and the header is not complete.
      if (peerDone) return this.#refuse(waiting, proxyProtocolError(`the connection ended ${n} bytes into its header`));
      return false;
    }
  }

  /** Closes the sockets whose deadline has passed with ConnectionError `HANDSHAKE_TIMEOUT`. */
  check(now = performance.now()): void {
    this.#deadlines.check(now);
  }

  /** The server is closing: every socket still waiting is closed with `SERVER_CLOSED`. */
  close(): void {
    this.#deadlines.clear();
    for (const waiting of [...this.#waiting]) {
      this.#refuse(waiting, new ConnectionError(ConnectionErrorCode.ServerClosed, 'the server closed before the PROXY header arrived'));
    }
  }

  /** Reads exactly the header's bytes (already queued: the peek saw them), then admits. */
  #consume(waiting: Waiting, header: ProxyHeader): boolean {
    const n = native.read(waiting.fd, scratch, 0, header.length);
    if (n !== header.length) {
      return this.#refuse(waiting, n < 0 ? transportError(n, 'read') : proxyProtocolError(`read ${n} of the header's ${header.length} bytes`));
    }
    this.#settle(waiting);
    this.#admitted(waiting.fd, waiting.id, header);
    return true;
  }

  #refuse(waiting: Waiting, reason: Error): boolean {
    this.#settle(waiting);
    native.close(waiting.fd);
    this.#refused(waiting.fd, reason);
    return true;
  }

  /** Stops watching the socket (the stream's connection registers it anew). */
  #settle(waiting: Waiting): void {
    if (waiting.token < 0) return;
    reactor().unwatch(waiting.token, waiting.fd);
    waiting.token = -1;
    this.#waiting.delete(waiting);
  }
}
