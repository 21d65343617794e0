// Autobahn-style cases against an echo server made with `serve()`: a case says what the
// client sends (exact frames, chopped as Autobahn chops them), the messages it must get
// back in order, and how the connection must end: the client's clean close answered with
// 1000, or the server's close frame with a given code. Whatever the case, the server must
// then close TCP, say nothing more, and report the closing to the `close` callback with
// the same code; a sentinel connection on the same server must still be answered.
import { EventEmitter } from 'node:events';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { serve, type ServeOptions, type WebSocketServer } from '@simple-stream/websocket';
import { Op, WireClient, bounded, clientFrame, closeBody, closeCodeOf, type Chop, type ServerFrame, type WireOptions } from './websocket-wire.js';

/** A message the server must send: its opcode (Text, Binary, Pong…) and payload. */
export interface Reply {
  opcode: number;
  payload: Uint8Array | string;
}

/**
 * How a case ends: 'clean', the client closes with 1000 after the replies and the server
 * answers 1000; `{ answer }`, the case's own close frame (in `send`) is answered with that
 * code; `{ fail }`, the server fails the connection with a close frame of that code.
 */
export type Ending = 'clean' | { answer: number } | { fail: number };

/** One Autobahn case: its id and description, and what it sends and expects. */
export interface Case {
  /** Autobahn's case id, e.g. '5.19'. */
  id: string;
  /** What the case does, after Autobahn's description. */
  title: string;
  /** The frames the client sends (see {@link clientFrame}). */
  send?: Uint8Array[];
  /** How they are written (Autobahn: one chop, frame-wise 'sync', or octet-wise chops). */
  chop?: Chop;
  /** Instead of `send`: a script for cases that wait between their parts. */
  run?: (client: WireClient) => Promise<void>;
  /** The messages and pongs the server sends before the closing handshake, in order. */
  replies?: Reply[];
  end: Ending;
}

/** Text, binary, ping… frames as a case writes them: masked client frames. */
export const f = {
  text: (payload: Uint8Array | string, fin = true, rsv = 0) => clientFrame(Op.Text, payload, { fin, rsv }),
  binary: (payload: Uint8Array | string, fin = true, rsv = 0) => clientFrame(Op.Binary, payload, { fin, rsv }),
  cont: (payload: Uint8Array | string, fin = true, rsv = 0) => clientFrame(Op.Continuation, payload, { fin, rsv }),
  ping: (payload: Uint8Array | string = '', fin = true) => clientFrame(Op.Ping, payload, { fin }),
  pong: (payload: Uint8Array | string = '', fin = true) => clientFrame(Op.Pong, payload, { fin }),
  close: (code?: number, reason: string | Uint8Array = '') => clientFrame(Op.Close, code === undefined ? '' : closeBody(code, reason)),
  raw: (opcode: number, payload: Uint8Array | string = '', fin = true, rsv = 0) => clientFrame(opcode, payload, { fin, rsv }),
};

/** Replies, spelled briefly in the tables. */
export const r = {
  text: (payload: Uint8Array | string): Reply => ({ opcode: Op.Text, payload }),
  binary: (payload: Uint8Array | string): Reply => ({ opcode: Op.Binary, payload }),
  pong: (payload: Uint8Array | string = ''): Reply => ({ opcode: Op.Pong, payload }),
};

/** How a `close` callback of the server saw a connection end. */
export interface ServerClose {
  port: number;
  code: number;
  reason: string;
  error: Error | null;
}

/** An echo server (each message back as it came: text as text, binary as binary) and what it saw close. */
export interface EchoServer {
  server: WebSocketServer;
  /** The port it listens on (127.0.0.1). */
  port: number;
  /**
   * Resolves with the `close` callback of the connection from local port `port`, and
   * forgets it (a later connection may get the same port).
   */
  closeOf(port: number): Promise<ServerClose>;
  /** Opens a raw client to it. */
  open(options?: Omit<WireOptions, 'port'>): Promise<WireClient>;
  /** Closes the server (1001 to whoever is still connected). */
  close(): Promise<void>;
}

/**
 * Starts an echo server on 127.0.0.1 with `options`; with `options.tls`, its clients
 * connect over TLS trusting `trust.ca`.
 */
export async function echoServer(options: Omit<ServeOptions, 'addr' | 'port'> = {}, trust?: { ca: string }): Promise<EchoServer> {
  const closes = new Map<number, ServerClose>();
  const events = new EventEmitter().setMaxListeners(0);
  const server = await serve(
    { ...options, addr: '127.0.0.1', port: 0 },
    {
      // The client's port names its connection in closeOf().
      open: (ws) => void (ws.data = ws.remoteAddress.port),
      message: (ws, data, isBinary) => void ws.send(data, isBinary),
      close: (ws, code, reason, error) => {
        const port = ws.data as number;
        closes.set(port, { port, code, reason, error });
        events.emit('close', port);
      },
    },
  );
  return {
    server,
    port: server.port,
    closeOf: (port) =>
      bounded(
        new Promise((resolve) => {
          const take = (): void => {
            resolve(closes.get(port)!);
            closes.delete(port);
          };
          if (closes.has(port)) return take();
          const on = (p: number): void => {
            if (p !== port) return;
            events.off('close', on);
            take();
          };
          events.on('close', on);
        }),
        `the server's close callback for port ${port}`,
      ),
    open: (o = {}) => WireClient.open({ ...(trust === undefined ? {} : { tls: trust }), ...o, port: server.port }),
    close: () => server.close({ timeoutMs: 1000 }),
  };
}

/**
 * The hooks a conformance file starts with: before its tests, an echo server (`start`'s,
 * a plain one by default) and a {@link Sentinel} on it; after each test, the sentinel's
 * echo; at the end, both closed. Returns the server, readable once the tests run.
 */
export function echoSuite(start: () => Promise<EchoServer> = () => echoServer()): { readonly echo: EchoServer } {
  let echo: EchoServer | undefined;
  const sentinel = new Sentinel();
  beforeAll(async () => {
    echo = await start();
    await sentinel.open(echo);
  });
  afterEach(() => sentinel.check());
  afterAll(async () => {
    sentinel.close();
    await echo?.close();
  });
  return {
    get echo(): EchoServer {
      if (echo === undefined) throw new Error('the echo server starts in beforeAll');
      return echo;
    },
  };
}

/** A summary of a message or frame that compares well: whole bytes when short, a digest when long. */
export function summary(opcode: number, payload: Uint8Array | string): string {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const body = bytes.length <= 64 ? bytes.toString('hex') : `sha1:${createHash('sha1').update(bytes).digest('hex')}`;
  return `opcode ${opcode}, ${bytes.length} bytes: ${body}`;
}

/**
 * The next message from the server: a control frame as it is, or a data message put
 * together from its frames (a server may fragment). RSV bits must be clear: no extension
 * was agreed.
 */
export async function nextMessage(client: WireClient, what: string): Promise<ServerFrame> {
  const first = await client.next(what);
  expect(first.rsv, `RSV bits of a frame for ${what}`).toBe(0);
  if (first.opcode >= Op.Close || first.fin) return first;
  expect(first.opcode, `the first frame of ${what}`).not.toBe(Op.Continuation);
  const parts = [first.payload];
  for (;;) {
    const next = await client.next(what);
    expect(next.rsv).toBe(0);
    // A control frame may come between fragments; a case never expects one there.
    expect(next.opcode, `a continuation frame of ${what}`).toBe(Op.Continuation);
    parts.push(next.payload);
    if (next.fin) return { fin: true, rsv: 0, opcode: first.opcode, payload: Buffer.concat(parts) };
  }
}

/**
 * Checks the end of a connection: the server's close frame (code `code`) is the last thing
 * it sends, it closes TCP, and its `close` callback saw the same code.
 */
export async function expectClosing(echo: EchoServer, client: WireClient, code: number, initiator: 'client' | 'server'): Promise<void> {
  const port = client.socket.localPort!;
  const { frames, how } = await client.rest();
  // After a closing handshake the server ends TCP in order; a failure may end it either way.
  if (initiator === 'client') expect(how, 'how the server closed TCP').toBe('fin');
  expect(frames.map((x) => (x.opcode === Op.Close ? `close ${closeCodeOf(x)}` : summary(x.opcode, x.payload)))).toEqual([`close ${code}`]);
  const closeFrame = frames[0];
  expect(closeFrame.payload.length === 0 || (closeFrame.payload.length >= 2 && isUtf8(closeFrame.payload.subarray(2)))).toBe(true);
  const seen = await echo.closeOf(port);
  if (initiator === 'client') {
    expect({ code: seen.code, error: seen.error }).toEqual({ code, error: null });
  } else {
    // A failure: the callback gets the error with the close code the server sent.
    expect(seen.error, `the server's close callback has an error for case closing with ${code}`).not.toBeNull();
    expect((seen.error as Error & { closeCode?: number }).closeCode).toBe(code);
  }
}

/** Runs one case on a new connection to `echo`. */
export async function runCase(echo: EchoServer, c: Case): Promise<void> {
  const client = await echo.open();
  try {
    if (c.run !== undefined) await c.run(client);
    else await client.send(c.send ?? [], c.chop);
    const replies = c.replies ?? [];
    for (let i = 0; i < replies.length; i++) {
      const m = await nextMessage(client, `reply ${i + 1} of case ${c.id}`);
      expect(summary(m.opcode, m.payload), `reply ${i + 1} of case ${c.id}`).toBe(summary(replies[i].opcode, replies[i].payload));
    }
    if (c.end === 'clean') {
      await client.send([f.close(1000)]);
      await expectClosing(echo, client, 1000, 'client');
    } else if ('answer' in c.end) {
      await expectClosing(echo, client, c.end.answer, 'client');
    } else {
      await expectClosing(echo, client, c.end.fail, 'server');
    }
  } finally {
    client.destroy();
  }
}

/**
 * A connection kept open across cases: after each one, a message must still come back
 * on it (another connection's failure must not disturb it).
 */
export class Sentinel {
  #client: WireClient | null = null;
  #count = 0;

  /** Connects to `echo`; the connection stays open until `close()`. */
  async open(echo: EchoServer): Promise<void> {
    this.#client = await echo.open();
  }

  /** One echo on the sentinel connection. */
  async check(): Promise<void> {
    const client = this.#client!;
    const text = `sentinel ${++this.#count}`;
    await client.send([f.text(text)]);
    const m = await nextMessage(client, 'the sentinel echo');
    expect(summary(m.opcode, m.payload)).toBe(summary(Op.Text, text));
  }

  /** Ends the sentinel connection. */
  close(): void {
    this.#client?.destroy();
  }
}
