// Interop: Python's `websockets` (Debian's python3-websockets, run by /usr/bin/python3) as
// a client of serve(): text, binary, fragmented and large echoes, a ping, and a close with
// a code, over ws:// and wss:// (the test CA), with and without permessage-deflate. The
// client script (test/interop/websockets_client.py) reports what it got; the test judges.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsContext } from '@simple-stream/tls';
import { serve, type WebSocketServer } from '@simple-stream/websocket';
import { makeCerts, type Certs } from '../packages/tls/test/certs.js';
import { bounded } from './websocket-wire.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./interop/websockets_client.py', import.meta.url));
/** The longest a client run may take (its own limit is 20 s). */
const RUN_MS = 25_000;

const children = new Set<ChildProcess>();
let certs: Certs;
let caFile: string;

beforeAll(() => {
  const probe = spawnSync(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`${PYTHON} cannot import websockets (install Debian's python3-websockets): ${probe.error?.message ?? probe.stderr}`);
  }
  certs = makeCerts();
  caFile = join(certs.dir, 'ca.crt');
  writeFileSync(caFile, certs.ca.cert);
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  certs?.remove();
});

/** What the script sends, in order, as the bytes the echo must have. */
const SENT: Array<{ type: 'text' | 'binary'; bytes: Buffer }> = [
  { type: 'text', bytes: Buffer.from('hello from websockets, ünïcödé ✓') },
  { type: 'binary', bytes: Buffer.concat(Array.from({ length: 4 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i)))) },
  { type: 'text', bytes: Buffer.from('fragmented text ✓') },
  { type: 'binary', bytes: Buffer.concat([Buffer.from([0, 1, 2]), Buffer.alloc(3000, 0xff)]) },
  { type: 'text', bytes: Buffer.from('compressible '.repeat(20000)) },
];

const described = ({ type, bytes }: { type: string; bytes: Buffer }) => ({ type, length: bytes.length, sha1: createHash('sha1').update(bytes).digest('hex') });

interface Report {
  version: string;
  extensions: string | null;
  echoes: Array<{ type: string; length: number; sha1: string }>;
  pong: boolean;
  close: { code: number; reason: string };
}

/** Runs the client script against `url`; resolves with its report once it exits with 0. */
async function runClient(url: string, args: string[]): Promise<Report> {
  const child = spawn(PYTHON, [SCRIPT, url, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const [code] = await bounded(new Promise<[number | null]>((resolve) => child.on('exit', (c) => resolve([c]))), 'the Python client to finish', RUN_MS);
  children.delete(child);
  if (code !== 0) throw new Error(`the Python client exited with ${code}: ${err}`);
  return JSON.parse(out.trim()) as Report;
}

interface Seen {
  /** The Sec-WebSocket-Extensions answered, per connection. */
  extensions: Array<string | null>;
  /** Resolves with the first connection's `close` callback. */
  closed: Promise<{ code: number; reason: string; error: Error | null }>;
}

/** An echo server (over TLS with the test certificate, compressing if `deflate`) and what it saw. */
async function echoServer(tls: boolean, deflate: boolean): Promise<{ server: WebSocketServer; seen: Seen }> {
  let closed!: (info: { code: number; reason: string; error: Error | null }) => void;
  const seen: Seen = { extensions: [], closed: new Promise((resolve) => (closed = resolve)) };
  const server = await serve(
    { addr: '127.0.0.1', port: 0, deflate, tls: tls ? TlsContext.server(certs.server) : undefined },
    {
      open: (ws) => void seen.extensions.push(ws.agreement?.extensions ?? null),
      message: (ws, data, isBinary) => void ws.send(data, isBinary),
      close: (_, code, reason, error) => closed({ code, reason, error }),
    },
  );
  return { server, seen };
}

describe.each([
  ['ws://', false, false],
  ['ws:// with permessage-deflate', false, true],
  ['wss://', true, false],
  ['wss:// with permessage-deflate', true, true],
])("Python's websockets client over %s", (_, tls, deflate) => {
  it('gets every message back whole, its ping answered, and its close code echoed', async () => {
    const { server, seen } = await echoServer(tls, deflate);
    try {
      const url = `${tls ? 'wss' : 'ws'}://localhost:${server.port}/interop`;
      const report = await runClient(url, [...(tls ? ['--ca', caFile] : []), ...(deflate ? ['--deflate'] : [])]);
      expect(report.echoes).toEqual(SENT.map(described));
      expect(report.pong).toBe(true);
      expect(report.close).toEqual({ code: 4001, reason: '' });
      if (deflate) expect(report.extensions).toMatch(/^permessage-deflate(;|$)/);
      else expect(report.extensions).toBeNull();
      expect(seen.extensions).toEqual([report.extensions]);
      expect(await bounded(seen.closed, "the server's close callback")).toEqual({ code: 4001, reason: 'bye from python', error: null });
    } finally {
      await server.close({ timeoutMs: 1000 });
    }
  });
});
