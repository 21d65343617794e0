// hydrogen's stats request (config.statsRequests): the request's decoding, the /proc
// readings, the answering machinery with fake timers, then a real server answering
// node:net clients: on time, with figures that match what the test sent, malformed
// requests answered at once with an error, connections that go away while waiting.
import { cpus, totalmem } from 'node:os';
import fc from 'fast-check';
import { Opcode, SimpleFrame, WebSocketFrame } from '@simple-stream/frames';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  STATS_MAX_PENDING,
  StatsRequestError,
  StatsRequests,
  decodeStatsRequest,
  encodeStatsRequest,
  type SendStatus,
  type StatsPeer,
  type StatsReport,
} from '../src/index.js';
import { cpuUsage, parseCpuTimes, parseMemory } from '../src/resources.js';
import { Resources, str, text } from './helpers.js';

const codeOf = (payload: Uint8Array): string => {
  try {
    decodeStatsRequest(payload);
  } catch (err) {
    expect(err).toBeInstanceOf(StatsRequestError);
    return (err as StatsRequestError).code;
  }
  return 'OK';
};

describe('decoding', () => {
  it('reads a big-endian float32 of seconds after 0x0D, from 0 to 60', () => {
    expect(Array.from(encodeStatsRequest(0.5))).toEqual([0x0d, 0x3f, 0x00, 0x00, 0x00]);
    expect(decodeStatsRequest(Uint8Array.of(0x0d, 0x3f, 0x00, 0x00, 0x00))).toBe(0.5);
    expect(decodeStatsRequest(encodeStatsRequest(0))).toBe(0);
    expect(decodeStatsRequest(encodeStatsRequest(60))).toBe(60);
    fc.assert(
      fc.property(fc.float({ min: 0, max: 60, noNaN: true }), (s) => {
        expect(decodeStatsRequest(encodeStatsRequest(s))).toBe(Math.fround(s));
      }),
    );
  });

  it('refuses a wrong length and seconds that are NaN, infinite, negative or over 60', () => {
    expect(codeOf(Uint8Array.of(0x0d))).toBe('BAD_LENGTH');
    expect(codeOf(Uint8Array.of(0x0d, 1, 2, 3))).toBe('BAD_LENGTH');
    expect(codeOf(Uint8Array.of(0x0d, 0x3f, 0, 0, 0, 0))).toBe('BAD_LENGTH');
    for (const s of [NaN, Infinity, -Infinity, -1, -1e-30, 60.01, 1e9]) expect(codeOf(encodeStatsRequest(s))).toBe('BAD_SECONDS');
  });
});

describe('/proc readings', () => {
  const stat = (a: number[], b: number[], c: number[]): string =>
    `cpu  ${a.join(' ')}\ncpu0 ${b.join(' ')}\ncpu1 ${c.join(' ')}\nintr 1 2 3\nctxt 99\nbtime 1\n`;

  it('counts busy ticks over all ticks, idle and iowait being the idle ones, guest already in user', () => {
    //            user nice sys idle iowait irq softirq steal guest guest_nice
    const before = parseCpuTimes(stat([10, 0, 10, 70, 10, 0, 0, 0, 5, 0], [5, 0, 5, 35, 5, 0, 0, 0, 5, 0], [5, 0, 5, 35, 5, 0, 0, 0, 0, 0]));
    expect(before.overall).toEqual({ core: -1, busy: 20, total: 100 });
    const after = parseCpuTimes(stat([60, 0, 20, 110, 10, 0, 0, 0, 50, 0], [45, 0, 10, 35, 5, 0, 0, 0, 45, 0], [15, 0, 10, 70, 5, 0, 0, 0, 5, 0]));
    const usage = cpuUsage(before, after);
    expect(usage.overall).toBeCloseTo(60 / 100);
    expect(usage.perCore).toEqual([
      { core: 0, using: 1 },
      { core: 1, using: 15 / 50 },
    ]);
  });

  it('reads a window without ticks as 0, and a CPU new since the first reading from zero', () => {
    const a = parseCpuTimes('cpu 1 2 3 4\ncpu0 1 2 3 4\n');
    expect(cpuUsage(a, a)).toEqual({ overall: 0, perCore: [{ core: 0, using: 0 }] });
    const b = parseCpuTimes('cpu 2 2 3 5\ncpu0 1 2 3 4\ncpu3 3 0 0 1\n');
    expect(cpuUsage(a, b).perCore).toEqual([
      { core: 0, using: 0 },
      { core: 3, using: 0.75 },
    ]);
    expect(() => parseCpuTimes('intr 1\n')).toThrow(/no "cpu" line/);
  });

  it('takes RAM used as MemTotal - MemAvailable and available as MemAvailable, in bytes', () => {
    const meminfo = 'MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:    3000000 kB\nBuffers: 1 kB\n';
    expect(parseMemory(meminfo)).toEqual({ bytesUsed: 5000000 * 1024, bytesAvailable: 3000000 * 1024 });
    expect(() => parseMemory('MemTotal: 1 kB\n')).toThrow(/no MemAvailable/);
  });
});

/** A peer that records what it is sent, as JSON. */
class FakePeer implements StatsPeer {
  readonly answers: Array<Record<string, unknown>> = [];
  closed = false;
  send(payload: Uint8Array): SendStatus {
    this.answers.push(JSON.parse(str(payload)) as Record<string, unknown>);
    return 'sent';
  }
}
const figures = { connections: 3, accepted: 4, removed: 1, messagesReceived: 10, messagesSent: 9, bytesReceived: 100, bytesSent: 90 };

describe('StatsRequests', () => {
  afterEach(() => void vi.useRealTimers());

  it('answers after the window, not before; a forgotten connection gets nothing', async () => {
    vi.useFakeTimers();
    const requests = new StatsRequests(() => figures);
    const [kept, gone] = [new FakePeer(), new FakePeer()];
    expect(requests.take(kept, new SimpleFrame(encodeStatsRequest(2)))).toBe(true);
    expect(requests.take(gone, new SimpleFrame(encodeStatsRequest(2)))).toBe(true);
    expect(requests.pending).toBe(2);
    requests.forget(gone);
    expect(requests.pending).toBe(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(kept.answers).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(kept.answers).toHaveLength(1);
    expect(kept.answers[0]).toMatchObject({ bytes_recv: 100, bytes_sent: 90, msg_recv: 10, msg_sent: 9, num_clients: 3 });
    expect(gone.answers).toEqual([]);
    expect(requests.pending).toBe(0);
  });

  it(`refuses more than ${STATS_MAX_PENDING} waiting requests per connection, at once`, () => {
    vi.useFakeTimers();
    const requests = new StatsRequests(() => figures);
    const peer = new FakePeer();
    for (let i = 0; i <= STATS_MAX_PENDING; i++) requests.take(peer, new SimpleFrame(encodeStatsRequest(1)));
    expect(requests.pending).toBe(STATS_MAX_PENDING);
    expect(peer.answers).toEqual([{ error: expect.stringMatching(/already waiting/), code: 'TOO_MANY_PENDING' }]);
    requests.forget(peer);
  });

  it('leaves other frames to the handler: no 0x0D first, WebSocket text and control frames', () => {
    const requests = new StatsRequests(() => figures);
    const peer = new FakePeer();
    expect(requests.take(peer, new SimpleFrame(text('hello')))).toBe(false);
    expect(requests.take(peer, new SimpleFrame(new Uint8Array(0)))).toBe(false);
    expect(requests.take(peer, new WebSocketFrame(Opcode.Text, text('\rtext')))).toBe(false);
    expect(requests.take(peer, new WebSocketFrame(Opcode.Ping, Uint8Array.of(0x0d)))).toBe(false);
    expect(requests.take(peer, new WebSocketFrame(Opcode.Binary, Uint8Array.of(0x0d)))).toBe(true);
    expect(peer.answers).toEqual([{ error: expect.any(String), code: 'BAD_LENGTH' }]);
  });

  it('answers UNAVAILABLE when the server figures cannot be had', async () => {
    vi.useFakeTimers();
    const requests = new StatsRequests(() => Promise.reject(new Error('worker gone')));
    const peer = new FakePeer();
    requests.take(peer, new SimpleFrame(encodeStatsRequest(0)));
    await vi.advanceTimersByTimeAsync(0);
    expect(peer.answers).toEqual([{ error: 'Error: worker gone', code: 'UNAVAILABLE' }]);
  });
});

describe('a server with statsRequests', () => {
  const res = new Resources();
  beforeAll(() => res.warmUp());
  afterEach(async () => expect(await res.closeAll()).toEqual([]));

  const request = encodeStatsRequest;
  const dataEvents = (t: { events: Array<{ type: string }> }) => t.events.filter((e) => e.type === 'data').length;

  it('answers after the asked seconds (and well within a second more) with figures that match the traffic', async () => {
    const startedAt = performance.now();
    const t = await res.server({}, { statsRequests: true });
    const [a, b] = [await res.client(t.port), await res.client(t.port)];
    for (const p of ['one', 'two', 'three']) expect(str(await a.roundTrip(text(p)))).toBe(p);
    expect(str(await b.roundTrip(text('other')))).toBe('other');
    expect(str(await b.roundTrip(text('client')))).toBe('client');
    const sentBack = a.bytesRead + b.bytesRead;
    const asked = performance.now();
    a.send(request(0.2));
    const answer = JSON.parse(str((await a.receive(4))[3])) as StatsReport;
    const took = performance.now() - asked;
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(200 + 1000);
    expect(answer).toMatchObject({
      bytes_recv: a.bytesWritten + b.bytesWritten,
      bytes_sent: sentBack,
      msg_recv: 6, // five echoed frames and the request
      msg_sent: 5, // the echoes; the answer is counted after it is made
      num_clients: 2,
    });
    expect(answer.up_time).toBeGreaterThan(0.2);
    expect(answer.up_time).toBeLessThanOrEqual((performance.now() - startedAt) / 1000);
    const { ram, cpu_overall, cpu_per_core } = answer.resources;
    expect(ram.bytes_used).toBeGreaterThan(0);
    expect(ram.bytes_available).toBeGreaterThan(0);
    expect(ram.bytes_used + ram.bytes_available).toBe(totalmem());
    expect(cpu_overall).toBeGreaterThanOrEqual(0);
    expect(cpu_overall).toBeLessThanOrEqual(1);
    expect(cpu_per_core.map((c) => c.core)).toEqual(cpus().map((_, i) => i));
    for (const c of cpu_per_core) expect(c.using >= 0 && c.using <= 1).toBe(true);
    // The request never reached the handler; the connection goes on.
    expect(dataEvents(t)).toBe(5);
    expect(str(await a.roundTrip(text('after')))).toBe('after');
  });

  it('answers malformed requests at once with an error frame, and the connection stays open', async () => {
    const t = await res.server({}, { statsRequests: true });
    const c = await res.client(t.port);
    const malformed = [Uint8Array.of(0x0d, 1, 2), Uint8Array.of(0x0d, 0, 0, 0, 0, 0), request(NaN), request(-1), request(1e9), request(Infinity)];
    const asked = performance.now();
    c.send(...malformed);
    const answers = (await c.receive(malformed.length)).map((p) => JSON.parse(str(p)) as { error: string; code: string });
    expect(performance.now() - asked).toBeLessThan(1000);
    expect(answers.map((a) => a.code)).toEqual(['BAD_LENGTH', 'BAD_LENGTH', 'BAD_SECONDS', 'BAD_SECONDS', 'BAD_SECONDS', 'BAD_SECONDS']);
    expect(answers[0].error).toMatch(/5 bytes .*got 3/);
    expect(answers[2].error).toMatch(/seconds must be 0 to 60, got NaN/);
    expect(str(await c.roundTrip(text('echo')))).toBe('echo');
    expect(t.removals()).toEqual([]);
    expect(dataEvents(t)).toBe(1);
  });

  it('drops the requests of a connection that closes while they wait; the others are answered', async () => {
    const t = await res.server({}, { statsRequests: true });
    const [leaving, staying] = [await res.client(t.port), await res.client(t.port)];
    // A frame after each request: once it is echoed, the request before it is waiting.
    leaving.send(request(0.1), text('sync'));
    staying.send(request(0.3), text('sync'));
    await Promise.all([leaving.receive(1), staying.receive(1)]);
    expect(t.server.statsRequests!.pending).toBe(2);
    await leaving.destroy();
    await t.signal.until(() => t.removals().length === 1, 'the removal');
    expect(t.server.statsRequests!.pending).toBe(1);
    const answer = JSON.parse(str((await staying.receive(2))[1])) as StatsReport;
    expect(answer.num_clients).toBe(1);
    expect(leaving.frames.map(str)).toEqual(['sync']);
  });

  it('is off by default: a 0x0D payload is data for the handler', async () => {
    const t = await res.server();
    const c = await res.client(t.port);
    expect(Array.from(await c.roundTrip(request(0.1)))).toEqual(Array.from(request(0.1)));
    expect(t.server.statsRequests).toBeNull();
  });
});
