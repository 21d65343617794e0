#!/usr/bin/env node
// WebSocket echo servers under a native, pipelined, byte-checking load generator
// (native/ws-loadgen.c): ours (`serve` of @simple-stream/websocket), the `ws` package with
// bufferutil, and a minimal C epoll WebSocket echo (the limit), each in its own process,
// interleaved round by round. Scenarios (i)-(iii) of echo.mjs with binary messages, then
// (ii) with permessage-deflate negotiated on both sides (ours and ws; the C echo has no
// deflate): 32 B messages, and 1 KiB of English-like text. Prints medians, ratios and the
// issue's targets.
//   node bench/websocket.mjs [--quick] [--json] [--only=latency,pipelined,large,deflate,text]
//                            [--rounds=N] [--seconds=S] [--ws-deflate=readme]
//                            [--ours-threshold=N] [--also=DIR]
// --ws-deflate=readme: ws's deflate with the tuned settings of its README instead of
// `perMessageDeflate: true`. --ours-threshold=N: ours compresses replies of N bytes and
// more (default: its own threshold, 1024; 0 compresses all, as ws does with context
// takeover). --also=DIR adds another built checkout's server as "ours@also".
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { environment, formatMBps, formatRate, numberArg, parseArgs, printTable } from './lib/measure.mjs';
import { rotatedRounds } from './lib/rounds.mjs';
import { alsoArg, benchDir, buildNative, measureServer, run, startServer } from './lib/processes.mjs';
import { printVerdicts, verdict } from './lib/targets.mjs';

const args = parseArgs();
const argv = process.argv.slice(2);
// Five rounds, as echo.mjs: on a shared 2-core VM single runs swing by 2x.
const rounds = numberArg('rounds', args.quick ? 1 : 5);
const seconds = numberArg('seconds', args.quick ? 0.5 : 3);
const warmup = args.quick ? 0.2 : 1;
const wsDeflate = argv.includes('--ws-deflate=readme') ? '--deflate=readme' : '--deflate';
const oursThreshold = numberArg('ours-threshold', null);
const oursDeflate = oursThreshold === null ? '--deflate' : `--deflate=${oursThreshold}`;

const scenarios = [
  { name: 'latency', label: '(i) 1 connection, 1 in flight, 32 B', conns: 1, inflight: 1, size: 32 },
  { name: 'pipelined', label: '(ii) 64 connections, 16 in flight each, 32 B', conns: 64, inflight: 16, size: 32 },
  { name: 'large', label: '(iii) 8 connections, 4 in flight each, 16 KiB', conns: 8, inflight: 4, size: 16384 },
  { name: 'deflate', label: '(ii) + permessage-deflate: 64 connections, 16 in flight each, 32 B', conns: 64, inflight: 16, size: 32, deflate: ['--deflate'] },
  { name: 'deflate-text', label: '(ii) + permessage-deflate: 64 connections, 16 in flight each, 1 KiB of English-like text', conns: 64, inflight: 16, size: 1024, deflate: ['--deflate', '--text'] },
].filter((s) => args.only === null || args.only.some((w) => s.name.includes(w.toLowerCase())));

/** ws-loadgen links the system's zlib runtime (zlib1g) by its soname, so it needs no -dev
 * package: headers from zlib1g-dev if present, else the ones Node ships. */
function buildWsLoadgen() {
  const includes = existsSync('/usr/include/zlib.h') ? [] : ['-I', join(dirname(dirname(process.execPath)), 'include/node')];
  return buildNative('ws-loadgen', [...includes, '-l:libz.so.1']);
}

const loadgen = buildWsLoadgen();
const node = process.execPath;
const peer = (file) => join(benchDir, 'peers', file);
const also = alsoArg() === null ? [] : [alsoArg()];
const anyPlain = scenarios.some((s) => !s.deflate);
const anyDeflate = scenarios.some((s) => s.deflate);
const wanted = [
  ...(anyPlain
    ? [
        ['plain', 'ours', node, [peer('ours-ws-echo.mjs')]],
        ['plain', 'ws', node, [peer('ws-echo.mjs')]],
        ['plain', 'C epoll', buildNative('ws-echo-server'), []],
        ...(also.length ? [['plain', 'ours@also', node, [peer('ours-ws-echo.mjs'), ...also]]] : []),
      ]
    : []),
  ...(anyDeflate
    ? [
        ['deflate', 'ours', node, [peer('ours-ws-echo.mjs'), oursDeflate]],
        ['deflate', 'ws', node, [peer('ws-echo.mjs'), wsDeflate]],
        ...(also.length ? [['deflate', 'ours@also', node, [peer('ours-ws-echo.mjs'), oursDeflate, ...also]]] : []),
      ]
    : []),
];
// A server that does not start (ours while its package is unfinished) is reported, and
// the others are still measured; the exit status then says the run was incomplete.
const started = await Promise.allSettled(wanted.map(([, name, cmd, a]) => startServer(name, cmd, a)));
const failed = [];
const groups = { plain: [], deflate: [] };
started.forEach((r, i) => {
  const [group, name] = wanted[i];
  if (r.status === 'fulfilled') groups[group].push(r.value);
  else failed.push({ group, name, error: String(r.reason?.message ?? r.reason) });
});
for (const f of failed) console.error(`bench: ${f.name} (${f.group}) did not start: ${f.error}`);

/** One loadgen run against one server: the loadgen's JSON plus CPU use of everyone. */
function measure(server, s) {
  const lgArgs = [...['127.0.0.1', server.port, s.conns, s.inflight, s.size, seconds, warmup].map(String), ...(s.deflate ?? [])];
  return measureServer(server, warmup, async () => JSON.parse((await run(loadgen, lgArgs)).stdout));
}

const FIELDS = ['msgs_per_s', 'bytes_per_s', 'lat_p50_us', 'lat_p99_us', 'lat_mean_us', 'server_cpu_pct', 'server_us_per_msg', 'cpu_pct', 'others_cpu_pct', 'compressed_in_pct', 'compressed_out_pct', 'wire_in_per_msg', 'wire_out_per_msg'];
const results = {};
if (!args.json) console.log(`${environment()}; ${rounds} round(s) of ${seconds} s after ${warmup} s warm-up, medians`);
for (const s of scenarios) {
  const servers = groups[s.deflate ? 'deflate' : 'plain'];
  if (servers.length === 0) continue;
  results[s.name] = await rotatedRounds(servers, rounds, FIELDS, (server) => measure(server, s));
  for (const m of Object.values(results[s.name])) m.extensions = m.samples[0].extensions;
  if (args.json) continue;
  console.log(`\n${s.label}`);
  const us = (v) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(1)} us`);
  const pct = (v) => `${v.toFixed(0)}%`;
  const bytes = (v) => `${v.toFixed(v >= 100 ? 0 : 1)} B`;
  printTable(
    ['server', 'msgs/s', 'spread', 'payload', 'p50', 'p99', 'server CPU', 'CPU/msg', 'loadgen CPU', 'others CPU', ...(s.deflate ? ['replies compressed', 'wire in/msg', 'wire out/msg'] : [])],
    servers.map(({ name }) => {
      const m = results[s.name][name];
      const perMsg = `${m.server_us_per_msg.toFixed(m.server_us_per_msg >= 10 ? 1 : 2)} us`;
      const deflateCells = s.deflate ? [pct(m.compressed_in_pct), bytes(m.wire_in_per_msg), bytes(m.wire_out_per_msg)] : [];
      return [name, formatRate(m.msgs_per_s), `±${m.spread_pct.toFixed(0)}%`, formatMBps(m.bytes_per_s), us(m.lat_p50_us), us(m.lat_p99_us), pct(m.server_cpu_pct), perMsg, pct(m.cpu_pct), pct(m.others_cpu_pct), ...deflateCells];
    }),
  );
  if (s.deflate) {
    for (const { name } of servers) console.log(`  ${name} answered: Sec-WebSocket-Extensions: ${results[s.name][name].extensions}`);
  }
}

// The targets, on the medians of this run; a missing server gives no ratio.
const get = (scenario, server, field) => results[scenario]?.[server]?.[field];
const ratio = (scenario, a, b, field) => get(scenario, a, field) / get(scenario, b, field);
const oursNames = [...new Set([...groups.plain, ...groups.deflate].map((srv) => srv.name).filter((n) => n.startsWith('ours')))];
const targets = (oursNames.length ? oursNames : ['ours'])
  .flatMap((ours) => [
    ['pipelined', 'msgs/s', `${ours} / ws`, ratio('pipelined', ours, 'ws', 'msgs_per_s'), '>=', 4],
    ['pipelined', 'msgs/s', `${ours} / C epoll`, ratio('pipelined', ours, 'C epoll', 'msgs_per_s'), '', 0],
    ['large', 'bytes/s', `${ours} / ws`, ratio('large', ours, 'ws', 'bytes_per_s'), '>=', 1.5],
    ['large', 'bytes/s', `${ours} / C epoll`, ratio('large', ours, 'C epoll', 'bytes_per_s'), '', 0],
    ['deflate', 'msgs/s', `${ours} / ws`, ratio('deflate', ours, 'ws', 'msgs_per_s'), '>=', 1.5],
    ['deflate-text', 'msgs/s', `${ours} / ws`, ratio('deflate-text', ours, 'ws', 'msgs_per_s'), '', 0],
    ['latency', 'p50 latency', `${ours} / ws`, ratio('latency', ours, 'ws', 'lat_p50_us'), '', 0],
  ])
  .filter(([scenario]) => scenarios.some((s) => s.name === scenario));
const verdicts = targets.map((t) => verdict(...t));
if (args.json) {
  console.log(JSON.stringify({ environment: environment(), rounds, seconds, wsDeflate, oursDeflate, results, targets: verdicts, failed }, null, 2));
} else {
  printVerdicts(verdicts);
}
for (const server of [...groups.plain, ...groups.deflate]) server.stop();
// Missed targets are results, not failures of the benchmark; a server that did not start is.
if (failed.length > 0) process.exitCode = 1;
