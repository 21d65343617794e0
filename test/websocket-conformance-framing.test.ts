// Autobahn groups 1 to 4 against serve(): framing (payload lengths at the 7/16/64-bit
// boundaries, chopped writes), pings and pongs, reserved bits, reserved opcodes. One row
// per Autobahn case, named by its id; each sends exact bytes and checks exact behaviour.
import { describe, it } from 'vitest';
import { Op, clientFrame } from './websocket-wire.js';
import { echoSuite, f, r, runCase, type Case } from './websocket-case.js';

const suite = echoSuite();

const star = (n: number): string => '*'.repeat(n);
const fe = (n: number): Buffer => Buffer.alloc(n, 0xfe);
const HELLO = 'Hello, world!';
const BYTES = Buffer.from('00fffefdfcfb00ff', 'hex');

// Autobahn 1.1.x / 1.2.x: lengths 0, 125, 126, 127, 128, 65535, 65536, then 65536 in 997-byte chops.
const LENGTHS: Array<[number, number, number | 'all']> = [
  [1, 0, 'all'],
  [2, 125, 'all'],
  [3, 126, 'all'],
  [4, 127, 'all'],
  [5, 128, 'all'],
  [6, 65535, 'all'],
  [7, 65536, 'all'],
  [8, 65536, 997],
];

const group1: Case[] = [
  ...LENGTHS.map(([i, n, chop]): Case => ({
    id: `1.1.${i}`,
    title: `text message of ${n} bytes${chop === 'all' ? '' : `, written in chops of ${chop}`}`,
    send: [f.text(star(n))],
    chop,
    replies: [r.text(star(n))],
    end: 'clean',
  })),
  ...LENGTHS.map(([i, n, chop]): Case => ({
    id: `1.2.${i}`,
    title: `binary message of ${n} bytes${chop === 'all' ? '' : `, written in chops of ${chop}`}`,
    send: [f.binary(fe(n))],
    chop,
    replies: [r.binary(fe(n))],
    end: 'clean',
  })),
];

const TEN_PINGS = Array.from({ length: 10 }, (_, i) => `payload-${i}`);

const group2: Case[] = [
  { id: '2.1', title: 'ping without payload: a pong without payload', send: [f.ping()], replies: [r.pong()], end: 'clean' },
  { id: '2.2', title: 'ping with a small text payload: echoed in the pong', send: [f.ping(HELLO)], replies: [r.pong(HELLO)], end: 'clean' },
  { id: '2.3', title: 'ping with a small binary (non UTF-8) payload', send: [f.ping(BYTES)], replies: [r.pong(BYTES)], end: 'clean' },
  { id: '2.4', title: 'ping with 125 bytes of binary payload', send: [f.ping(fe(125))], replies: [r.pong(fe(125))], end: 'clean' },
  { id: '2.5', title: 'ping with 126 bytes: failed with 1002 (control frames carry at most 125)', send: [f.raw(Op.Ping, fe(126))], end: { fail: 1002 } },
  { id: '2.6', title: 'ping with 125 bytes, written octet by octet', send: [f.ping(fe(125))], chop: 1, replies: [r.pong(fe(125))], end: 'clean' },
  // "Nothing" in reply to an unsolicited pong: the close answer must be the very next frame.
  { id: '2.7', title: 'unsolicited pong without payload: nothing in reply', send: [f.pong(), f.close(1000)], end: { answer: 1000 } },
  { id: '2.8', title: 'unsolicited pong with payload: nothing in reply', send: [f.pong('unsolicited pong payload'), f.close(1000)], end: { answer: 1000 } },
  {
    id: '2.9',
    title: 'unsolicited pong, then a ping: only the ping is answered',
    send: [f.pong('unsolicited pong payload'), f.ping('ping payload')],
    replies: [r.pong('ping payload')],
    end: 'clean',
  },
  { id: '2.10', title: '10 pings with payload: 10 pongs, in order', send: TEN_PINGS.map((p) => f.ping(p)), replies: TEN_PINGS.map((p) => r.pong(p)), end: 'clean' },
  { id: '2.11', title: '10 pings, written octet by octet', send: TEN_PINGS.map((p) => f.ping(p)), chop: 1, replies: TEN_PINGS.map((p) => r.pong(p)), end: 'clean' },
];

// Group 3: Autobahn's `rsv` is the three bits RSV1-3 as one number (4 is RSV1). A text
// message echoed first shows the frames before the bad one count; the ping after it must
// get no pong: the close 1002 is the next and last frame.
const group3: Case[] = [
  { id: '3.1', title: 'small text message with RSV = 1', send: [f.text(HELLO, true, 1)], end: { fail: 1002 } },
  { id: '3.2', title: 'text message, again with RSV = 2, then a ping', send: [f.text(HELLO), f.text(HELLO, true, 2), f.ping()], replies: [r.text(HELLO)], end: { fail: 1002 } },
  {
    id: '3.3',
    title: 'text message, again with RSV = 3, then a ping; frame-wise chops',
    send: [f.text(HELLO), f.text(HELLO, true, 3), f.ping()],
    chop: 'frame',
    replies: [r.text(HELLO)],
    end: { fail: 1002 },
  },
  {
    id: '3.4',
    title: 'text message, again with RSV = 4, then a ping; octet-wise chops',
    send: [f.text(HELLO), f.text(HELLO, true, 4), f.ping()],
    chop: 1,
    replies: [r.text(HELLO)],
    end: { fail: 1002 },
  },
  { id: '3.5', title: 'small binary message with RSV = 5', send: [f.binary(BYTES, true, 5)], end: { fail: 1002 } },
  { id: '3.6', title: 'ping with RSV = 6', send: [f.raw(Op.Ping, HELLO, true, 6)], end: { fail: 1002 } },
  { id: '3.7', title: 'close with RSV = 7', send: [f.raw(Op.Close, '', true, 7)], end: { fail: 1002 } },
];

/** A reserved opcode alone (x.x.1, x.x.2) or between a text message and a ping. */
function reservedOpcode(id: string, opcode: number, payload: string, between: boolean, chop?: number): Case {
  const frame = f.raw(opcode, payload);
  return {
    id,
    title: `reserved opcode ${opcode}${payload === '' ? '' : ' with a payload'}${between ? ', after a text message, before a ping' : ''}${chop ? ', octet-wise' : ''}`,
    send: between ? [f.text(HELLO), frame, f.ping()] : [frame],
    chop,
    replies: between ? [r.text(HELLO)] : [],
    end: { fail: 1002 },
  };
}

const group4: Case[] = [
  reservedOpcode('4.1.1', 3, '', false),
  reservedOpcode('4.1.2', 4, 'reserved opcode payload', false),
  reservedOpcode('4.1.3', 5, '', true),
  reservedOpcode('4.1.4', 6, HELLO, true),
  reservedOpcode('4.1.5', 7, HELLO, true, 1),
  reservedOpcode('4.2.1', 11, '', false),
  reservedOpcode('4.2.2', 12, 'reserved opcode payload', false),
  reservedOpcode('4.2.3', 13, '', true),
  reservedOpcode('4.2.4', 14, HELLO, true),
  reservedOpcode('4.2.5', 15, HELLO, true, 1),
];

// Past Autobahn (its client never breaks these): what a server must refuse of a client's
// frame header itself (RFC 6455 5.1, 5.2).
const header: Case[] = [
  { id: 'unmasked', title: 'a text frame without a mask: 1002', send: [clientFrame(Op.Text, HELLO, { mask: false })], end: { fail: 1002 } },
  {
    id: 'length top bit',
    title: 'a 64-bit length with its most significant bit set: 1002',
    send: [Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0x01, 0x11, 0x22, 0x33, 0x44])],
    end: { fail: 1002 },
  },
  {
    id: 'non-minimal length',
    title: 'a 5-byte payload whose length is written in 16 bits: 1002',
    send: [Buffer.from([0x82, 0xfe, 0x00, 0x05, 0, 0, 0, 0, 1, 2, 3, 4, 5])],
    end: { fail: 1002 },
  },
];

describe.each([
  ['1: framing', group1],
  ['2: pings and pongs', group2],
  ['3: reserved bits', group3],
  ['4: opcodes', group4],
  ['past Autobahn: frame headers', header],
])('Autobahn group %s', (_, cases) => {
  it.each(cases.map((c) => [c.id, c.title, c] as const))('%s %s', (_id, _title, c) => runCase(suite.echo, c));
});
