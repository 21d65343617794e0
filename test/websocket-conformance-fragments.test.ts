// Autobahn group 5 against serve(): fragmentation. Control frames may not be fragmented,
// pings may come between fragments (and are answered at once), continuation frames need a
// message to continue, and a new message may not start inside one. One row per case.
import { describe, expect, it } from 'vitest';
import { Op, type Chop } from './websocket-wire.js';
import { echoSuite, f, nextMessage, r, runCase, summary, type Case } from './websocket-case.js';

const suite = echoSuite();

const HELLO = 'Hello, world!';
const CHOPS: Array<[string, Chop]> = [
  ['in one chop', 'all'],
  ['in frame-wise chops', 'frame'],
  ['in octet-wise chops', 1],
];

/** 5.3-5.5: a text message in two fragments; 5.6-5.8: with a ping between them, answered first. */
const twoFragments: Case[] = [
  ...CHOPS.map(([how, chop], i): Case => ({
    id: `5.${3 + i}`,
    title: `text message in 2 fragments, ${how}`,
    send: [f.text('fragment1', false), f.cont('fragment2')],
    chop,
    replies: [r.text('fragment1fragment2')],
    end: 'clean',
  })),
  ...CHOPS.map(([how, chop], i): Case => ({
    id: `5.${6 + i}`,
    title: `text message in 2 fragments, a ping with payload between them, ${how}`,
    send: [f.text('fragment1', false), f.ping('ping payload'), f.cont('fragment2')],
    chop,
    replies: [r.pong('ping payload'), r.text('fragment1fragment2')],
    end: 'clean',
  })),
];

/** 5.9-5.14: a continuation frame (FIN set, then clear) with nothing to continue, then a text message. */
const nothingToContinue: Case[] = [true, false].flatMap((fin, k) =>
  CHOPS.map(([how, chop], i): Case => ({
    id: `5.${9 + 3 * k + i}`,
    title: `continuation frame with FIN = ${fin} and nothing to continue, then a text message, ${how}`,
    send: [f.cont('non-continuation payload', fin), f.text(HELLO)],
    chop,
    end: { fail: 1002 },
  })),
);

/** 5.19/5.20: the second part is sent once the first ping is answered (Autobahn waits 1 s). */
function pingsBetweenFragments(id: string, chop: Chop): Case {
  return {
    id,
    title: `text message in 5 fragments with 2 pings between them, the second half sent later${chop === 'frame' ? ', frame-wise' : ''}`,
    run: async (client) => {
      await client.send([f.text('fragment1', false), f.cont('fragment2', false), f.ping('pongme 1!')], chop);
      // The pong says the server has read the first part: the message is still in progress.
      const pong = await nextMessage(client, 'the pong of the first ping');
      expect(summary(pong.opcode, pong.payload)).toBe(summary(Op.Pong, 'pongme 1!'));
      await client.send([f.cont('fragment3', false), f.cont('fragment4', false), f.ping('pongme 2!'), f.cont('fragment5')], chop);
    },
    replies: [r.pong('pongme 2!'), r.text('fragment1fragment2fragment3fragment4fragment5')],
    end: 'clean',
  };
}

const group5: Case[] = [
  { id: '5.1', title: 'ping in 2 fragments', send: [f.ping('fragment1', false), f.cont('fragment2')], end: { fail: 1002 } },
  { id: '5.2', title: 'pong in 2 fragments', send: [f.pong('fragment1', false), f.cont('fragment2')], end: { fail: 1002 } },
  ...twoFragments,
  ...nothingToContinue,
  {
    id: '5.15',
    title: 'text message in 2 fragments, then a continuation with FIN = false and nothing to continue, then a text message',
    send: [f.text('fragment1', false), f.cont('fragment2'), f.cont('fragment3', false), f.text('fragment4')],
    replies: [r.text('fragment1fragment2')],
    end: { fail: 1002 },
  },
  {
    id: '5.16',
    title: 'twice: a continuation with FIN = false (nothing to continue), then a text message in 2 fragments',
    send: [0, 1].flatMap(() => [f.cont('fragment1', false), f.text('fragment2', false), f.cont('fragment3')]),
    end: { fail: 1002 },
  },
  {
    id: '5.17',
    title: 'twice: a continuation with FIN = true (nothing to continue), then a text message in 2 fragments',
    send: [0, 1].flatMap(() => [f.cont('fragment1'), f.text('fragment2', false), f.cont('fragment3')]),
    end: { fail: 1002 },
  },
  { id: '5.18', title: 'text message in 2 fragments, both with the text opcode', send: [f.text('fragment1', false), f.text('fragment2')], end: { fail: 1002 } },
  pingsBetweenFragments('5.19', 'all'),
  pingsBetweenFragments('5.20', 'frame'),
];

describe('Autobahn group 5: fragmentation', () => {
  it.each(group5.map((c) => [c.id, c.title, c] as const))('%s %s', (_id, _title, c) => runCase(suite.echo, c));
});
