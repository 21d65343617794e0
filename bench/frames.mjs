#!/usr/bin/env node
// Frame decoding throughput: the same byte streams decoded side by side by our builders
// through FrameReader, by the `ws` package's Receiver (server side, masked client frames)
// and by a naive Buffer.concat Simple decoder. See bench/README.md.
//   node bench/frames.mjs [--quick] [--json] [--only=simple,ws,...]
import { Checksum32FrameBuilder, FrameReader, SimpleFrameBuilder, WebSocketFrameBuilder, useNativeMask } from '@simple-stream/frames';
// Loading the epoll-server package installs its native unmask into the frames package;
// each WebSocket case below says which masking it measures.
import { native } from '@simple-stream/epoll-server';
import { Receiver } from 'ws';
import * as m from './lib/measure.mjs';

const args = m.parseArgs();
const config = m.settings(args.quick);
const STREAM_BYTES = args.quick ? 1 << 20 : 4 << 20; // per stream
const CHUNK = 64 * 1024; // a socket read
// "64 KiB" is 65,535 B: the largest payload a Simple frame can carry (u16 length).
const SIZES = [32, 1024, 65535];
const TARGETS = [
  // ws unmasks with the native bufferutil; ours with our addon's native unmask when it is
  // installed (as here), pure TypeScript otherwise (the 'pure JS' rows).
  { label: 'WebSocket 32 B: ours >= 3x ws Receiver', size: 32, name: 'ours WebSocket', vs: 'ws Receiver', min: 3 },
  { label: 'WebSocket 1 KiB: ours >= 2x ws Receiver', size: 1024, name: 'ours WebSocket', vs: 'ws Receiver', min: 2 },
  { label: 'Simple 32 B: ours >= 20 M frames/s', size: 32, name: 'ours Simple', minFramesPerSec: 20e6 },
];

/** The byte streams of one payload size, plus what every decoder must find in them. */
function buildStreams(size) {
  const next = m.prng(size);
  const pool = Buffer.alloc(size + 256);
  for (let i = 0; i < pool.length; i++) pool[i] = next() & 0xff;
  const count = Math.max(16, Math.floor(STREAM_BYTES / (size + 4)));
  const payloads = Array.from({ length: count }, (_, i) => pool.subarray(i % 256, (i % 256) + size));
  const masked = Buffer.concat(payloads.map((p) => encodeWsMasked(p, next() | 1))); // key 0: ws skips unmasking
  return {
    count,
    sum: payloads.reduce((s, p) => s + p[0] + p.length, 0),
    simple: chunks(Buffer.concat(payloads.map(encodeSimple))),
    checksum32: chunks(Buffer.concat(payloads.map(encodeChecksum32))),
    masked,
    scratch: Buffer.alloc(masked.length), // unmasked in place; refilled before every call
  };
}

// Encoders of our own, so that setting up runs none of the library code being measured
// (and its JIT feedback stays as a decoding-only server's would be).
function encodeSimple(p) {
  const out = Buffer.alloc(p.length + 4);
  out[0] = 0x01;
  out.writeUInt16BE(p.length, 1);
  out.set(p, 3);
  out[p.length + 3] = 0x17;
  return out;
}

function encodeChecksum32(p) {
  const out = Buffer.alloc(p.length + 8);
  out.writeUInt32BE(p.length, 0);
  out.set(p, 4);
  out.writeUInt32BE(p.reduce((s, b) => s + b, 0) % 2 ** 32, p.length + 4);
  return out;
}

/** A masked binary frame, as a client sends it. */
function encodeWsMasked(p, key) {
  const n = p.length;
  const header = n < 126 ? 2 : n < 0x10000 ? 4 : 10;
  const out = Buffer.alloc(header + 4 + n);
  out[0] = 0x82;
  out[1] = 0x80 | (n < 126 ? n : n < 0x10000 ? 126 : 127);
  if (header === 4) out.writeUInt16BE(n, 2);
  if (header === 10) out.writeBigUInt64BE(BigInt(n), 2);
  out.writeUInt32BE(key >>> 0, header);
  for (let i = 0; i < n; i++) out[header + 4 + i] = p[i] ^ out[header + (i & 3)];
  return out;
}

function chunks(buf) {
  const out = [];
  for (let at = 0; at < buf.length; at += CHUNK) out.push(buf.subarray(at, Math.min(at + CHUNK, buf.length)));
  return out;
}

// Every decoder touches each payload: payload[0] + payload.length goes into a checksum.
function viaReader(reader, list) {
  let frames = 0;
  let sum = 0;
  for (let c = 0; c < list.length; c++) {
    const out = reader.push(list[c]);
    for (let i = 0; i < out.length; i++) {
      const p = out[i].payload;
      sum += p[0] + p.length;
    }
    frames += out.length;
  }
  return { frames, sum };
}

function viaWs(receiver, list, tally) {
  for (let c = 0; c < list.length; c++) receiver._write(list[c], null, throwIfError);
  return tally;
}

function throwIfError(err) {
  if (err) throw err;
}

/** Simple decoding as a user would write it: concatenate the leftover with each chunk. */
function naiveSimple(list) {
  let frames = 0;
  let sum = 0;
  let buf = Buffer.alloc(0);
  for (let c = 0; c < list.length; c++) {
    buf = Buffer.concat([buf, list[c]]);
    let pos = 0;
    while (buf.length - pos >= 3) {
      if (buf[pos] !== 0x01) throw new Error('bad start byte');
      const n = buf.readUInt16BE(pos + 1);
      if (buf.length - pos < n + 4) break;
      if (buf[pos + 3 + n] !== 0x17) throw new Error('bad end byte');
      const payload = buf.subarray(pos + 3, pos + 3 + n);
      sum += payload[0] + payload.length;
      frames++;
      pos += n + 4;
    }
    buf = buf.subarray(pos);
  }
  return { frames, sum };
}

function casesFor(s) {
  const verify = (name) => (r) => {
    if (r.frames !== s.count || r.sum !== s.sum) {
      throw new Error(`${name}: ${r.frames} frames, sum ${r.sum}; expected ${s.count}, ${s.sum}`);
    }
  };
  const wsChunks = chunks(s.scratch);
  const refill = () => s.scratch.set(s.masked); // the same untimed copy for ws and ours
  const simple = new SimpleFrameBuilder();
  const checksum32 = new Checksum32FrameBuilder();
  const server = new WebSocketFrameBuilder({ role: 'server' });
  const cases = [
    { name: 'ours Simple', setup: () => new FrameReader(simple), run: (r) => viaReader(r, s.simple) },
    { name: 'naive Simple', run: () => naiveSimple(s.simple) },
    { name: 'ours Checksum32', setup: () => new FrameReader(checksum32), run: (r) => viaReader(r, s.checksum32) },
    {
      name: 'ours WebSocket',
      setup: () => (refill(), useNativeMask(native.mask), new FrameReader(server)),
      run: (r) => viaReader(r, wsChunks),
    },
    {
      name: 'ours WebSocket pure JS',
      setup: () => (refill(), useNativeMask(null), new FrameReader(server)),
      run: (r) => viaReader(r, wsChunks),
    },
    {
      name: 'ws Receiver',
      setup() {
        refill();
        const receiver = new Receiver({ isServer: true, binaryType: 'nodebuffer', maxPayload: 0 });
        const tally = { frames: 0, sum: 0 };
        receiver.on('message', (data) => {
          tally.frames++;
          tally.sum += data[0] + data.length;
        });
        return { receiver, tally };
      },
      run: (st) => viaWs(st.receiver, wsChunks, st.tally),
    },
  ];
  const only = args.only;
  return cases
    .filter((c) => only === null || only.some((o) => c.name.toLowerCase().includes(o.toLowerCase())))
    .map((c) => ({ ...c, verify: verify(c.name) }));
}

const results = [];
for (const size of SIZES) {
  const s = buildStreams(size);
  for (const r of m.compare(casesFor(s), config)) {
    const framesPerSec = s.count / (r.ms / 1000);
    results.push({ size, decoder: r.name, frames: s.count, framesPerSec, bytesPerSec: framesPerSec * size, msPerPass: r.ms, samplesMs: r.samples });
  }
}

const find = (size, name) => results.find((r) => r.size === size && r.decoder === name);
for (const r of results) {
  const base = r.decoder.startsWith('ours WebSocket') ? find(r.size, 'ws Receiver') : r.decoder === 'ours Simple' ? find(r.size, 'naive Simple') : undefined;
  if (base !== undefined) r.ratio = { vs: base.decoder, value: r.framesPerSec / base.framesPerSec };
}
const targets = TARGETS.map((t) => {
  const r = find(t.size, t.name);
  const value = r === undefined ? NaN : t.vs ? r.framesPerSec / (find(t.size, t.vs)?.framesPerSec ?? NaN) : r.framesPerSec;
  const min = t.vs ? t.min : t.minFramesPerSec;
  return { target: t.label, value, pass: Number.isNaN(value) ? null : value >= min }; // null: not measured
});

if (args.json) {
  console.log(JSON.stringify({ env: m.environment(), streamBytes: STREAM_BYTES, chunk: CHUNK, ...config, results, targets }, null, 2));
} else {
  console.log(`frames: ~${STREAM_BYTES >> 20} MiB per stream in ${CHUNK >> 10} KiB chunks, median of ${config.runs} runs of ${config.budgetMs} ms; ${m.environment()}\n`);
  m.printTable(
    ['payload', 'decoder', 'frames/s', 'MB/s', 'ratio'],
    results.map((r) => [
      `${r.size} B`,
      r.decoder,
      m.formatRate(r.framesPerSec),
      m.formatMBps(r.bytesPerSec),
      r.ratio ? `${m.formatRatio(r.ratio.value)} vs ${r.ratio.vs}` : '',
    ]),
  );
  console.log('');
  for (const t of targets) {
    const shown = t.target.includes('frames/s') ? m.formatRate(t.value) : m.formatRatio(t.value);
    console.log(`${t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'MISS'}  ${t.target} (measured ${t.pass === null ? 'n/a' : shown})`);
  }
}
