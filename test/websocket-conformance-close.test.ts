// Autobahn group 7 against serve(): the closing handshake. After the client's close frame
// the server answers it (echoing the code), ignores whatever follows, and closes TCP;
// close frames with a 1-byte body, a body over 125 bytes, a reason that is not UTF-8 or a
// code no endpoint may send fail the connection. One row per case.
import { describe, expect, it } from 'vitest';
import { serve } from '@simple-stream/websocket';
import { Op, WireClient, bounded } from './websocket-wire.js';
import { echoSuite, f, nextMessage, r, runCase, summary, type Case } from './websocket-case.js';

const suite = echoSuite();

const HELLO = 'Hello World!';
/** Autobahn's payload_len: the pattern repeated to the length. */
const repeated = (pattern: string, length: number): string => pattern.repeat(Math.ceil(length / pattern.length)).slice(0, length);
const BIG = repeated('BAsd7&jh23', 256 * 1024);
const NOT_UTF8 = Buffer.from('cebae1bdb9cf83cebccebdeda080656469746564', 'hex');

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

const group7: Case[] = [
  { id: '7.1.1', title: 'a message, then a close frame: the echo, then a clean close', send: [f.text(HELLO)], replies: [r.text(HELLO)], end: 'clean' },
  { id: '7.1.2', title: 'two close frames: the second is ignored', send: [f.close(1000), f.close()], end: { answer: 1000 } },
  { id: '7.1.3', title: 'a ping after the close frame: no pong', send: [f.close(1000), f.ping()], end: { answer: 1000 } },
  { id: '7.1.4', title: 'a text message after the close frame: not echoed', send: [f.close(1000), f.text(HELLO)], end: { answer: 1000 } },
  {
    id: '7.1.5',
    title: 'a first fragment, the close frame, then the last fragment: no message',
    send: [f.text('fragment1', false), f.close(1000), f.cont('fragment2')],
    end: { answer: 1000 },
  },
  {
    // Autobahn leaves it to the implementation whether the messages are echoed before the
    // close frame is handled: echoes may be missing, but not reordered, cut, or followed by a pong.
    id: '7.1.6',
    title: 'a 256 KiB message, a small one, the close frame and a ping: echoes (if any) in order, no pong',
    run: async (client) => {
      await client.send([f.text(BIG), f.text(HELLO), f.close(1000), f.ping()]);
      const echoed: string[] = [];
      while ((await client.peek('the answer to the close frame')).opcode !== Op.Close) {
        const m = await nextMessage(client, 'an echo before the answer to the close frame');
        echoed.push(summary(m.opcode, m.payload));
      }
      const echoes = [summary(Op.Text, BIG), summary(Op.Text, HELLO)];
      expect([[], echoes.slice(0, 1), echoes]).toContainEqual(echoed);
    },
    end: { answer: 1000 },
  },
  { id: '7.3.1', title: 'a close frame with an empty body: answered with an empty body', send: [f.close()], end: { answer: 1005 } },
  { id: '7.3.2', title: 'a close frame with a 1-byte body: 1002', send: [f.raw(8, 'a')], end: { fail: 1002 } },
  { id: '7.3.3', title: 'a close frame with a code only', send: [f.close(1000)], end: { answer: 1000 } },
  { id: '7.3.4', title: 'a close frame with a code and a reason', send: [f.close(1000, HELLO)], end: { answer: 1000 } },
  { id: '7.3.5', title: 'a close frame with a reason of 123 bytes (the most)', send: [f.close(1000, '*'.repeat(123))], end: { answer: 1000 } },
  { id: '7.3.6', title: 'a close frame with a reason of 124 bytes (a body of 126): 1002', send: [f.close(1000, '*'.repeat(124))], end: { fail: 1002 } },
  { id: '7.5.1', title: 'a close frame whose reason is not UTF-8: 1007', send: [f.close(1000, NOT_UTF8)], end: { fail: 1007 } },
  ...VALID_CODES.map(
    (code, i): Case => ({ id: `7.7.${i + 1}`, title: `close with the valid code ${code}: the code echoed`, send: [f.close(code)], end: { answer: code } }),
  ),
  ...INVALID_CODES.map(
    (code, i): Case => ({ id: `7.9.${i + 1}`, title: `close with the invalid code ${code}: 1002`, send: [f.close(code)], end: { fail: 1002 } }),
  ),
  // Undefined by the spec; codes past 4999 are not in the registry, so this server refuses them.
  { id: '7.13.1', title: 'close with code 5000: 1002', send: [f.close(5000)], end: { fail: 1002 } },
  { id: '7.13.2', title: 'close with code 65535: 1002', send: [f.close(65535)], end: { fail: 1002 } },
];

describe('Autobahn group 7: close handling', () => {
  it.each(group7.map((c) => [c.id, c.title, c] as const))('%s %s', (_id, _title, c) => runCase(suite.echo, c));
});

describe('the close callback', () => {
  // Found while writing these tests: Socket.remoteAddress looks the address up with
  // getpeername on first use, so in `close` (the fd already closed) it throws EBADF unless
  // something read it while the connection was open.
  it("can read the peer's address of a connection that never asked for it while open", async () => {
    const seen: Array<{ port: number } | Error> = [];
    let called!: () => void;
    const closed = new Promise<void>((resolve) => (called = resolve));
    const server = await serve(
      { addr: '127.0.0.1', port: 0 },
      {
        message: () => {},
        close: (ws) => {
          try {
            seen.push({ port: ws.remoteAddress.port });
          } catch (err) {
            seen.push(err as Error);
          }
          called();
        },
      },
    );
    const client = await WireClient.open({ port: server.port });
    try {
      const port = client.socket.localPort;
      await client.send([f.close(1000)]);
      await client.rest();
      await bounded(closed, 'the close callback');
      expect(seen).toEqual([{ port }]);
    } finally {
      client.destroy();
      await server.close({ timeoutMs: 1000 });
    }
  });
});
