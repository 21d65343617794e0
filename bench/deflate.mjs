#!/usr/bin/env node
// permessage-deflate per message: our PerMessageDeflate (zlib in a native addon, one
// synchronous call per message) against the `ws` package's PerMessageDeflate (node:zlib
// streams, a callback per message), deflating and inflating the same messages with the
// same settings: context takeover, 15-bit windows, zlib level 6 (ws's default, through
// Node's) and memLevel 8. Deflate also runs at our default level, 1, on its own column.
//   node bench/deflate.mjs [--quick] [--json] [--only=32,1k,64k,deflate,inflate]
//
// Each run handles a sequence of messages with a fresh compressor or decompressor, one
// message after the other, as one connection does: ws waits for each callback before
// the next message (what its Sender and Receiver do), ours calls in a loop. Inflate
// inputs are the sequence compressed once, with context takeover, by our deflater (the
// bytes are plain RFC 7692 either way: the tests check both libraries read each other's).
import { performance } from 'node:perf_hooks';
import { PerMessageDeflate as WsPerMessageDeflate, extension } from 'ws';
import * as m from './lib/measure.mjs';

// Not (yet) exported by the package index: load the module from the build.
const { PerMessageDeflate } = await import('../packages/websocket/dist/permessage-deflate.js');

const args = m.parseArgs();
const config = m.settings(args.quick);
const PARAMS = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
const MAX = 64 << 20;
// ws waits for each zlib call's callback; it gains throughput only across connections.
const LANES = 16;

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'user', 'status', 'online', 'price', 'quantity', 'message', 'channel', 'timestamp', 'true', 'false', 'null'];

/** JSON-like text of exactly `len` bytes, varied by `next`. */
function text(len, next) {
  let s = '';
  while (s.length < len) {
    const w = WORDS[next() % WORDS.length];
    s += `{"${w}":${next() % 100000},"${WORDS[next() % WORDS.length]}":"${w}${next() % 1000}"},`;
  }
  return Buffer.from(s.slice(0, len));
}

/** Random bytes, for the 32 B case: small messages are ids, tokens, binary updates. */
function bytes(len, next) {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = next() & 0xff;
  return b;
}

const SIZES = [
  { key: '32', label: '32 B', count: args.quick ? 500 : 2000, make: bytes, len: 32 },
  { key: '1k', label: '1 KiB text', count: args.quick ? 200 : 1000, make: text, len: 1024 },
  { key: '64k', label: '64 KiB text', count: args.quick ? 8 : 32, make: text, len: 65536 },
];

function wsInstance() {
  const pmd = new WsPerMessageDeflate({ isServer: true, threshold: 0, maxPayload: MAX });
  pmd.accept(extension.parse('permessage-deflate; client_max_window_bits')['permessage-deflate']);
  return pmd;
}

/** Runs ws's async calls over one lane's messages in sequence; resolves with the outputs' total length. */
function wsLane(pmd, method, inputs) {
  return new Promise((resolve, reject) => {
    let i = 0;
    let total = 0;
    const step = (err, result) => {
      if (err) return reject(err);
      if (result !== undefined) total += result.length;
      if (i === inputs.length) return resolve(total);
      pmd[method](inputs[i++], true, step);
    };
    step(null, undefined);
  });
}

/** All lanes at once, each on its own ws instance (connection). */
async function wsLanes(pmds, method, lanes) {
  const totals = await Promise.all(lanes.map((inputs, i) => wsLane(pmds[i], method, inputs)));
  return totals.reduce((a, b) => a + b, 0);
}

/** Ours is synchronous: the lanes one after the other, each on its own instance. */
function ourLanes(pmds, op, lanes) {
  let total = 0;
  for (let l = 0; l < lanes.length; l++) {
    const pmd = pmds[l];
    const inputs = lanes[l];
    for (let i = 0; i < inputs.length; i++) total += (op === 'deflate' ? pmd.deflate(inputs[i]) : pmd.inflate(inputs[i], true)).length;
  }
  return total;
}

/** Mean ms per message of `run` over `budgetMs` of runs (fresh state each run, untimed). */
async function timeFor(budgetMs, c) {
  let ms = 0;
  let messages = 0;
  do {
    const s = c.setup();
    const t0 = performance.now();
    const total = await c.run(s);
    ms += performance.now() - t0;
    messages += c.count;
    c.teardown(s);
    if (Math.abs(total - c.expect) > (c.slack ?? 0) * c.expect) throw new Error(`${c.name}: produced ${total} bytes, expected ${c.expect}`);
  } while (ms < budgetMs);
  return ms / messages;
}

/** measure.mjs's compare(), for cases whose run() may be async. */
async function compare(cases) {
  for (const c of cases) await timeFor(config.warmupMs, c);
  const samples = cases.map(() => []);
  for (let r = 0; r < config.runs; r++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length;
      samples[i].push(await timeFor(config.budgetMs, cases[i]));
    }
  }
  return cases.map((c, i) => ({ name: c.name, expect: c.expect, ms: m.median(samples[i]), samples: samples[i] }));
}

/** Splits messages round-robin into `n` lanes (connections). */
function split(messages, n) {
  const lanes = Array.from({ length: n }, () => []);
  messages.forEach((b, i) => lanes[i % n].push(b));
  return lanes;
}

/** Each lane compressed in order by its own deflater (context takeover), at `level`. */
function compressLanes(lanes, level) {
  return lanes.map((lane) => {
    const d = new PerMessageDeflate('server', PARAMS, { maxMessage: MAX, level });
    const out = lane.map((b) => Buffer.from(d.deflate(b)));
    d.close();
    return out;
  });
}

const sum = (lanes) => lanes.flat().reduce((s, b) => s + b.length, 0);
const oursAt = (level) => () => [new PerMessageDeflate('client', PARAMS, { maxMessage: MAX, level })];
const closeAll = (pmds) => pmds.forEach((p) => p.close());
const cleanupAll = (pmds) => pmds.forEach((p) => p.cleanup());

const wanted = (name) => args.only === null || args.only.some((w) => name.toLowerCase().includes(w.toLowerCase()));
const rows = [];
const results = [];
for (const size of SIZES) {
  const next = m.prng(size.len);
  const messages = Array.from({ length: size.count }, () => size.make(size.len, next));
  const one = split(messages, 1);
  const many = split(messages, LANES);
  const rawTotal = sum(one);
  for (const op of ['deflate', 'inflate']) {
    const name = `${op} ${size.key}`;
    if (!wanted(name)) continue;
    // Expected output totals: inflating gives the messages back; deflating gives what our
    // deflater gives on the same lanes, exactly for ours and within 1% for ws (the same
    // zlib at the same level, but ws feeds it input and flush in two calls, and zlib's
    // block choices differ by a few bytes).
    const packedOne = compressLanes(one, 6);
    const packedMany = compressLanes(many, 6);
    const inputsOne = op === 'deflate' ? one : packedOne;
    const inputsMany = op === 'deflate' ? many : packedMany;
    const expectOne = op === 'deflate' ? sum(packedOne) : rawTotal;
    const expectMany = op === 'deflate' ? sum(packedMany) : rawTotal;
    const method = op === 'deflate' ? 'compress' : 'decompress';
    const cases = [
      { name: 'ours', count: messages.length, expect: expectOne, setup: oursAt(6), run: (p) => ourLanes(p, op, inputsOne), teardown: closeAll },
      { name: 'ws', count: messages.length, expect: expectOne, slack: op === 'deflate' ? 0.01 : 0, setup: () => [wsInstance()], run: (p) => wsLanes(p, method, inputsOne), teardown: cleanupAll },
      {
        name: `ws x${LANES}`,
        count: messages.length,
        expect: expectMany,
        slack: op === 'deflate' ? 0.01 : 0,
        setup: () => Array.from({ length: LANES }, wsInstance),
        run: (p) => wsLanes(p, method, inputsMany),
        teardown: cleanupAll,
      },
    ];
    if (op === 'deflate') {
      const packedFast = compressLanes(one, 1);
      cases.push({ name: 'ours level 1 (default)', count: messages.length, expect: sum(packedFast), setup: oursAt(1), run: (p) => ourLanes(p, op, one), teardown: closeAll });
    }
    const measured = await compare(cases);
    const [o, w, wMany, fast] = measured;
    const rate = (r) => (r === undefined ? '' : m.formatRate(1000 / r.ms, ' msg/s'));
    const result = {
      op,
      size: size.label,
      ours_msgs_per_s: 1000 / o.ms,
      ws_msgs_per_s: 1000 / w.ms,
      [`ws_x${LANES}_msgs_per_s`]: 1000 / wMany.ms,
      ratio_vs_ws: w.ms / o.ms,
      [`ratio_vs_ws_x${LANES}`]: wMany.ms / o.ms,
      compressed_pct: (100 * sum(packedOne)) / rawTotal,
    };
    if (fast !== undefined) {
      result.ours_level1_msgs_per_s = 1000 / fast.ms;
      result.level1_compressed_pct = (100 * fast.expect) / rawTotal;
    }
    results.push(result);
    rows.push([
      `${op} ${size.label}`,
      rate(o),
      rate(w),
      rate(wMany),
      m.formatRatio(w.ms / o.ms),
      m.formatRatio(wMany.ms / o.ms),
      `${result.compressed_pct.toFixed(0)}%`,
      fast === undefined ? '' : `${rate(fast)} (${result.level1_compressed_pct.toFixed(0)}%)`,
    ]);
  }
}

if (args.json) {
  console.log(JSON.stringify({ environment: m.environment(), results }, null, 2));
} else {
  console.log(`permessage-deflate per message, context takeover (${m.environment()})`);
  m.printTable(['case', 'ours', 'ws', `ws x${LANES}`, 'ours/ws', `ours/ws x${LANES}`, 'size', 'ours level 1 (size)'], rows);
  console.log('ours, ws: zlib level 6 (ws\'s default) on both; ours level 1: our default level.');
  console.log(`ws x${LANES}: ${LANES} ws instances (connections) with their calls in flight at once; ours runs them in turn.`);
  console.log('size: compressed bytes / message bytes.');
}
