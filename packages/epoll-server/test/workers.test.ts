// The worker pool (begin(module, { maxThreads })) against node:net clients on 127.0.0.1:
// echo over many connections on 2 and 4 workers, their spread, publish and send across
// workers, a worker that dies, close() draining, the idle limit. Every wait is on an event
// with a bound; afterEach closes clients and pools and checks the fd table.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { begin, ConnectionErrorCode, encodeStatsRequest, type Config, type StatsReport } from '../src/index.js';
import { FrameClient, fdsAddedSince, hex, openFds, payloadFor, prng, seqOf, str, text } from './helpers.js';
import { TestPool, assertBuilt, handlerModule, perWorker, placementOf, type Placement } from './workers-helpers.js';

const pools: TestPool[] = [];
const clients: FrameClient[] = [];
let baseline = new Map<string, string>();

beforeAll(async () => {
  assertBuilt();
  // The first pool loads the addon and makes the main thread's epoll fd for good.
  await (await TestPool.start(1)).close();
  baseline = openFds();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  await Promise.all(pools.splice(0).map((p) => p.close()));
  expect(fdsAddedSince(baseline)).toEqual([]);
});

async function pool(threads: number, config?: Config): Promise<TestPool> {
  const p = await TestPool.start(threads, config);
  pools.push(p);
  return p;
}

async function client(port: number): Promise<FrameClient> {
  const c = await FrameClient.connect(port);
  clients.push(c);
  return c;
}

async function clientsOf(p: TestPool, count: number): Promise<Array<{ client: FrameClient; at: Placement }>> {
  const list = [];
  // One at a time: the order of accepts is then the order of connects.
  for (let i = 0; i < count; i++) {
    const c = await client(p.port);
    list.push({ client: c, at: await placementOf(c) });
  }
  return list;
}

const echoPayload = (conn: number, seq: number, size: number): Uint8Array => {
  const p = payloadFor(conn, seq, size);
  p[0] = 0x65; // 'e': echo (seqOf reads bytes 0-3, so the seq lives in bytes 1-3)
  p[1] = seq >>> 16;
  p[2] = (seq >>> 8) & 0xff;
  p[3] = seq & 0xff;
  return p;
};
const seqOfEcho = (p: Uint8Array): number => seqOf(p) & 0xffffff;

describe.each([2, 4])('%i workers', (threads) => {
  it('echo every payload over 64 connections, in order, spread evenly', async () => {
    const p = await pool(threads);
    const conns = await clientsOf(p, 64);
    const counts = perWorker(conns.map((c) => c.at), threads);
    // Dealt in turn: every worker holds 64 / threads, give or take one.
    expect(Math.max(...counts) - Math.min(...counts), `connections per worker ${counts}`).toBeLessThanOrEqual(1);
    expect(new Set(conns.map((c) => c.at.id)).size).toBe(64);

    const perConnection = 40;
    const sent: Uint8Array[][] = conns.map(() => []);
    const size = prng(threads);
    // Pipelined, several frames per write, sizes from 4 bytes to 60 KiB.
    for (let k = 0; k < perConnection; k += 8) {
      conns.forEach(({ client: c }, i) => {
        const batch = Array.from({ length: 8 }, (_, j) => echoPayload(i, k + j, 4 + (size(10) === 0 ? size(60_000) : size(200))));
        sent[i].push(...batch);
        c.send(...batch);
      });
    }
    await Promise.all(
      conns.map(async ({ client: c }, i) => {
        const got = (await c.receive(perConnection + 1)).slice(1); // after the 'w' answer
        expect(got.map(seqOfEcho)).toEqual(sent[i].map(seqOfEcho));
        got.forEach((payload, seq) => expect(hex(payload)).toBe(hex(sent[i][seq])));
      }),
    );
    const stats = await p.pool.workerStats();
    expect(stats.map((s) => s!.accepted)).toEqual(counts);
    expect(stats.reduce((n, s) => n + s!.messagesReceived, 0)).toBe(64 * (perConnection + 1));
    const sum = await p.pool.stats();
    expect(sum.connections).toBe(64);
    expect(sum.messagesSent).toBe(64 * (perConnection + 1));
  });

  it('publish reaches every subscriber on every worker exactly once', async () => {
    const p = await pool(threads);
    const conns = await clientsOf(p, 4 * threads);
    // Dealt in turn: the first three rounds (subscribers) and the last (others) each have
    // one connection on every worker.
    const subscribers = conns.slice(0, 3 * threads);
    const others = conns.slice(3 * threads);
    expect(new Set(subscribers.map((s) => s.at.worker)).size).toBe(threads);
    await Promise.all(subscribers.map(({ client: c }) => c.roundTrip(text('snews'))));
    await Promise.all(others.map(({ client: c }) => c.roundTrip(text('sother'))));

    const published: string[] = [];
    // From a connection of each worker, and from the main thread.
    conns.slice(0, threads).forEach(({ client: c }, w) => {
      for (let k = 0; k < 3; k++) {
        published.push(`from ${w} #${k}`);
        c.send(text(`pnews\nfrom ${w} #${k}`));
      }
    });
    for (let k = 0; k < 3; k++) {
      published.push(`from main #${k}`);
      p.pool.publish('news', text(`from main #${k}`));
    }

    // After the 'w' and 's' answers.
    await Promise.all(subscribers.map(({ client: c }) => c.receive(2 + published.length)));
    // A round trip after: a duplicate would be in the socket before its answer.
    await Promise.all(conns.map(({ client: c }) => c.roundTrip(text('e-end'))));
    for (const { client: c } of subscribers) {
      const got = c.frames.slice(2, -1).map(str);
      expect([...got].sort()).toEqual([...published].sort());
    }
    for (const { client: c } of others) expect(c.frames.slice(2).map(str)).toEqual(['e-end']);
  });
});

describe('send across workers', () => {
  it('reaches a connection that another worker owns, from a worker and from the main thread', async () => {
    const p = await pool(2);
    const [a, b] = await clientsOf(p, 2);
    expect(a.at.worker).not.toBe(b.at.worker);
    a.client.send(text(`t${b.at.id}\nhello from worker ${a.at.worker}`));
    expect(str((await b.client.receive(2))[1])).toBe(`hello from worker ${a.at.worker}`);
    expect(p.pool.send(a.at.id, text('hello from main'))).toBe(true);
    expect(str((await a.client.receive(2))[1])).toBe('hello from main');
    // Its own connection, through the same call.
    b.client.send(text(`t${b.at.id}\nto myself`));
    expect(str((await b.client.receive(3))[2])).toBe('to myself');
    // No worker 5 in a pool of 2.
    expect(p.pool.send(5, text('nobody'))).toBe(false);
  });
});

describe('stats', () => {
  it("sum every worker's figures, in server.stats() and in the answer to a stats request", async () => {
    const p = await pool(2, { statsRequests: true });
    const conns = await clientsOf(p, 4);
    expect(perWorker(conns.map((c) => c.at), 2)).toEqual([2, 2]);
    const stats = await p.pool.stats();
    expect(stats).toMatchObject({ connections: 4, accepted: 4, messagesReceived: 4, messagesSent: 4 });
    const answer = JSON.parse(str(await conns[0].client.roundTrip(encodeStatsRequest(0)))) as StatsReport;
    // The request itself is counted as received, on the worker that answers.
    expect(answer).toMatchObject({ num_clients: 4, msg_recv: 5, msg_sent: 4 });
  });
});

describe('a worker that dies', () => {
  it.each([
    ['throws outside a callback', 'x', 1],
    ['calls process.exit', 'q', 7],
  ])('%s: its connections are closed and reported WORKER_DIED, the others and new ones are served', async (_, command, code) => {
    const p = await pool(2);
    const conns = await clientsOf(p, 8);
    const doomed = conns.filter((c) => c.at.worker === 0);
    const spared = conns.filter((c) => c.at.worker === 1);
    doomed[0].client.send(text(command));

    await Promise.all(doomed.map(({ client: c }) => c.signal.until(() => c.closed, 'the dead worker\'s connections to close')));
    const removals = await p.removed(doomed.length);
    expect(removals.map((r) => r.fd).sort()).toEqual(doomed.map((c) => c.at.fd).sort());
    for (const r of removals) {
      expect(r.code).toBe(ConnectionErrorCode.WorkerDied);
      expect(r.worker).toBe(0); // reported by the replacement, which took index 0
    }
    await p.signal.until(() => p.exits.length === 1, 'the workerExit event');
    expect(p.exits[0]).toMatchObject({ worker: 0, code, replaced: true });
    expect(p.exits[0].connections.sort()).toEqual(doomed.map((c) => c.at.fd).sort());
    if (command === 'x') expect(p.exits[0].error?.message).toBe('worker 0 told to die');

    for (const { client: c } of spared) expect(str(await c.roundTrip(text('e-still here')))).toBe('e-still here');
    const fresh = await clientsOf(p, 4);
    expect(perWorker(fresh.map((c) => c.at), 2)).toEqual([2, 2]);
    for (const { client: c } of fresh) expect(str(await c.roundTrip(text('e-new')))).toBe('e-new');
    expect(p.removals).toHaveLength(doomed.length);
  });
});

describe('close()', () => {
  it('drains every worker: output queued for slow readers all arrives, then a clean end', async () => {
    const p = await pool(2, { maxQueued: 32 * 1024 * 1024 });
    // One on each worker.
    const conns = await clientsOf(p, 2);
    // More than loopback's socket buffers take (several MB each way).
    const frames = 1000;
    const size = 16_000;
    for (const { client: c } of conns) c.send(text(`b${frames},${size}`));
    // The first frame back means the whole burst was sent or queued: then stop reading.
    await Promise.all(conns.map(({ client: c }) => c.receive(2)));
    for (const { client: c } of conns) c.socket.pause();
    const queued = (await p.pool.stats()).bytesSent;
    expect(queued).toBeLessThan(2 * frames * size); // some of it still waits in the workers
    const closing = p.pool.close({ timeoutMs: 10_000 });
    for (const { client: c } of conns) c.socket.resume();
    for (const { client: c } of conns) {
      await c.signal.until(() => c.ended, 'the end of the stream');
      const burst = c.frames.slice(1);
      expect(burst).toHaveLength(frames);
      burst.forEach((payload, k) => {
        expect(payload.length).toBe(size);
        expect(payload[0]).toBe(k & 255);
        expect(payload[size - 1]).toBe((k + size - 1) & 255);
      });
    }
    await closing;
    expect(p.removals.map((r) => r.code)).toEqual([null, null]);
  });
});

describe('idle timeout', () => {
  it('closes connections with nothing read or written for idleTimeoutMs, as IDLE_TIMEOUT, not the busy ones', async () => {
    const limit = 400;
    const p = await pool(2, { idleTimeoutMs: limit });
    const conns = await clientsOf(p, 4);
    const idle = conns.slice(0, 2);
    const busy = conns.slice(2);
    const quietSince = performance.now();
    let rounds = 0;
    // The busy ones keep echoing until both idle ones are gone and twice the limit is past.
    while (!(idle.every(({ client: c }) => c.closed) && performance.now() - quietSince > 2 * limit)) {
      await Promise.all(busy.map(({ client: c }) => c.roundTrip(text(`e${rounds}`))));
      rounds++;
    }
    const removals = await p.removed(2);
    expect(removals.map((r) => r.fd).sort()).toEqual(idle.map((c) => c.at.fd).sort());
    for (const r of removals) expect(r.code).toBe(ConnectionErrorCode.IdleTimeout);
    expect(busy.every(({ client: c }) => !c.closed)).toBe(true);
  });

  it('never closes before the limit', async () => {
    const limit = 300;
    const p = await pool(1, { idleTimeoutMs: limit });
    const c = await client(p.port);
    // The server's last byte is its answer: written after this instant.
    const beforeLastByte = performance.now();
    await placementOf(c);
    await c.signal.until(() => c.closed, 'the idle connection to close');
    expect(performance.now() - beforeLastByte).toBeGreaterThanOrEqual(limit);
    expect((await p.removed(1))[0].code).toBe(ConnectionErrorCode.IdleTimeout);
  });
});

describe('begin with a module', () => {
  it('refuses maxThreads above 1 with a handler object, and out of range', async () => {
    const handler = { onNewConnection: () => undefined as never, onDataReceived: () => undefined };
    await expect(begin(handler, { maxThreads: 2 })).rejects.toThrow(RangeError);
    await expect(begin(handlerModule, { maxThreads: 65 })).rejects.toThrow(RangeError);
    await expect(begin(handlerModule, { maxThreads: 0 })).rejects.toThrow(RangeError);
  });

  it('rejects, leaving nothing open, when the module has no handler', async () => {
    const bad = `data:text/javascript,export default 42`;
    await expect(begin(new URL(bad), { addr: '127.0.0.1', maxThreads: 2 })).rejects.toThrow(/must be a Handler/);
  });
});
