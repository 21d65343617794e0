// Tests of the native addon against real sockets on 127.0.0.1. Every wait is on an epoll
// event (or a socket/process event) with the test timeout as the bound: no sleeps.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EAGAIN,
  Epoll,
  Errno,
  Shutdown,
  SystemError,
  errnoError,
  isSystemError,
  native,
} from '../src/index.js';
import * as opt from '../src/socket-options.js';
import { openFds } from './helpers.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeGypBuildPath = createRequire(import.meta.url).resolve('node-gyp-build');
/** CommonJS prologue for child processes and workers: the addon, loaded directly. */
const loadAddon =
  `const b = require(${JSON.stringify(nodeGypBuildPath)})(${JSON.stringify(packageRoot)});` +
  `const C = b.constants;`;

/** fcntl flags from /proc (octal): proves O_NONBLOCK/O_CLOEXEC without a blocking call. */
function fdFlags(fd: number): number {
  const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m) throw new Error(`no flags for fd ${fd}`);
  return parseInt(m[1], 8);
}
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** An epoll loop whose events can be awaited per token. */
class TestLoop {
  readonly events = new Int32Array(2 * 8);
  readonly id: number;
  private readonly pending = new Map<number, number[]>();
  private waiters: { token: number; mask: number; resolve: (events: number) => void }[] = [];

  constructor() {
    this.id = native.loopCreate(this.events, (count) => this.onEvents(count));
  }

  private onEvents(count: number): void {
    for (let i = 0; i < count; i++) {
      const token = this.events[2 * i] >>> 0;
      const events = this.events[2 * i + 1];
      const w = this.waiters.findIndex((x) => x.token === token && (events & x.mask) !== 0);
      if (w >= 0) this.waiters.splice(w, 1)[0].resolve(events);
      else this.pending.set(token, [...(this.pending.get(token) ?? []), events]);
    }
  }

  /** The next event for `token` with any bit of `mask` (one already delivered counts). */
  wait(token: number, mask: number): Promise<number> {
    const queue = this.pending.get(token) ?? [];
    const i = queue.findIndex((events) => (events & mask) !== 0);
    if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
    return new Promise((resolve) => this.waiters.push({ token, mask, resolve }));
  }

  add(fd: number, token: number, events: number): void {
    native.loopAdd(this.id, fd, token, events);
  }

  close(): void {
    native.loopClose(this.id);
  }
}

/** Reads until EAGAIN (edge-triggered contract) with one reused buffer. */
function drain(fd: number, buffer: Uint8Array, into: number[]): number {
  for (;;) {
    const n = native.read(fd, buffer);
    if (n <= 0) return n; // 0 = end of stream, -EAGAIN = drained, other = error
    for (let i = 0; i < n; i++) into.push(buffer[i]);
  }
}

/** Runs a CommonJS snippet in a child node; resolves once its pipes are closed. */
function runNode(code: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = execFile(process.execPath, ['-e', code], { timeout: 15_000 }, (_e, stdout, stderr) =>
      done({ code: child.exitCode, stdout, stderr }),
    );
  });
}

let fdsBefore: Map<string, string>;
let loop: TestLoop;
let listenFd = -1;
let port = 0;

let loopClosed = false;

beforeAll(() => {
  fdsBefore = openFds();
  loop = new TestLoop();
});

afterAll(() => {
  if (loop !== undefined && !loopClosed) loop.close();
});

describe('listen, accept and the loop', () => {
  const LISTENER = 1;
  const CONN = 2;
  let server = -1;
  let client: net.Socket;
  const received: Buffer[] = [];

  it('listens on port 0 and reports the bound port', () => {
    listenFd = native.listen('127.0.0.1', 0, 128, { reuseAddr: true });
    expect(fdFlags(listenFd) & (O_NONBLOCK | O_CLOEXEC)).toBe(O_NONBLOCK | O_CLOEXEC);
    const address = native.localAddress(listenFd);
    expect(address.family).toBe('IPv4');
    expect(address.address).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    port = address.port;
    // Nothing queued yet: -EAGAIN, and no exception on the hot path.
    expect(native.accept(listenFd, new Int32Array(4))).toBe(-EAGAIN);
  });

  it('reports EPOLLIN on the listener and accepts a non-blocking fd', async () => {
    loop.add(listenFd, LISTENER, Epoll.IN | Epoll.ET);
    client = net.connect({ host: '127.0.0.1', port });
    client.on('data', (d: Buffer) => received.push(d));
    await once(client, 'connect');
    expect((await loop.wait(LISTENER, Epoll.IN)) & Epoll.IN).toBe(Epoll.IN);
    const out = new Int32Array(4);
    const n = native.accept(listenFd, out);
    expect(n).toBe(1);
    expect(out[1]).toBe(-EAGAIN); // stop reason: drained
    server = out[0];
    expect(fdFlags(server) & (O_NONBLOCK | O_CLOEXEC)).toBe(O_NONBLOCK | O_CLOEXEC);
    expect(native.remoteAddress(server)).toEqual({ address: '127.0.0.1', port: client.localPort, family: 'IPv4' });
    expect(native.localAddress(server).port).toBe(port);
  });

  it('reads edge-triggered until EAGAIN, then 0 at end of stream', async () => {
    loop.add(server, CONN, Epoll.IN | Epoll.RDHUP | Epoll.ET);
    const sent = Buffer.alloc(256 * 1024);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff;
    client.write(sent);
    const got: number[] = [];
    const buffer = new Uint8Array(4096); // one reused buffer, as the server will do
    while (got.length < sent.length) {
      await loop.wait(CONN, Epoll.IN);
      expect(drain(server, buffer, got)).toBe(-EAGAIN);
    }
    expect(Buffer.from(got).equals(sent)).toBe(true);

    client.end();
    let last: number;
    do {
      const events = await loop.wait(CONN, Epoll.IN | Epoll.RDHUP);
      if (events & Epoll.RDHUP) expect(events & Epoll.IN).toBe(Epoll.IN);
      last = drain(server, buffer, got);
    } while (last === -EAGAIN);
    expect(last).toBe(0);
  });

  it('write and writev reach the client', async () => {
    const hello = new TextEncoder().encode('>>hello<<');
    expect(native.write(server, hello, 2, 5)).toBe(5);
    const chunks = [Buffer.from(' a'), new Uint8Array(0), Buffer.from(' bc'), Buffer.from(' def')];
    expect(native.writev(server, chunks)).toBe(9);
    const expected = 'hello a bc def';
    while (Buffer.concat(received).length < expected.length) await once(client, 'data');
    expect(Buffer.concat(received).toString()).toBe(expected);
    expect(() => native.write(server, hello, 4, 10)).toThrow(RangeError);
  });

  it('EPOLLOUT arrives when armed', async () => {
    native.loopModify(loop.id, server, CONN, Epoll.IN | Epoll.OUT | Epoll.ET);
    expect((await loop.wait(CONN, Epoll.OUT)) & Epoll.OUT).toBe(Epoll.OUT);
    native.loopRemove(loop.id, server);
    const closed = once(client, 'close');
    native.close(server);
    await closed;
  });
});

describe('socketpair, backpressure and connect', () => {
  it('round-trips over a socketpair and reports EPOLLOUT after backpressure', async () => {
    const [a, b] = native.socketpair();
    expect(native.localAddress(a)).toEqual({ address: '', port: 0, family: 'unix' });
    const A = 10;
    const B = 11;
    loop.add(a, A, Epoll.IN | Epoll.ET);
    loop.add(b, B, Epoll.IN | Epoll.ET);
    expect(native.write(a, Buffer.from('ping'))).toBe(4);
    await loop.wait(B, Epoll.IN);
    const buffer = new Uint8Array(64 * 1024);
    const got: number[] = [];
    expect(drain(b, buffer, got)).toBe(-EAGAIN);
    expect(Buffer.from(got).toString()).toBe('ping');

    // Fill a's send path until EAGAIN, arm EPOLLOUT, then let b consume everything.
    let written = 0;
    let r: number;
    while ((r = native.write(a, buffer)) > 0) {
      written += r;
      expect(written).toBeLessThan(1 << 30);
    }
    expect(r).toBe(-EAGAIN);
    native.loopModify(loop.id, a, A, Epoll.IN | Epoll.OUT | Epoll.ET);
    const writable = loop.wait(A, Epoll.OUT);
    got.length = 0;
    while (got.length < written) {
      drain(b, buffer, got);
      if (got.length < written) await loop.wait(B, Epoll.IN);
    }
    expect((await writable) & Epoll.OUT).toBe(Epoll.OUT);
    expect(native.write(a, Buffer.from('x'))).toBe(1);

    expect(native.shutdown(a, Shutdown.WR)).toBe(0);
    await loop.wait(B, Epoll.IN);
    expect(drain(b, buffer, got)).toBe(0);
    native.close(a);
    native.close(b);
  });

  it('connects to our own listener (socketError 0)', async () => {
    const fd = native.connect('127.0.0.1', port);
    loop.add(fd, 20, Epoll.OUT | Epoll.ET);
    const events = await loop.wait(20, Epoll.OUT | Epoll.ERR | Epoll.HUP);
    expect(events & Epoll.ERR).toBe(0);
    expect(native.socketError(fd)).toBe(0);
    await loop.wait(1, Epoll.IN); // the listener from the first describe
    const out = new Int32Array(2);
    expect(native.accept(listenFd, out)).toBe(1);
    expect(native.remoteAddress(out[0])).toEqual(native.localAddress(fd));
    expect(native.remoteAddress(fd).port).toBe(port);
    native.close(out[0]);
    native.close(fd);
  });

  it('connect to a closed port gives ECONNREFUSED', async () => {
    const probe = native.listen('127.0.0.1', 0);
    const closedPort = native.localAddress(probe).port;
    native.close(probe);
    let fd: number;
    try {
      fd = native.connect('127.0.0.1', closedPort);
    } catch (e) {
      // Loopback may refuse before connect() returns: that is thrown, typed.
      expect(isSystemError(e, 'ECONNREFUSED')).toBe(true);
      expect((e as SystemError).syscall).toBe('connect');
      return;
    }
    loop.add(fd, 21, Epoll.OUT | Epoll.ET);
    const events = await loop.wait(21, Epoll.OUT | Epoll.ERR | Epoll.HUP);
    expect(events & Epoll.ERR).toBe(Epoll.ERR);
    const err = native.socketError(fd);
    expect(err).toBe(-Errno.ECONNREFUSED);
    expect(errnoError(err, 'connect')).toMatchObject({ code: 'ECONNREFUSED', errno: Errno.ECONNREFUSED });
    native.close(fd);
  });

  it('listens on IPv6 loopback', () => {
    const fd = native.listen('::1', 0, undefined, { ipv6Only: true });
    expect(native.localAddress(fd)).toMatchObject({ address: '::1', family: 'IPv6' });
    native.close(fd);
  });
});

describe('socket options', () => {
  it('sets and reads back every option', async () => {
    const fd = native.connect('127.0.0.1', port);
    await loop.wait(1, Epoll.IN);
    const out = new Int32Array(2);
    expect(native.accept(listenFd, out)).toBe(1);
    const peer = out[0];

    opt.setNoDelay(fd, true);
    expect(opt.getNoDelay(fd)).toBe(true);
    opt.setNoDelay(fd, false);
    expect(opt.getNoDelay(fd)).toBe(false);

    opt.setKeepAlive(fd, true, { idleSeconds: 30, intervalSeconds: 5, count: 4 });
    expect(opt.getKeepAlive(fd)).toBe(true);
    expect(opt.getKeepAliveIdle(fd)).toBe(30);
    expect(opt.getKeepAliveInterval(fd)).toBe(5);
    expect(opt.getKeepAliveCount(fd)).toBe(4);
    opt.setKeepAlive(fd, false);
    expect(opt.getKeepAlive(fd)).toBe(false);

    // The kernel doubles SO_RCVBUF/SO_SNDBUF (capped by rmem_max/wmem_max).
    const cap = (name: string) => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8'));
    opt.setReceiveBufferSize(fd, 65536);
    expect(opt.getReceiveBufferSize(fd)).toBe(2 * Math.min(65536, cap('rmem_max')));
    opt.setSendBufferSize(fd, 32768);
    expect(opt.getSendBufferSize(fd)).toBe(2 * Math.min(32768, cap('wmem_max')));

    expect(opt.getLinger(fd)).toBeNull();
    opt.setLinger(fd, 5);
    expect(opt.getLinger(fd)).toBe(5);
    opt.setLinger(fd, 0);
    expect(opt.getLinger(fd)).toBe(0);
    opt.setLinger(fd, null);
    expect(opt.getLinger(fd)).toBeNull();

    opt.setReceiveLowWatermark(fd, 16);
    expect(opt.getReceiveLowWatermark(fd)).toBe(16);
    opt.setPriority(fd, 3);
    expect(opt.getPriority(fd)).toBe(3);
    opt.setMark(fd, 0xdeadbeef); // CAP_NET_ADMIN
    expect(opt.getMark(fd)).toBe(0xdeadbeef);
    opt.setBindToDevice(fd, 'lo'); // CAP_NET_RAW
    expect(opt.getBindToDevice(fd)).toBe('lo');
    opt.setBindToDevice(fd, '');
    expect(opt.getBindToDevice(fd)).toBe('');
    opt.setReceiveTimeout(fd, 2000);
    expect(opt.getReceiveTimeout(fd)).toBe(2000);
    opt.setSendTimeout(fd, 3000);
    expect(opt.getSendTimeout(fd)).toBe(3000);
    opt.setSendTimeout(fd, 0);
    expect(opt.getSendTimeout(fd)).toBe(0);

    native.close(peer);
    native.close(fd);
  });
});

describe('errors', () => {
  it('are typed: code, positive errno and syscall', () => {
    const [a, b] = native.socketpair();
    native.close(a);
    native.close(b);
    // Hot paths return -errno (checked before any new fd could reuse a's number), and
    // errnoError makes the same typed error the other calls throw.
    const buffer = new Uint8Array(8);
    expect(native.read(a, buffer)).toBe(-Errno.EBADF);
    expect(native.write(a, buffer)).toBe(-Errno.EBADF);
    expect(native.writev(a, [buffer])).toBe(-Errno.EBADF);
    expect(native.shutdown(a, Shutdown.RDWR)).toBe(-Errno.EBADF);
    expect(native.accept(a, new Int32Array(1))).toBe(-Errno.EBADF);
    expect(errnoError(-Errno.EBADF, 'read')).toMatchObject({ code: 'EBADF', errno: 9, syscall: 'read' });

    const expectError = (f: () => unknown, code: string, syscall: string) => {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SystemError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ code, errno: Errno[code], syscall, message: `${syscall} ${code}` });
    };
    expectError(() => native.close(a), 'EBADF', 'close');
    expectError(() => opt.setNoDelay(a, true), 'EBADF', 'setsockopt');
    expectError(() => opt.getLinger(a), 'EBADF', 'getsockopt');
    expectError(() => native.localAddress(a), 'EBADF', 'getsockname');
    expectError(() => native.socketError(a), 'EBADF', 'getsockopt');
    expectError(() => native.loopAdd(loop.id, a, 1, Epoll.IN), 'EBADF', 'epoll_ctl');
    expectError(() => native.loopAdd(987654, 0, 1, Epoll.IN), 'EBADF', 'epoll_ctl');
    expectError(() => native.listen('127.0.0.1', port), 'EADDRINUSE', 'bind');
    const [u, v] = native.socketpair();
    expectError(() => opt.setNoDelay(u, true), 'EOPNOTSUPP', 'setsockopt');
    const unconnected = native.listen('127.0.0.1', 0);
    expectError(() => native.remoteAddress(unconnected), 'ENOTCONN', 'getpeername');
    native.close(unconnected);
    expect(() => native.listen('localhost', 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_IP_ADDRESS' }));
    expect(() => native.listen('127.0.0.1', 70000)).toThrow(RangeError);
    expect(() => native.read(u, 'nope' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => native.read(u, buffer, 4, 5)).toThrow(RangeError);
    native.close(u);
    native.close(v);
  });
});

describe('loop behaviour', () => {
  it('runs nextTicks and microtasks after each batch, and can close itself', async () => {
    const events = new Int32Array(2); // one pair: two ready fds take two batches
    const [a, b] = native.socketpair();
    const [c, d] = native.socketpair();
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      const id = native.loopCreate(events, (count) => {
        const token = events[0];
        order.push(`batch ${count} ${token}`);
        process.nextTick(() => order.push(`tick ${token}`));
        queueMicrotask(() => order.push(`microtask ${token}`));
        if (order.length > 1) {
          native.loopClose(id); // from inside the callback
          expect(() => native.loopClose(id)).toThrow(SystemError);
          setImmediate(resolve);
        }
      });
      native.loopAdd(id, b, 1, Epoll.IN | Epoll.ET);
      native.loopAdd(id, d, 2, Epoll.IN | Epoll.ET);
    });
    native.write(a, Buffer.from('x'));
    native.write(c, Buffer.from('x'));
    await done;
    // Each batch is a macrotask of its own (napi_make_callback), even when both batches
    // are drained in one wake-up; and nothing comes after loopClose.
    const [first, second] = order[0] === 'batch 1 1' ? [1, 2] : [2, 1];
    expect(order).toEqual([
      `batch 1 ${first}`, `tick ${first}`, `microtask ${first}`,
      `batch 1 ${second}`, `tick ${second}`, `microtask ${second}`,
    ]);
    for (const fd of [a, b, c, d]) native.close(fd);
  });

  it('delivers full batches again until drained', async () => {
    const events = new Int32Array(2 * 2); // 2 pairs per batch
    const pairs = Array.from({ length: 5 }, () => native.socketpair());
    const seen = new Set<number>();
    let batches = 0;
    let id = 0;
    const done = new Promise<void>((resolve) => {
      id = native.loopCreate(events, (count) => {
        batches++;
        expect(count).toBeLessThanOrEqual(2);
        for (let i = 0; i < count; i++) seen.add(events[2 * i]);
        if (seen.size === pairs.length) resolve();
      });
    });
    pairs.forEach(([, b], i) => native.loopAdd(id, b, 100 + i, Epoll.IN | Epoll.ET));
    for (const [a] of pairs) native.write(a, Buffer.from('x'));
    await done;
    expect([...seen].sort()).toEqual([100, 101, 102, 103, 104]);
    expect(batches).toBeGreaterThanOrEqual(3);
    native.loopClose(id);
    for (const [a, b] of pairs) (native.close(a), native.close(b));
  });

  it('surfaces an exception thrown by onEvents as uncaught; ref/unref decide the exit', async () => {
    const script = (handler: boolean, ref: boolean) => `${loadAddon}
      ${handler ? `process.on('uncaughtException', (e) => { console.log('caught ' + e.message); b.loopClose(id); });` : ''}
      const [x, y] = b.socketpair();
      const id = b.loopCreate(new Int32Array(2), () => { console.log('got'); throw new Error('boom'); });
      ${ref ? '' : 'b.loopUnref(id);'}
      b.loopAdd(id, y, 1, C.EPOLLIN | C.EPOLLET);
      setImmediate(() => b.write(x, Buffer.from('x')));`;
    const caught = await runNode(script(true, true));
    expect(caught).toMatchObject({ code: 0, stdout: 'got\ncaught boom\n' });
    const fatal = await runNode(script(false, true));
    expect(fatal.code).toBe(1);
    expect(fatal.stdout).toBe('got\n');
    expect(fatal.stderr).toContain('Error: boom');
    // Unref'ed, the loop does not keep the process alive: it exits before the event.
    expect(await runNode(script(true, false))).toMatchObject({ code: 0, stdout: '' });
  });

  it('sheds the queue on EMFILE and recovers', async () => {
    const child = `${loadAddon}
      const l = b.listen('127.0.0.1', 0);
      const fillers = [];
      const id = b.loopCreate(new Int32Array(2), () => {
        const out = new Int32Array(4);
        const n = b.accept(l, out);
        console.log('accept ' + n + (n > 0 ? ' ' + out[n] : ''));
        if (n === -24) { for (const f of fillers) b.close(f); fillers.length = 0; }
        if (n > 0) { b.close(out[0]); b.close(l); b.loopClose(id); }
      });
      b.loopAdd(id, l, 1, C.EPOLLIN | C.EPOLLET);
      const port = b.localAddress(l).port;
      // Use up every fd (pairs, then single fds for an odd last one).
      try { for (;;) fillers.push(...b.socketpair()); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      try { for (;;) fillers.push(b.listen('127.0.0.1', 0)); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      console.log('port ' + port);
      process.stdin.on('data', () => {}); process.stdin.on('end', () => {});`;
    // stdin keeps the child's process alive between our steps; the loop does the rest.
    const p = spawn('prlimit', ['--nofile=64:64', process.execPath, '-e', child], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    const lines = async (re: RegExp) => {
      while (!re.test(stdout)) {
        const [chunk] = (await once(p.stdout, 'data')) as [Buffer];
        stdout += chunk.toString();
      }
      return re.exec(stdout)!;
    };
    const childPort = Number((await lines(/port (\d+)/))[1]);
    const shed = net.connect({ host: '127.0.0.1', port: childPort });
    shed.on('error', () => {});
    const shedClosed = once(shed, 'close');
    await lines(/accept -24/); // EMFILE: queued connection accepted and closed
    await shedClosed; // the peer sees a close instead of hanging
    const ok = net.connect({ host: '127.0.0.1', port: childPort });
    ok.on('error', () => {});
    await lines(/accept 1 -11/); // fds freed: accepting works again (queue drained: -EAGAIN)
    ok.destroy();
    const closed = once(p, 'close');
    p.stdin.end();
    expect((await closed)[0]).toBe(0);
  });
});

describe('worker_threads', () => {
  const worker = `${loadAddon}
    const { parentPort } = require('node:worker_threads');
    const [mine, theirs] = b.socketpair();
    b.release(theirs); // handed to the main thread: this instance must not close it
    const events = new Int32Array(2);
    const buffer = new Uint8Array(64);
    const id = b.loopCreate(events, () => {
      for (let n; (n = b.read(mine, buffer)) > 0; ) b.write(mine, buffer.map((c) => c ^ 32), 0, n);
    });
    b.loopAdd(id, mine, 7, C.EPOLLIN | C.EPOLLET);
    parentPort.postMessage(theirs);`;

  it('loads in a worker, echoes over a socketpair, and terminate() cleans up', async () => {
    const w = new Worker(worker, { eval: true });
    const [fd] = (await once(w, 'message')) as [number];
    native.adopt(fd); // now ours: closed by this thread's teardown if the test forgot it
    loop.add(fd, 30, Epoll.IN | Epoll.RDHUP | Epoll.ET);
    expect(native.write(fd, Buffer.from('ping'))).toBe(4);
    await loop.wait(30, Epoll.IN);
    const got: number[] = [];
    const buffer = new Uint8Array(64);
    drain(fd, buffer, got);
    expect(Buffer.from(got).toString()).toBe('PING');

    // Terminating runs the worker's cleanup hook: its loop and its end of the pair close.
    const exited = once(w, 'exit');
    await w.terminate();
    expect((await exited)[0]).toBe(1);
    let last: number;
    do {
      await loop.wait(30, Epoll.IN | Epoll.RDHUP | Epoll.HUP);
      last = drain(fd, buffer, got);
    } while (last === -EAGAIN);
    expect(last).toBe(0); // EOF: the worker's fd was closed by the hook
    native.close(fd);
  });

  it('a worker with an unref-ed loop exits by itself, closing what it owns', async () => {
    const w = new Worker(`${loadAddon}
      const l = b.listen('127.0.0.1', 0);
      const id = b.loopCreate(new Int32Array(2), () => {});
      b.loopAdd(id, l, 1, C.EPOLLIN);
      b.loopUnref(id);
      require('node:worker_threads').parentPort.postMessage(b.localAddress(l).port);`, { eval: true });
    // Both listeners first: a quick worker's last message and 'exit' come in one go.
    const message = once(w, 'message');
    const exit = once(w, 'exit');
    const [workerPort] = (await message) as [number];
    expect((await exit)[0]).toBe(0);
    // The listener the worker left open was closed by its teardown: the port is free.
    const fd = native.listen('127.0.0.1', workerPort, 1, { reuseAddr: false });
    native.close(fd);
  });
});

describe('teardown', () => {
  it('leaks no fds', () => {
    native.close(listenFd);
    loop.close();
    loopClosed = true;
    // The one addition allowed: the spare fd the instance keeps for the EMFILE trick
    // since its first listen() (closed by env teardown).
    const added = [...openFds()].filter(([fd, link]) => fdsBefore.get(fd) !== link);
    expect(added).toEqual([[expect.any(String), '/dev/null']]);
  });
});
