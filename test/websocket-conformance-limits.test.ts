// Autobahn groups 9 and 10 against serve(): large messages (up to 16 MiB in one frame, 4
// MiB in fragments of 64 bytes to 4 MiB, 1 MiB written in chops of 64 to 2048 bytes), many
// small messages one after another (1000 per case, each sent when the previous came back),
// and a message the client fragments itself (10.1.1). Echoes are checked whole (a digest of
// every byte), where Autobahn checks lengths only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Op, type Chop } from './websocket-wire.js';
import { echoSuite, echoServer, f, nextMessage, r, runCase, summary, type Case, type EchoServer, type Reply } from './websocket-case.js';

const suite = echoSuite();

const KiB = 1024;
const MiB = 1024 * KiB;

/** Autobahn's payload_len: `pattern` repeated to `length` bytes. */
function repeated(pattern: Buffer | string, length: number): Buffer {
  const p = typeof pattern === 'string' ? Buffer.from(pattern) : pattern;
  const out = Buffer.allocUnsafe(length);
  for (let at = 0; at < length; at += p.length) p.copy(out, at, 0, Math.min(p.length, length - at));
  return out;
}

const TEXT_PATTERN = 'BAsd7&jh23';
const BINARY_PATTERN = Buffer.from('00fe23faf0', 'hex');
const SIZES = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 8 * MiB, 16 * MiB];
const FRAGMENT_SIZES = [64, 256, 1 * KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB];
const CHOP_SIZES = [64, 128, 256, 512, 1024, 2048];
const ROUND_TRIPS: Array<[number, number]> = [
  [0, 1000],
  [16, 1000],
  [64, 1000],
  [256, 1000],
  [1024, 1000],
  [4096, 1000],
];

const size = (n: number): string => (n >= MiB ? `${n / MiB} MiB` : n >= KiB ? `${n / KiB} KiB` : `${n} bytes`);

/** A message cut into frames of `fragment` bytes: the first with the opcode, the rest continuations. */
function fragments(opcode: number, payload: Buffer, fragment: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < payload.length; at += fragment) {
    const fin = at + fragment >= payload.length;
    frames.push(at === 0 ? f.raw(opcode, payload.subarray(at, at + fragment), fin) : f.cont(payload.subarray(at, at + fragment), fin));
  }
  return frames;
}

/** 9.7.x/9.8.x: `count` messages of `length` bytes, each sent once the previous one came back. */
function roundTrips(id: string, opcode: number, length: number, count: number): Case {
  const payload = Buffer.alloc(length, opcode === Op.Text ? '*' : 0xfe);
  const frame = f.raw(opcode, payload);
  const expected = summary(opcode, payload);
  return {
    id,
    title: `${count} ${opcode === Op.Text ? 'text' : 'binary'} messages of ${size(length)}, one after another`,
    run: async (client) => {
      for (let i = 0; i < count; i++) {
        await client.write(frame);
        const m = await nextMessage(client, `echo ${i + 1} of ${count}`);
        if (summary(m.opcode, m.payload) !== expected) expect(summary(m.opcode, m.payload), `echo ${i + 1}`).toBe(expected);
      }
    },
    end: 'clean',
  };
}

const text = (n: number): Buffer => repeated(TEXT_PATTERN, n);
const binary = (n: number): Buffer => repeated(BINARY_PATTERN, n);

/**
 * A case whose frames and echo are made when it runs (the large ones would otherwise all
 * sit in memory at once): sends `frames()` as `chop` says, then expects `reply()` back.
 */
function echoCase(id: string, title: string, frames: () => Buffer[], reply: () => Reply, chop?: Chop): Case {
  return {
    id,
    title,
    run: async (client) => {
      const expected = reply();
      await client.send(frames(), chop);
      const m = await nextMessage(client, `the echo of case ${id}`);
      expect(summary(m.opcode, m.payload)).toBe(summary(expected.opcode, expected.payload));
    },
    end: 'clean',
  };
}

const stars = (n: number): Buffer => Buffer.alloc(n, '*');
const fe = (n: number): Buffer => Buffer.alloc(n, 0xfe);

const group9: Case[] = [
  ...SIZES.map((n, i) => echoCase(`9.1.${i + 1}`, `text message of ${size(n)}`, () => [f.text(text(n))], () => r.text(text(n)))),
  ...SIZES.map((n, i) => echoCase(`9.2.${i + 1}`, `binary message of ${size(n)}`, () => [f.binary(binary(n))], () => r.binary(binary(n)))),
  ...FRAGMENT_SIZES.map((n, i) =>
    echoCase(`9.3.${i + 1}`, `text message of 4 MiB in fragments of ${size(n)}`, () => fragments(Op.Text, stars(4 * MiB), n), () => r.text(stars(4 * MiB))),
  ),
  ...FRAGMENT_SIZES.map((n, i) =>
    echoCase(`9.4.${i + 1}`, `binary message of 4 MiB in fragments of ${size(n)}`, () => fragments(Op.Binary, fe(4 * MiB), n), () => r.binary(fe(4 * MiB))),
  ),
  ...CHOP_SIZES.map((n, i) => echoCase(`9.5.${i + 1}`, `text message of 1 MiB written in chops of ${n}`, () => [f.text(text(MiB))], () => r.text(text(MiB)), n)),
  ...CHOP_SIZES.map((n, i) => echoCase(`9.6.${i + 1}`, `binary message of 1 MiB written in chops of ${n}`, () => [f.binary(binary(MiB))], () => r.binary(binary(MiB)), n)),
  ...ROUND_TRIPS.map(([n, count], i) => roundTrips(`9.7.${i + 1}`, Op.Text, n, count)),
  ...ROUND_TRIPS.map(([n, count], i) => roundTrips(`9.8.${i + 1}`, Op.Binary, n, count)),
];

const group10: Case[] = [
  echoCase('10.1.1', 'text message of 64 KiB the client fragments into frames of 1300 bytes', () => fragments(Op.Text, stars(64 * KiB), 1300), () => r.text(stars(64 * KiB))),
];

// Past Autobahn: a server with maxMessage 64 KiB fails what is larger with 1009, whether
// one frame says so or fragments add up to it, as soon as it is known (the rest unsent).
describe('past Autobahn: over maxMessage', () => {
  const LIMIT = 64 * KiB;
  let small: EchoServer;
  beforeAll(async () => {
    small = await echoServer({ maxMessage: LIMIT });
  });
  afterAll(() => small?.close());
  const rows: Case[] = [
    echoCase('at the limit', 'a binary message of exactly maxMessage: echoed', () => [f.binary(fe(LIMIT))], () => r.binary(fe(LIMIT))),
    {
      id: 'one frame over',
      title: 'a frame declaring maxMessage + 1 bytes: 1009 once its header is in',
      run: (client) => client.write(f.binary(fe(LIMIT + 1)).subarray(0, 14)),
      end: { fail: 1009 },
    },
    {
      id: 'fragments over',
      title: 'fragments adding up to more than maxMessage: 1009 at the fragment that passes it',
      send: [f.binary(fe(LIMIT / 2), false), f.cont(fe(LIMIT / 2), false), f.cont(fe(1), false)],
      end: { fail: 1009 },
    },
  ];
  it.each(rows.map((c) => [c.id, c.title, c] as const))('%s %s', (_id, _title, c) => runCase(small, c));
});

describe.each([
  ['9: limits and performance', group9],
  ['10: auto-fragmentation', group10],
])('Autobahn group %s', (_, cases) => {
  it.each(cases.map((c) => [c.id, c.title, c] as const))('%s %s', (_id, _title, c) => runCase(suite.echo, c));
});
