// Shared machinery of the server and client tests: waiting on conditions (re-checked on
// every event, never on a timer), a recording Handler, a node:net frame client, and the
// process's fd table. Every wait has a bound, so a broken test fails instead of hanging.
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { FrameReader, SimpleFrameBuilder, type Frame, type FrameBuilder } from '@simple-stream/frames';
import { Plain, type Stream } from '@simple-stream/stream';
import { FdTransport, begin, type Config, type Handler, type Server, type Socket } from '../src/index.js';

/** A waiting bound, far below the test timeout so that the failure names what it waited for. */
export const WAIT_MS = 10_000;

/** Conditions re-checked whenever `notify()` is called (on data, removal... events). */
export class Signal {
  readonly #checks = new Set<() => void>();

  notify(): void {
    for (const check of [...this.#checks]) check();
  }

  /** Resolves once `condition()` holds; rejects after `WAIT_MS` naming `what`. */
  until(condition: () => boolean, what: string | (() => string)): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: unknown): void => {
        clearTimeout(timer);
        this.#checks.delete(check);
        if (err === undefined) resolve();
        else reject(err);
      };
      const check = (): void => {
        try {
          if (condition()) done();
        } catch (err) {
          done(err);
        }
      };
      const timer = setTimeout(() => done(new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)), WAIT_MS);
      this.#checks.add(check);
      check();
    });
  }
}

/** Deterministic bytes for connection `conn`, message `seq`: a 4-byte seq header, then a pattern. */
export function payloadFor(conn: number, seq: number, size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = (i * 7 + seq * 13 + conn * 101) & 0xff;
  if (size >= 4) new DataView(p.buffer).setUint32(0, seq);
  return p;
}

/** The seq header of a payload made by {@link payloadFor}. */
export function seqOf(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
}

/** A small seeded PRNG (mulberry32), so sizes are varied but every run is the same. */
export function prng(seed: number): (max: number) => number {
  let a = seed >>> 0;
  return (max) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % (max + 1)) | 0;
  };
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (p: Uint8Array): string => Buffer.from(p).toString();
export const hex = (p: Uint8Array): string => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex');

/** A node:net client speaking a framing through FrameReader and the builders. */
export class FrameClient {
  readonly socket: net.Socket;
  /** Payloads received, copied, in order. */
  readonly frames: Uint8Array[] = [];
  readonly signal = new Signal();
  readonly #builder: FrameBuilder;
  readonly #reader: FrameReader;
  bytesWritten = 0;
  bytesRead = 0;
  decodeError: Error | null = null;
  socketError: Error | null = null;
  ended = false;
  closed = false;

  constructor(socket: net.Socket, builder: FrameBuilder) {
    this.socket = socket;
    this.#builder = builder;
    this.#reader = new FrameReader(builder);
    socket.on('data', (chunk: Buffer) => {
      this.bytesRead += chunk.length;
      try {
        for (const f of this.#reader.push(chunk)) this.frames.push(f.payload.slice());
      } catch (err) {
        this.decodeError = err as Error;
      }
      this.signal.notify();
    });
    socket.on('end', () => ((this.ended = true), this.signal.notify()));
    socket.on('error', (err) => ((this.socketError = err), this.signal.notify()));
    socket.on('close', () => ((this.closed = true), this.signal.notify()));
  }

  static async connect(port: number, builder: FrameBuilder = new SimpleFrameBuilder()): Promise<FrameClient> {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    await once(socket, 'connect');
    return new FrameClient(socket, builder);
  }

  /** The wire bytes of `payloads`, framed by this client's builder. */
  encode(...payloads: Uint8Array[]): Buffer {
    return Buffer.concat(payloads.map((p) => this.#builder.build(p).toBytes()));
  }

  /** Sends `payloads` as frames in one write. */
  send(...payloads: Uint8Array[]): void {
    this.writeRaw(this.encode(...payloads));
  }

  /** Writes bytes as they are (bad frames, partial frames). */
  writeRaw(bytes: Uint8Array): Promise<void> {
    this.bytesWritten += bytes.length;
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Resolves with the payloads once at least `count` have arrived in all. */
  async receive(count: number): Promise<Uint8Array[]> {
    await this.signal.until(() => {
      if (this.decodeError !== null) throw this.decodeError;
      return this.frames.length >= count;
    }, () => `${count} frames (have ${this.frames.length})`);
    return this.frames;
  }

  /** Sends one payload and resolves with its echo (the next frame to arrive). */
  async roundTrip(payload: Uint8Array): Promise<Uint8Array> {
    const next = this.frames.length;
    this.send(payload);
    return (await this.receive(next + 1))[next];
  }

  /** Ends our side; resolves when the socket is closed (the server closed too). */
  async end(): Promise<void> {
    this.socket.end();
    await this.signal.until(() => this.closed, 'the socket to close');
  }

  /** Destroys the socket; resolves once its fd is closed. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.signal.until(() => this.closed, 'the socket to close');
  }
}

/** One handler callback as the recording handler saw it. */
export type Event =
  | { type: 'created' | 'new' | 'open' | 'drain'; fd: number }
  | { type: 'data'; fd: number; payload: Uint8Array }
  | { type: 'removed'; fd: number; reason: Error | null };

/** What a test changes of the default echo handler (Simple frames, echo every payload). */
export interface HandlerOverrides {
  onNewConnection?(fd: number): Stream<Frame>;
  onOpen?(socket: Socket): void;
  onDataReceived?(socket: Socket, payload: Uint8Array): void;
  onDrain?(socket: Socket): void;
}

/** A running server whose handler records every callback, in order. */
export interface TestServer {
  server: Server;
  port: number;
  events: Event[];
  /** Sockets by fd, from onOpen. */
  sockets: Map<number, Socket>;
  signal: Signal;
  /** The removal of `fd`, once reported. */
  removal(fd: number): Promise<Error | null>;
  removals(): Array<{ fd: number; reason: Error | null }>;
}

export const echo = (socket: Socket, payload: Uint8Array): void => void socket.send(payload);

/** begin() on 127.0.0.1:0 with a recording handler; defaults: Plain + Simple, echo. */
export async function startServer(overrides: HandlerOverrides = {}, config: Config = {}): Promise<TestServer> {
  const events: Event[] = [];
  const sockets = new Map<number, Socket>();
  const signal = new Signal();
  const record = <T>(event: Event, call: () => T): T => {
    events.push(event);
    try {
      return call();
    } finally {
      signal.notify();
    }
  };
  const handler: Handler = {
    onServerCreated: (fd) => record({ type: 'created', fd }, () => undefined),
    onNewConnection: (fd) =>
      record({ type: 'new', fd }, () => overrides.onNewConnection?.(fd) ?? new Plain(new FdTransport(fd), new SimpleFrameBuilder())),
    onOpen: (socket) => record({ type: 'open', fd: socket.fd }, () => (sockets.set(socket.fd, socket), overrides.onOpen?.(socket))),
    onDataReceived: (socket, payload) =>
      record({ type: 'data', fd: socket.fd, payload: payload.slice() }, () => (overrides.onDataReceived ?? echo)(socket, payload)),
    onDrain: (socket) => record({ type: 'drain', fd: socket.fd }, () => overrides.onDrain?.(socket)),
    onConnectionRemoved: (fd, reason) => record({ type: 'removed', fd, reason }, () => sockets.delete(fd)),
  };
  const server = await begin(handler, { addr: '127.0.0.1', port: 0, ...config });
  const removals = () =>
    events.flatMap((e) => (e.type === 'removed' ? [{ fd: e.fd, reason: e.reason }] : []));
  return {
    server,
    port: server.port,
    events,
    sockets,
    signal,
    removals,
    async removal(fd) {
      await signal.until(() => removals().some((r) => r.fd === fd), `the removal of fd ${fd}`);
      return removals().find((r) => r.fd === fd)!.reason;
    },
  };
}

/** The server-side fd of a client: the accepted connection whose peer port is its local port. */
export async function serverFdOf(t: TestServer, client: FrameClient): Promise<number> {
  const port = client.socket.localPort;
  let fd = -1;
  await t.signal.until(() => {
    for (const s of t.sockets.values()) if (s.remoteAddress.port === port) fd = s.fd;
    return fd >= 0;
  }, `the server socket of client port ${port}`);
  return fd;
}

/** The process's open fds: fd -> what it points at ('socket:[123]', 'anon_inode:[eventpoll]'). */
export function openFds(): Map<string, string> {
  const table = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      table.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the fd readdir itself used, closed by now
    }
  }
  return table;
}

/** Fds open now that were not open (as the same thing) in `before`. */
export function fdsAddedSince(before: Map<string, string>): Array<[string, string]> {
  return [...openFds()].filter(([fd, link]) => before.get(fd) !== link);
}

/**
 * Tracks what a test opens so that afterEach can close it all, then check the fd table.
 * The first server of a process opens the thread's epoll fd and the addon's spare fd for
 * good: `warmUp` does that before the baseline is taken.
 */
export class Resources {
  readonly servers: TestServer[] = [];
  readonly clients: FrameClient[] = [];
  baseline = new Map<string, string>();

  async warmUp(): Promise<void> {
    await (await begin({ onNewConnection: (fd) => new Plain(new FdTransport(fd), new SimpleFrameBuilder()), onDataReceived: () => {} }, { addr: '127.0.0.1', port: 0 })).close();
    this.baseline = openFds();
  }

  async server(overrides?: HandlerOverrides, config?: Config): Promise<TestServer> {
    const t = await startServer(overrides, config);
    this.servers.push(t);
    return t;
  }

  async client(port: number, builder?: FrameBuilder): Promise<FrameClient> {
    const c = await FrameClient.connect(port, builder);
    this.clients.push(c);
    return c;
  }

  /** Closes every client and server; returns the fds still open that were not at the baseline. */
  async closeAll(): Promise<Array<[string, string]>> {
    await Promise.all(this.clients.splice(0).map((c) => c.destroy()));
    await Promise.all(this.servers.splice(0).map((t) => t.server.close({ timeoutMs: 1000 })));
    return fdsAddedSince(this.baseline);
  }
}
