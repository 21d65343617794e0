// Autobahn group 6 against serve(): text messages must be UTF-8. Empty and fragmented
// messages (6.1), characters split across fragments (6.2), invalid text whole or octet by
// octet (6.3), failing fast, at the fragment or chop that makes the text invalid, without
// the rest (6.4), and Markus Kuhn's UTF-8 decoder test sequences (6.5 to 6.23), each in one
// frame: echoed when valid, failed with 1007 when not.
import { describe, expect, it } from 'vitest';
import { Op, closeCodeOf, type WireClient } from './websocket-wire.js';
import { echoSuite, f, nextMessage, r, runCase, summary, type Case } from './websocket-case.js';

const suite = echoSuite();

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const bytes = (...values: number[]): Buffer => Buffer.from(values);

/** κόσμε: 2-, 3-, 2-, 2- and 2-byte characters. */
const KOSME = hex('ce ba e1 bd b9 cf 83 ce bc ce b5');
const MIXED = Buffer.from('Hello-µ@ßöäüàá-UTF-8!!');
/** KOSME, then a surrogate (invalid at its second byte, the message's 13th), then 'edited'. */
const WITH_SURROGATE = Buffer.concat([KOSME, hex('ed a0 80'), Buffer.from('edited')]);
/** KOSME, then U+110000 as UTF-8's scheme would write it (invalid at its second byte, 0x90), then 'edited'. */
const PAST_MAX = Buffer.concat([KOSME, hex('f4 90 80 80'), Buffer.from('edited')]);

/** One byte per fragment: every fragment but the first is a continuation frame. */
function octetFragments(payload: Buffer): Buffer[] {
  return [...payload].map((b, i) => (i === 0 ? f.text(bytes(b), payload.length === 1) : f.cont(bytes(b), i === payload.length - 1)));
}

/** How long a server may take to fail after the invalid part, while the rest is held back. */
const FAIL_FAST_MS = 2_000;

/** Waits for the server's close frame, which must come while the rest of the message is still withheld. */
async function failsFast(client: WireClient, id: string): Promise<void> {
  const frame = await client.peek(`case ${id}: the close frame right after the invalid part`, FAIL_FAST_MS);
  expect(frame.opcode === Op.Close ? `close ${closeCodeOf(frame)}` : summary(frame.opcode, frame.payload)).toBe('close 1007');
}

/** The part before the invalid one is fine: a ping sent after it is answered, the connection still open. */
async function stillOpen(client: WireClient, id: string): Promise<void> {
  await client.send([f.ping(id)]);
  const pong = await nextMessage(client, `case ${id}: the pong after the valid first part`);
  expect(summary(pong.opcode, pong.payload)).toBe(summary(Op.Pong, id));
}

/** 6.4.3/6.4.4: one frame of PAST_MAX written in chops cut at `cut1` and `cut2`; the third never goes. */
function chopsOfOneFrame(id: string, title: string, cut1: number, cut2: number): Case {
  return {
    id,
    title: `invalid UTF-8 ${title}`,
    run: async (client) => {
      const frame = f.text(PAST_MAX);
      const header = frame.length - PAST_MAX.length;
      await client.write(frame.subarray(0, header + cut1));
      await client.write(frame.subarray(header + cut1, header + cut2));
      await failsFast(client, id);
    },
    end: { fail: 1007 },
  };
}

const group6Fixed: Case[] = [
  { id: '6.1.1', title: 'text message of length 0', send: [f.text('')], replies: [r.text('')], end: 'clean' },
  { id: '6.1.2', title: 'text message in 3 fragments, each of length 0', send: [f.text('', false), f.cont('', false), f.cont('')], replies: [r.text('')], end: 'clean' },
  {
    id: '6.1.3',
    title: 'text message in 3 fragments, the first and last empty',
    send: [f.text('', false), f.cont('middle frame payload', false), f.cont('')],
    replies: [r.text('middle frame payload')],
    end: 'clean',
  },
  { id: '6.2.1', title: 'valid UTF-8 in one fragment', send: [f.text(MIXED)], replies: [r.text(MIXED)], end: 'clean' },
  {
    id: '6.2.2',
    title: 'valid UTF-8 in two fragments, split on a code point boundary',
    send: [f.text('Hello-µ@ßöä', false), f.cont('üàá-UTF-8!!')],
    replies: [r.text(MIXED)],
    end: 'clean',
  },
  { id: '6.2.3', title: 'valid UTF-8 in 1-octet fragments, split inside code points', send: octetFragments(MIXED), replies: [r.text(MIXED)], end: 'clean' },
  { id: '6.2.4', title: 'valid UTF-8 (κόσμε) in 1-octet fragments', send: octetFragments(KOSME), replies: [r.text(KOSME)], end: 'clean' },
  { id: '6.3.1', title: 'invalid UTF-8 (a surrogate) unfragmented', send: [f.text(WITH_SURROGATE)], end: { fail: 1007 } },
  { id: '6.3.2', title: 'invalid UTF-8 (a surrogate) in 1-octet fragments', send: octetFragments(WITH_SURROGATE), end: { fail: 1007 } },
  {
    id: '6.4.1',
    title: 'invalid UTF-8 in 3 fragments: closed at the 2nd (U+110000), without the 3rd',
    run: async (client) => {
      await client.send([f.text(KOSME, false)]);
      await stillOpen(client, '6.4.1');
      await client.send([f.cont(hex('f4 90 80 80'), false)]);
      await failsFast(client, '6.4.1');
    },
    end: { fail: 1007 },
  },
  {
    id: '6.4.2',
    title: 'invalid UTF-8 in 3 fragments, the 2nd only the octet that makes it invalid: closed at the 2nd',
    run: async (client) => {
      await client.send([f.text(PAST_MAX.subarray(0, 12), false)]);
      await stillOpen(client, '6.4.2');
      await client.send([f.cont(PAST_MAX.subarray(12, 13), false)]);
      await failsFast(client, '6.4.2');
    },
    end: { fail: 1007 },
  },
  chopsOfOneFrame('6.4.3', 'in 3 chops of one frame: closed at the 2nd chop (U+110000)', KOSME.length, KOSME.length + 4),
  chopsOfOneFrame('6.4.4', 'in 3 chops of one frame, the 2nd only the octet that makes it invalid: closed at the 2nd chop', 12, 13),
];

// Markus Kuhn's UTF-8 decoder test, as Autobahn's case6_x_x.py lists it: [valid, bytes].
const range = (from: number, to: number, each: (i: number) => number[]): Buffer => {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(...each(i));
  return Buffer.from(out);
};
const incomplete = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'];
const nonCharacters: Array<[boolean, string]> = [
  [true, 'efbfbe'],
  [true, 'efbfbf'],
];
for (const z1 of ['f0', 'f1', 'f2', 'f3', 'f4']) {
  for (const z2 of ['8f', '9f', 'af', 'bf']) {
    if (z1 === 'f4' && z2 !== '8f') continue; // past U+10FFFF
    for (const z3 of ['be', 'bf']) {
      const seq = `${z1}${z2}bf${z3}`;
      if (seq !== 'f08fbfbe' && seq !== 'f08fbfbf') nonCharacters.push([true, seq]); // overlong
    }
  }
}
const prefixes = Array.from({ length: KOSME.length }, (_, i): [boolean, Buffer] => [[2, 5, 7, 9, 11].includes(i + 1), KOSME.subarray(0, i + 1)]);

const SEQUENCES: Array<[string, Array<[boolean, string | Buffer]>]> = [
  ['valid UTF-8', [[true, Buffer.from('hello$world')], [true, hex('68656c6c6f c2a2 776f726c64')], [true, hex('68656c6c6f e282ac 776f726c64')], [true, hex('68656c6c6f f0a4ada2 776f726c64')], [true, KOSME]]],
  ['prefixes of a valid string of multi-byte code points', prefixes],
  ['first possible sequence of each length', [[true, '00'], [true, 'c280'], [true, 'e0a080'], [true, 'f0908080']]],
  ['first possible sequence of length 5 and 6 (invalid code points)', [[false, 'f888808080'], [false, 'fc8480808080']]],
  ['last possible sequence of each length', [[true, '7f'], [true, 'dfbf'], [true, 'efbfbf'], [true, 'f48fbfbf']]],
  ['last possible sequence of length 4, 5 and 6 (invalid code points)', [[false, 'f7bfbfbf'], [false, 'fbbfbfbfbf'], [false, 'fdbfbfbfbfbf']]],
  ['other boundary conditions', [[true, 'ed9fbf'], [true, 'ee8080'], [true, 'efbfbd'], [true, 'f48fbfbf'], [false, 'f4908080']]],
  ['unexpected continuation bytes', [[false, '80'], [false, 'bf'], [false, '80bf'], [false, '80bf80'], [false, '80bf80bf'], [false, '80bf80bf80'], [false, '80bf80bf80bf'], [false, range(0x80, 0xbf, (i) => [i])]]],
  [
    'lonely start characters',
    [
      [false, range(0xc0, 0xdf, (i) => [i, 0x20])],
      [false, range(0xe0, 0xef, (i) => [i, 0x20])],
      [false, range(0xf0, 0xf7, (i) => [i, 0x20])],
      [false, range(0xf8, 0xfb, (i) => [i, 0x20])],
      [false, range(0xfc, 0xfd, (i) => [i, 0x20])],
    ],
  ],
  ['sequences with the last continuation byte missing', incomplete.map((s): [boolean, string] => [false, s])],
  ['concatenation of incomplete sequences', [[false, incomplete.join('')]]],
  ['impossible bytes', [[false, 'fe'], [false, 'ff'], [false, 'fefeffff']]],
  ['overlong ASCII characters', [[false, 'c0af'], [false, 'e080af'], [false, 'f08080af'], [false, 'f8808080af'], [false, 'fc80808080af']]],
  ['maximum overlong sequences', [[false, 'c1bf'], [false, 'e09fbf'], [false, 'f08fbfbf'], [false, 'f887bfbfbf'], [false, 'fc83bfbfbfbf']]],
  ['overlong NUL', [[false, 'c080'], [false, 'e08080'], [false, 'f0808080'], [false, 'f880808080'], [false, 'fc8080808080']]],
  ['single UTF-16 surrogates', ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map((s): [boolean, string] => [false, s])],
  [
    'paired UTF-16 surrogates',
    ['eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf', 'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf'].map((s): [boolean, string] => [false, s]),
  ],
  ['non-character code points (valid UTF-8)', nonCharacters],
  ['Unicode specials', ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf'].map((s): [boolean, string] => [true, s])],
];

const group6Kuhn: Case[] = SEQUENCES.flatMap(([name, list], i) =>
  list.map(([valid, seq], j): Case => {
    const payload = typeof seq === 'string' ? hex(seq) : seq;
    return {
      id: `6.${5 + i}.${j + 1}`,
      title: `${name}: ${payload.length > 16 ? `${payload.subarray(0, 16).toString('hex')}… (${payload.length} bytes)` : payload.toString('hex')} is ${valid ? 'echoed' : 'failed with 1007'}`,
      send: [f.text(payload)],
      replies: valid ? [r.text(payload)] : [],
      end: valid ? 'clean' : { fail: 1007 },
    };
  }),
);

describe('Autobahn group 6: UTF-8 handling', () => {
  it.each([...group6Fixed, ...group6Kuhn].map((c) => [c.id, c.title, c] as const))('%s %s', (_id, _title, c) => runCase(suite.echo, c));
});
