// examples/chat: the page served over HTTP on the WebSocket port, and its chat between
// `ws` clients: lines broadcast to everyone, joins and leaves announced, bad input closing
// only the connection that sent it (1003), other sites' pages refused.
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketServer } from '@simple-stream/websocket';
// @ts-expect-error: a JavaScript example module without types
import { startChat } from '../examples/chat/server.mjs';
import { bounded } from './websocket-wire.js';

interface Item {
  from?: string;
  text?: string;
  at?: number;
  notice?: string;
}

/** A chat client: what it received, and a bounded wait for an item that matches. */
class Member {
  readonly ws: WebSocket;
  readonly items: Item[] = [];
  #waiters: Array<() => void> = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      this.items.push(JSON.parse(data.toString()) as Item);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async join(port: number, options: WebSocket.ClientOptions = {}): Promise<Member> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`, options);
    const member = new Member(ws);
    await bounded(once(ws, 'open'), 'the chat connection');
    return member;
  }

  /** Resolves with the first item matching `match`, now or when it comes. */
  async see(match: (item: Item) => boolean, what: string): Promise<Item> {
    return bounded(
      (async () => {
        for (;;) {
          const found = this.items.find(match);
          if (found !== undefined) return found;
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      })(),
      what,
    );
  }

  say(name: string, text: string): void {
    this.ws.send(JSON.stringify({ name, text }));
  }
}

let server: WebSocketServer;
const members: Member[] = [];
beforeEach(async () => {
  server = await startChat({ port: 0 });
});
afterEach(async () => {
  for (const m of members.splice(0)) m.ws.terminate();
  await server.close({ timeoutMs: 1000 });
});

async function join(options?: WebSocket.ClientOptions): Promise<Member> {
  const m = await Member.join(server.port, options);
  members.push(m);
  return m;
}

describe('examples/chat', () => {
  it('serves its page at / on the WebSocket port, and 404 elsewhere', async () => {
    const page = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<title>simple-stream chat</title>');
    expect(html).toContain('/chat`');
    expect((await fetch(`http://127.0.0.1:${server.port}/missing`)).status).toBe(404);
  });

  it('sends every line to everyone, the sender included, and announces who comes and goes', async () => {
    const alice = await join();
    const bob = await join();
    await alice.see((i) => i.notice === 'someone joined (2 here)', 'alice told bob joined');
    alice.say('alice', 'hi bob ✓');
    for (const m of [alice, bob]) {
      const item = await m.see((i) => i.text === 'hi bob ✓', "alice's line");
      expect(item).toEqual({ from: 'alice', text: 'hi bob ✓', at: expect.any(Number) });
    }
    bob.say('  bob  ', 'hello alice');
    await alice.see((i) => i.from === 'bob' && i.text === 'hello alice', "bob's line, his name trimmed");
    bob.ws.close();
    await alice.see((i) => i.notice === 'someone left (1 here)', 'bob left');
  });

  it('broadcasts long lines compressed to a client that asked for permessage-deflate', async () => {
    const alice = await join({ perMessageDeflate: true });
    const bob = await join({ perMessageDeflate: false });
    expect(alice.ws.extensions).toMatch(/^permessage-deflate/);
    expect(bob.ws.extensions).toBe('');
    const long = 'la '.repeat(300);
    alice.say('alice', long);
    for (const m of [alice, bob]) await m.see((i) => i.text === long, 'the long line');
  });

  it('closes, with 1003, only the connection that sends something other than a JSON line', async () => {
    const alice = await join();
    for (const bad of [Buffer.from([1, 2, 3]), 'not json', JSON.stringify({ name: 'x' }), JSON.stringify({ name: 'x', text: '   ' })]) {
      const mallory = await join();
      const closed = once(mallory.ws, 'close');
      mallory.ws.send(bad);
      const [code] = (await bounded(closed, `the close after ${String(bad)}`)) as [number, Buffer];
      expect(code).toBe(1003);
    }
    alice.say('alice', 'still here');
    await alice.see((i) => i.text === 'still here', 'the chat still working');
  });

  it('refuses pages of other sites (Origin), and upgrades elsewhere than /chat', async () => {
    // Ending a refused client makes `ws` report an error: expected here.
    const refusedClient = (url: string, options?: WebSocket.ClientOptions): WebSocket => new WebSocket(url, options).on('error', () => {});
    const foreign = refusedClient(`ws://127.0.0.1:${server.port}/chat`, { origin: 'https://elsewhere.example' });
    const [, refused] = (await bounded(once(foreign, 'unexpected-response'), 'the refusal')) as [unknown, { statusCode: number }];
    expect(refused.statusCode).toBe(403);
    foreign.terminate();
    const own = await join({ origin: `http://127.0.0.1:${server.port}` });
    expect(own.ws.readyState).toBe(WebSocket.OPEN);
    const astray = refusedClient(`ws://127.0.0.1:${server.port}/elsewhere`);
    const [, missing] = (await bounded(once(astray, 'unexpected-response'), 'the 404')) as [unknown, { statusCode: number }];
    expect(missing.statusCode).toBe(404);
    astray.terminate();
  });
});
