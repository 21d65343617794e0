// Autobahn cases again, over TLS (serve({ tls })): the ones where TLS records and frames
// fall apart differently than bytes do on plain TCP (chopped writes, frames split across
// records, large messages, failing in the middle of a frame). The plain-TCP files hold
// every case; these rows repeat a selection, by the same ids.
import { describe, expect, it } from 'vitest';
import { TlsContext } from '@simple-stream/tls';
import { fileCerts } from '../packages/tls/test/certs.js';
import { Op, closeCodeOf } from './websocket-wire.js';
import { echoServer, echoSuite, f, r, runCase, summary, type Case } from './websocket-case.js';

const certs = fileCerts();
const suite = echoSuite(() => echoServer({ tls: TlsContext.server(certs.server) }, { ca: certs.ca.cert }));

const HELLO = 'Hello, world!';
/** κόσμε; then the same, U+110000 as UTF-8's scheme would write it (invalid), and 'edited'. */
const KOSME = Buffer.from('cebae1bdb9cf83cebcceb5', 'hex');
const PAST_MAX = Buffer.concat([KOSME, Buffer.from('f4908080', 'hex'), Buffer.from('edited')]);
const MiB = 1024 * 1024;

const cases: Case[] = [
  { id: '1.1.8', title: 'text message of 65536 bytes, written in chops of 997', send: [f.text('*'.repeat(65536))], chop: 997, replies: [r.text('*'.repeat(65536))], end: 'clean' },
  { id: '1.2.7', title: 'binary message of 65536 bytes', send: [f.binary(Buffer.alloc(65536, 0xfe))], replies: [r.binary(Buffer.alloc(65536, 0xfe))], end: 'clean' },
  { id: '2.6', title: 'ping with 125 bytes, written octet by octet', send: [f.ping(Buffer.alloc(125, 0xfe))], chop: 1, replies: [r.pong(Buffer.alloc(125, 0xfe))], end: 'clean' },
  { id: '3.4', title: 'text message, again with RSV = 4, then a ping; octet-wise chops', send: [f.text(HELLO), f.text(HELLO, true, 4), f.ping()], chop: 1, replies: [r.text(HELLO)], end: { fail: 1002 } },
  {
    id: '5.8',
    title: 'text message in 2 fragments, a ping between them, octet-wise chops',
    send: [f.text('fragment1', false), f.ping('ping payload'), f.cont('fragment2')],
    chop: 1,
    replies: [r.pong('ping payload'), r.text('fragment1fragment2')],
    end: 'clean',
  },
  { id: '6.2.4', title: 'valid UTF-8 (κόσμε) in 1-octet fragments', send: [...KOSME].map((b, i) => (i === 0 ? f.text(Buffer.from([b]), false) : f.cont(Buffer.from([b]), i === KOSME.length - 1))), replies: [r.text(KOSME)], end: 'clean' },
  {
    id: '6.4.3',
    title: 'invalid UTF-8 in chops of one frame: closed at the invalid chop',
    run: async (client) => {
      const frame = f.text(PAST_MAX);
      const header = frame.length - PAST_MAX.length;
      await client.write(frame.subarray(0, header + 11));
      await client.write(frame.subarray(header + 11, header + 15));
      const close = await client.peek('the close frame right after the invalid chop', 2_000);
      expect(close.opcode === Op.Close ? `close ${closeCodeOf(close)}` : summary(close.opcode, close.payload)).toBe('close 1007');
    },
    end: { fail: 1007 },
  },
  { id: '7.3.6', title: 'a close frame with a reason of 124 bytes: 1002', send: [f.close(1000, '*'.repeat(124))], end: { fail: 1002 } },
  { id: '7.7.10', title: 'close with the valid code 3000: echoed', send: [f.close(3000)], end: { answer: 3000 } },
  { id: '9.2.4', title: 'binary message of 4 MiB', send: [f.binary(Buffer.alloc(4 * MiB, 0xfe))], replies: [r.binary(Buffer.alloc(4 * MiB, 0xfe))], end: 'clean' },
  { id: '9.5.1', title: 'text message of 1 MiB written in chops of 64', send: [f.text('*'.repeat(MiB))], chop: 64, replies: [r.text('*'.repeat(MiB))], end: 'clean' },
];

describe('Autobahn cases over TLS', () => {
  it.each(cases.map((c) => [c.id, c.title, c] as const))('%s %s', (_id, _title, c) => runCase(suite.echo, c));
});
