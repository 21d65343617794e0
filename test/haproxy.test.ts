// config.proxyProtocol behind a real HAProxy (Debian's /usr/sbin/haproxy), started by this
// file in TCP mode with one frontend per case: `send-proxy` (v1) and `send-proxy-v2` in
// front of Plain servers, and of Secure servers in both modes (fd: OpenSSL reads the
// socket itself, so the header must be gone before it does; transport). The handler must
// see 127.0.0.1 and the client's own port. HAProxy is killed by its PID in afterAll.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { ConnectionError, FdTransport, type Config } from '@simple-stream/epoll-server';
import { Secure, TlsContext } from '@simple-stream/tls';
import { makeCerts, type Certs } from '../packages/tls/test/certs.js';
import { FrameClient, WAIT_MS, serverFdOf, startServer, str, text, type TestServer } from '../packages/epoll-server/test/helpers.js';

const HAPROXY = '/usr/sbin/haproxy';
const builder = new SimpleFrameBuilder();

interface Case {
  name: string;
  /** HAProxy's server keyword. */
  send: 'send-proxy' | 'send-proxy-v2';
  proxyProtocol: Config['proxyProtocol'];
  tls?: 'fd' | 'transport';
}
const cases: Case[] = [
  { name: 'v1, Plain', send: 'send-proxy', proxyProtocol: 'v1' },
  { name: 'v2, Plain', send: 'send-proxy-v2', proxyProtocol: 'v2' },
  { name: 'v2, Secure in fd mode', send: 'send-proxy-v2', proxyProtocol: 'any', tls: 'fd' },
  { name: 'v1, Secure in transport mode', send: 'send-proxy', proxyProtocol: 'any', tls: 'transport' },
];

let certs: Certs;
let serverCtx: TlsContext;
let dir: string;
let haproxy: ChildProcess | null = null;
let haproxyLog = '';
const servers = new Map<Case, TestServer>();
/** The HAProxy frontend port in front of each case's server. */
const frontends = new Map<Case, number>();

/** Ports free now (bound to 0, then released) for HAProxy's frontends. */
async function freePorts(count: number): Promise<number[]> {
  const listeners = await Promise.all(
    Array.from({ length: count }, async () => {
      const l = net.createServer().listen(0, '127.0.0.1');
      await once(l, 'listening');
      return l;
    }),
  );
  const ports = listeners.map((l) => (l.address() as net.AddressInfo).port);
  await Promise.all(listeners.map((l) => new Promise((resolve) => l.close(resolve))));
  return ports;
}

function config(): string {
  const lines = ['global', '  maxconn 256', 'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s'];
  cases.forEach((c, i) => {
    lines.push(`frontend f${i}`, `  bind 127.0.0.1:${frontends.get(c)}`, `  default_backend b${i}`);
    lines.push(`backend b${i}`, `  server s${i} 127.0.0.1:${servers.get(c)!.port} ${c.send}`);
  });
  return lines.join('\n') + '\n';
}

/** Resolves once `port` accepts a connection; fails when HAProxy exits or after WAIT_MS. */
async function accepting(port: number): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  for (;;) {
    if (haproxy === null || haproxy.exitCode !== null) throw new Error(`haproxy exited: ${haproxyLog}`);
    const ok = await new Promise<boolean>((resolve) => {
      const probe = net.connect(port, '127.0.0.1');
      probe.once('connect', () => (probe.destroy(), resolve(true)));
      probe.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`haproxy not accepting on ${port} within ${WAIT_MS} ms: ${haproxyLog}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startHaproxy(): Promise<void> {
  const ports = await freePorts(cases.length);
  cases.forEach((c, i) => frontends.set(c, ports[i]));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config());
  haproxyLog = '';
  const child = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy = child;
  child.stdout!.on('data', (d: Buffer) => (haproxyLog += d));
  child.stderr!.on('data', (d: Buffer) => (haproxyLog += d));
  child.on('error', (err) => (haproxyLog += String(err)));
  for (const port of ports) await accepting(port);
}

/** Ends HAProxy by its PID: SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function stopHaproxy(): Promise<void> {
  const child = haproxy;
  haproxy = null;
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  certs = makeCerts();
  serverCtx = TlsContext.server({ ...certs.server });
  dir = mkdtempSync(join(tmpdir(), 'ss-haproxy-'));
  for (const c of cases) {
    const stream =
      c.tls === undefined
        ? undefined
        : c.tls === 'fd'
          ? (fd: number) => Secure.overSocket(new FdTransport(fd), builder, serverCtx)
          : (fd: number) => new Secure(new FdTransport(fd), builder, serverCtx);
    servers.set(c, await startServer(stream === undefined ? {} : { onNewConnection: stream }, { proxyProtocol: c.proxyProtocol }));
  }
  // A port taken between freePorts and HAProxy's bind makes it exit: try again, a bounded number of times.
  for (let attempt = 1; ; attempt++) {
    try {
      await startHaproxy();
      return;
    } catch (err) {
      await stopHaproxy();
      if (attempt === 3) throw err;
    }
  }
});

afterAll(async () => {
  await stopHaproxy();
  await Promise.all([...servers.values()].map((t) => t.server.close({ timeoutMs: 1000 })));
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

/** A client through the case's frontend: node:net, or node:tls over it for Secure servers. */
async function clientThrough(c: Case): Promise<FrameClient> {
  const port = frontends.get(c)!;
  if (c.tls === undefined) return FrameClient.connect(port);
  const socket = tls.connect({ host: '127.0.0.1', port, ca: certs.ca.cert, servername: 'localhost' });
  await once(socket, 'secureConnect');
  return new FrameClient(socket, builder);
}

describe.each(cases)('behind HAProxy: $name', (c) => {
  it("the handler sees 127.0.0.1 and the client's own port; the proxy's address is the peer", async () => {
    const t = servers.get(c)!;
    const clients = await Promise.all([clientThrough(c), clientThrough(c), clientThrough(c)]);
    try {
      for (const [i, client] of clients.entries()) expect(str(await client.roundTrip(text(`hello ${i}`)))).toBe(`hello ${i}`);
      for (const client of clients) {
        // serverFdOf matches on remoteAddress.port: it finds the connection only if the
        // header's source, not HAProxy's own socket, is what the handler sees.
        const socket = t.sockets.get(await serverFdOf(t, client))!;
        expect(socket.remoteAddress).toEqual({ address: '127.0.0.1', port: client.socket.localPort, family: 'IPv4' });
        expect(socket.peerAddress.address).toBe('127.0.0.1');
        expect(socket.peerAddress.port).not.toBe(client.socket.localPort);
        expect(socket.proxyHeader).toMatchObject({
          version: c.send === 'send-proxy' ? 1 : 2,
          command: 'PROXY',
          destination: { address: '127.0.0.1', port: frontends.get(c) },
        });
      }
    } finally {
      await Promise.all(clients.map((client) => client.destroy()));
    }
  });
});

describe('behind HAProxy, a client without the proxy', () => {
  it('is refused with PROXY_PROTOCOL while the proxied ones go on', async () => {
    const c = cases[1];
    const t = servers.get(c)!;
    const direct = await FrameClient.connect(t.port);
    const proxied = await clientThrough(c);
    try {
      direct.send(text('no header'));
      await direct.signal.until(() => direct.closed, 'the direct client to be closed');
      const refused = t.removals().filter((r) => r.reason instanceof ConnectionError && r.reason.code === 'PROXY_PROTOCOL');
      expect(refused.map((r) => r.reason!.message)).toEqual(['PROXY protocol: expected the v2 signature, got byte 0x01 first']);
      expect(str(await proxied.roundTrip(text('fine')))).toBe('fine');
    } finally {
      await Promise.all([direct.destroy(), proxied.destroy()]);
    }
  });
});
