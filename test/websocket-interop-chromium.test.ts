// Interop: headless Chromium loads the chat page (examples/chat) from serve()'s HTTP hook
// on the WebSocket port, over http:// and https:// (the test CA's certificate, trusted by
// its key: --ignore-certificate-errors-spki-list), and two tabs chat through the server:
// each sees the other's lines, a long one (compressed: Chromium offers permessage-deflate)
// included. The page is driven through its own form, as a person would.
import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsContext } from '@simple-stream/tls';
import type { WebSocketServer } from '@simple-stream/websocket';
// @ts-expect-error: a JavaScript example module without types
import { startChat } from '../examples/chat/server.mjs';
import { makeCerts, type Certs } from '../packages/tls/test/certs.js';
import { Chromium, type Page } from './interop/chromium.js';

let certs: Certs;
let browser: Chromium;

beforeAll(async () => {
  certs = makeCerts();
  // Chromium trusts a certificate whose public key has this SHA-256 (base64 of the SPKI).
  const spki = new X509Certificate(certs.server.cert).publicKey.export({ type: 'spki', format: 'der' });
  browser = await Chromium.launch([`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`]);
}, 40_000);

afterAll(async () => {
  await browser?.close();
  certs?.remove();
});

/** Resolves once the page says it is connected (the page's own status line). */
const CONNECTED = `new Promise((resolve, reject) => {
  const status = document.getElementById('status');
  const check = () => status.textContent === 'connected' ? resolve(true) : status.textContent.startsWith('disconnected') ? reject(new Error(status.textContent)) : setTimeout(check, 10);
  check();
})`;

/** Types a name and a line into the page's form and submits it. */
function say(name: string, text: string): string {
  return `(() => {
    document.getElementById('name').value = ${JSON.stringify(name)};
    document.getElementById('text').value = ${JSON.stringify(text)};
    document.getElementById('form').requestSubmit();
    return document.getElementById('text').value;
  })()`;
}

/** Resolves with the page's chat lines ([name, text]) once `count` have arrived. */
function lines(count: number): string {
  return `new Promise((resolve) => {
    const read = () => [...document.querySelectorAll('#log li:not(.notice)')].map((li) => [li.querySelector('.from').textContent, li.lastChild.textContent]);
    const check = () => read().length >= ${count} ? resolve(read()) : setTimeout(check, 10);
    check();
  })`;
}

describe.each([
  ['http:// and ws://', false],
  ['https:// and wss://', true],
])('Chromium on the chat page over %s', (_, tls) => {
  let server: WebSocketServer;
  const pages: Page[] = [];
  beforeAll(async () => {
    server = await startChat({ port: 0, tls: tls ? TlsContext.server(certs.server) : undefined });
  });
  afterAll(async () => {
    for (const page of pages.splice(0)) await page.close();
    await server?.close({ timeoutMs: 1000 });
  });

  it('two tabs load the page from the WebSocket port and see each other\'s lines', async () => {
    const url = `${tls ? 'https' : 'http'}://127.0.0.1:${server.port}/`;
    const alice = await browser.open(url);
    pages.push(alice);
    const bob = await browser.open(url);
    pages.push(bob);
    for (const page of [alice, bob]) expect(await page.evaluate(CONNECTED)).toBe(true);
    expect(await alice.evaluate<string>('document.title')).toBe('simple-stream chat');
    expect(server.clients.size).toBe(2);
    // Chromium offers permessage-deflate; the server takes it up.
    for (const ws of server.clients) expect(ws.agreement?.extensions).toMatch(/^permessage-deflate/);

    // The form is cleared once a line is sent.
    expect(await alice.evaluate(say('alice', 'hello from alice ✓'))).toBe('');
    await bob.evaluate(lines(1));
    expect(await bob.evaluate(say('bob', 'hi alice'))).toBe('');
    // Each line is sent once the previous one came back, so that all see the same order.
    await alice.evaluate(lines(2));
    const long = 'a long line, compressed both ways.'.repeat(28);
    await alice.evaluate(say('alice', long));
    const expected = [
      ['alice', 'hello from alice ✓'],
      ['bob', 'hi alice'],
      ['alice', long],
    ];
    for (const page of [alice, bob]) expect(await page.evaluate(lines(3))).toEqual(expected);
  });
});
