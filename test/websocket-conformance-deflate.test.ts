// Autobahn groups 12 and 13 against serve({ deflate }): permessage-deflate. Group 12 sends
// messages of 16 bytes to 128 KiB from five kinds of data (JSON, a bitmap, prose, HTML, a
// nearly incompressible binary), compressed and auto-fragmented, with Autobahn's default
// offer; group 13 does the same with JSON under each of its seven offer/answer pairs
// (client/server_no_context_takeover, max_window_bits 9 and 15). Every echo is inflated
// with exactly the window and context the answer allows, and compared whole. Past
// Autobahn: windows of 8 to 15 bits with context takeover both ways.
//
// Autobahn sends 1000 messages per case; here the count is scaled to about 64 KiB of
// messages per case (at least 4, at most 250) to fit the suite's time, every size and
// fragmentation kept. Its data files are replaced by generated data of the same kinds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEFLATE_THRESHOLD, type DeflateOptions } from '@simple-stream/websocket';
import { Op } from './websocket-wire.js';
import { DeflatePeer, readTerms, type DeflateTerms } from './websocket-deflate-peer.js';
import { Sentinel, echoServer, expectClosing, f, summary, type EchoServer } from './websocket-case.js';

/** Autobahn's MSG_SIZES: [payload length, auto-fragment size (0: none)]. */
const MSG_SIZES: Array<[number, number]> = [
  [16, 0],
  [64, 0],
  [256, 0],
  [1024, 0],
  [4096, 0],
  [8192, 0],
  [16384, 0],
  [32768, 0],
  [65536, 0],
  [131072, 0],
  [8192, 256],
  [16384, 256],
  [32768, 256],
  [65536, 256],
  [131072, 256],
  [131072, 1024],
  [131072, 4096],
  [131072, 32768],
];

const countFor = (length: number): number => Math.min(250, Math.max(4, Math.floor((64 * 1024) / length)));

/** A deterministic generator (xorshift32), so that every run sends the same bytes. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const WORDS = 'Habe nun ach Philosophie Juristerei und Medizin leider auch Theologie durchaus studiert mit heißem Bemühn da steh ich nun armer Tor bin so klug als wie zuvor Magister heiße Doktor gar'.split(' ');

/** Autobahn's data sets, generated: [id, description, text (false: sent as binary), the data]. */
function dataSets(): Array<[string, string, boolean, Buffer | string]> {
  const rnd = random(0x9e3779b9);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const records = Array.from({ length: 1500 }, (_, i) => ({ id: i, name: `${pick(WORDS)} ${pick(WORDS)}`, score: Math.round(rnd() * 1e6) / 100, tags: [pick(WORDS), pick(WORDS)], ok: rnd() < 0.5 }));
  const bitmap = Buffer.alloc(512 * 512);
  for (let y = 0; y < 512; y++) for (let x = 0; x < 512; x++) bitmap[y * 512 + x] = (128 + 100 * Math.sin(x / 37) * Math.cos(y / 23) + rnd() * 12) & 0xff;
  const prose = Array.from({ length: 40_000 }, () => pick(WORDS)).join(' ');
  const html = Array.from({ length: 2500 }, (_, i) => `<tr class="row-${i % 7}"><td>${i}</td><td><a href="/item/${i}">${pick(WORDS)}</a></td><td>${pick(WORDS)} ${pick(WORDS)}</td></tr>\n`).join('');
  const binary = Buffer.alloc(200_000);
  for (let i = 0; i < binary.length; i++) binary[i] = i % 4096 < 256 ? i & 0xff : Math.floor(rnd() * 256);
  return [
    ['json', 'JSON data (text)', true, JSON.stringify(records)],
    ['bitmap', 'a 512x512 grey bitmap (binary)', false, bitmap],
    ['prose', 'German prose (binary)', false, Buffer.from(prose)],
    ['html', 'an HTML table (text)', true, `<html><body><table>\n${html}</table></body></html>`],
    ['pdf-like', 'nearly incompressible binary', false, binary],
  ];
}

const DATA = dataSets();

/**
 * The messages of one case: `count` slices of `length` (characters for text, bytes for
 * binary) taken one after another from the data, wrapping around, as Autobahn does.
 */
function* messages(data: Buffer | string, length: number, count: number): Generator<Buffer> {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = (at + length) % data.length;
    const piece = end > at ? data.slice(at, end) : typeof data === 'string' ? data.slice(at) + data.slice(0, end) : Buffer.concat([data.subarray(at), data.subarray(0, end)]);
    at = end;
    yield typeof piece === 'string' ? Buffer.from(piece) : piece;
  }
}

/** A server configuration and the offer a client makes to it, with the terms they must agree on. */
interface Variant {
  id: string;
  title: string;
  server: DeflateOptions;
  offer: string;
  terms: DeflateTerms;
}

const OFFER = 'permessage-deflate; client_no_context_takeover; client_max_window_bits';
const terms = (serverNoContextTakeover: boolean, clientNoContextTakeover: boolean, serverMaxWindowBits: number, clientMaxWindowBits: number): DeflateTerms => ({
  serverNoContextTakeover,
  clientNoContextTakeover,
  serverMaxWindowBits,
  clientMaxWindowBits,
});

// Autobahn's client always offers client_no_context_takeover (its "accept" flag), which
// this server takes up in its answer, as RFC 7692 7.1.1.2 allows.
const GROUP13: Variant[] = [
  { id: '13.1', title: 'default offer / default answer', server: {}, offer: OFFER, terms: terms(false, true, 15, 15) },
  { id: '13.2', title: 'server_no_context_takeover asked / client_no_context_takeover asked', server: { clientNoContextTakeover: true }, offer: `${OFFER}; server_no_context_takeover`, terms: terms(true, true, 15, 15) },
  { id: '13.3', title: 'server_max_window_bits=9 asked / client_max_window_bits=9 asked', server: { clientMaxWindowBits: 9 }, offer: `${OFFER}; server_max_window_bits=9`, terms: terms(false, true, 9, 9) },
  { id: '13.4', title: 'server_max_window_bits=15 asked / client_max_window_bits=15 asked', server: { clientMaxWindowBits: 15 }, offer: `${OFFER}; server_max_window_bits=15`, terms: terms(false, true, 15, 15) },
  {
    id: '13.5',
    title: 'no context takeover and 9 bits asked both ways',
    server: { clientNoContextTakeover: true, clientMaxWindowBits: 9 },
    offer: `${OFFER}; server_no_context_takeover; server_max_window_bits=9`,
    terms: terms(true, true, 9, 9),
  },
  {
    id: '13.6',
    title: 'no context takeover and 15 bits asked both ways',
    server: { clientNoContextTakeover: true, clientMaxWindowBits: 15 },
    offer: `${OFFER}; server_no_context_takeover; server_max_window_bits=15`,
    terms: terms(true, true, 15, 15),
  },
  {
    id: '13.7',
    title: 'three offers (9 bits and no context, no context, default): the first is taken',
    server: { clientNoContextTakeover: true, clientMaxWindowBits: 9 },
    offer: `${OFFER}; server_no_context_takeover; server_max_window_bits=9, ${OFFER}; server_no_context_takeover, ${OFFER}`,
    terms: terms(true, true, 9, 9),
  },
];

const WINDOWS: Variant[] = [8, 9, 10, 11, 12, 13, 14, 15].map((bits) => ({
  id: `window ${bits}`,
  title: `server_max_window_bits=${bits} and client_max_window_bits=${bits}, context takeover both ways`,
  server: {},
  offer: `permessage-deflate; server_max_window_bits=${bits}; client_max_window_bits=${bits}`,
  terms: terms(false, false, bits, bits),
}));

/**
 * One case: a connection offering `variant.offer`, the answer checked, then `count`
 * messages of `length` sent compressed (cut at `fragment`), each echo awaited, inflated and
 * compared; then a clean close.
 */
async function runDeflateCase(echo: EchoServer, variant: Variant, text: boolean, data: Buffer | string, length: number, fragment: number): Promise<void> {
  const client = await echo.open({ extensions: variant.offer });
  try {
    const peer = new DeflatePeer(client, readTerms(client.response.headers['sec-websocket-extensions']));
    expect(peer.terms).toEqual(variant.terms);
    const opcode = text ? Op.Text : Op.Binary;
    let i = 0;
    for (const message of messages(data, length, countFor(length))) {
      await peer.send(opcode, message, fragment);
      const echoed = await peer.receive(`echo ${++i}`);
      if (echoed.opcode !== opcode || !echoed.payload.equals(message)) {
        expect(summary(echoed.opcode, echoed.payload), `echo ${i}`).toBe(summary(opcode, message));
      }
      // The server compresses messages from its threshold up.
      if (message.length >= DEFAULT_DEFLATE_THRESHOLD && !echoed.compressed) expect.fail(`echo ${i} (${message.length} bytes) came uncompressed`);
    }
    await client.send([f.close(1000)]);
    await expectClosing(echo, client, 1000, 'client');
  } finally {
    client.destroy();
  }
}

/** The cases of one variant against one server made for it, a sentinel checked after them; `id` names each case. */
function variantCases(
  title: string,
  variant: Variant,
  sets: ReadonlyArray<[string, string, boolean, Buffer | string]>,
  id: (set: number, size: number) => string,
  sizes = MSG_SIZES,
): void {
  describe(title, () => {
    let echo: EchoServer;
    const sentinel = new Sentinel();
    beforeAll(async () => {
      echo = await echoServer({ deflate: variant.server });
      await sentinel.open(echo);
    });
    afterAll(async () => {
      await sentinel.check();
      sentinel.close();
      await echo?.close();
    });
    const rows = sets.flatMap(([, name, text, data], j) =>
      sizes.map(([length, fragment], i) => {
        const title = `${countFor(length)} messages of ${length} from ${name}${fragment > 0 ? `, cut into frames of ${fragment}` : ''}`;
        return [id(j + 1, i + 1), title, text, data, length, fragment] as const;
      }),
    );
    it.each(rows)('%s %s', (_id, _title, text, data, length, fragment) => runDeflateCase(echo, variant, text, data, length, fragment));
  });
}

const DEFAULT: Variant = { id: '12', title: "Autobahn's default offer", server: {}, offer: OFFER, terms: terms(false, true, 15, 15) };
variantCases("Autobahn group 12: the default offer, five kinds of data", DEFAULT, DATA, (set, size) => `12.${set}.${size}`);
for (const v of GROUP13) variantCases(`Autobahn group ${v.id}: ${v.title}`, v, DATA.slice(0, 1), (_, size) => `${v.id}.${size}`);
// Fewer sizes here: the windows, not the sizes, are what these add.
const WINDOW_SIZES = MSG_SIZES.filter(([length, fragment]) => [16, 1024, 4096, 32768].includes(length) || (length === 131072 && fragment === 4096));
for (const v of WINDOWS) variantCases(`past Autobahn, ${v.id}: ${v.title}`, v, DATA.slice(0, 1), (_, size) => `${v.id}.${size}`, WINDOW_SIZES);
