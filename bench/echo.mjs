#!/usr/bin/env node
// Echo servers under a native, pipelined, byte-checking load generator (native/loadgen.c):
// ours (examples/echo on @simple-stream/epoll-server), an idiomatic node:net echo, the
// same with cork(), and a minimal C epoll echo (the limit), each in its own process,
// interleaved round by round. Prints medians, ratios and the targets.
//   node bench/echo.mjs [--quick] [--json] [--only=latency,pipelined,large] [--also=DIR]
// --also=DIR adds the echo server of another checkout (DIR, built) as "ours@also".
import { join } from 'node:path';
import { environment, formatMBps, formatRate, parseArgs, printTable } from './lib/measure.mjs';
import { rotatedRounds } from './lib/rounds.mjs';
import { alsoArg, benchDir, buildNative, measureServer, run, startServer } from './lib/processes.mjs';
import { printVerdicts, verdict } from './lib/targets.mjs';

const args = parseArgs();
// Five rounds, not three: on a shared 2-core VM single runs of the C peer swing by 2x.
const rounds = args.quick ? 1 : 5;
const seconds = args.quick ? 0.5 : 3;
const warmup = args.quick ? 0.2 : 1;

const scenarios = [
  { name: 'latency', label: '(i) 1 connection, 1 in flight, 32 B', conns: 1, inflight: 1, size: 32 },
  { name: 'pipelined', label: '(ii) 64 connections, 16 in flight each, 32 B', conns: 64, inflight: 16, size: 32 },
  { name: 'large', label: '(iii) 8 connections, 4 in flight each, 16 KiB', conns: 8, inflight: 4, size: 16384 },
].filter((s) => args.only === null || args.only.some((w) => s.name.includes(w.toLowerCase())));

const loadgen = buildNative('loadgen');
const node = process.execPath;
const servers = await Promise.all([
  startServer('ours', node, [join(benchDir, 'peers/ours-echo.mjs')]),
  startServer('net', node, [join(benchDir, 'peers/net-echo.mjs')]),
  startServer('net+cork', node, [join(benchDir, 'peers/net-echo.mjs'), '--cork']),
  startServer('C epoll', buildNative('echo-server')),
  ...(alsoArg() === null ? [] : [startServer('ours@also', node, [join(benchDir, 'peers/ours-echo.mjs'), alsoArg()])]),
]);

/** One loadgen run against one server: the loadgen's JSON plus CPU use of everyone. */
function measure(server, s) {
  const lgArgs = ['127.0.0.1', server.port, s.conns, s.inflight, s.size, seconds, warmup].map(String);
  return measureServer(server, warmup, async () => JSON.parse((await run(loadgen, lgArgs)).stdout));
}

const FIELDS = ['msgs_per_s', 'bytes_per_s', 'lat_p50_us', 'lat_p99_us', 'lat_mean_us', 'server_cpu_pct', 'server_us_per_msg', 'cpu_pct', 'others_cpu_pct'];
const results = {};
if (!args.json) console.log(`${environment()}; ${rounds} round(s) of ${seconds} s after ${warmup} s warm-up, medians`);
for (const s of scenarios) {
  results[s.name] = await rotatedRounds(servers, rounds, FIELDS, (server) => measure(server, s));
  if (args.json) continue;
  console.log(`\n${s.label}`);
  const us = (v) => `${v.toFixed(1)} us`;
  const pct = (v) => `${v.toFixed(0)}%`;
  printTable(
    ['server', 'msgs/s', 'spread', 'payload', 'p50', 'p99', 'server CPU', 'CPU/msg', 'loadgen CPU', 'others CPU'],
    servers.map(({ name }) => {
      const m = results[s.name][name];
      const perMsg = `${m.server_us_per_msg.toFixed(m.server_us_per_msg >= 10 ? 1 : 2)} us`;
      return [name, formatRate(m.msgs_per_s), `±${m.spread_pct.toFixed(0)}%`, formatMBps(m.bytes_per_s), us(m.lat_p50_us), us(m.lat_p99_us), pct(m.server_cpu_pct), perMsg, pct(m.cpu_pct), pct(m.others_cpu_pct)];
    }),
  );
}

// The targets, on the medians of this run.
const get = (scenario, server, field) => results[scenario]?.[server]?.[field];
const targets = servers
  .filter((srv) => srv.name.startsWith('ours'))
  .flatMap(({ name: ours }) => [
    ['pipelined', 'msgs/s', `${ours} / C epoll`, get('pipelined', ours, 'msgs_per_s') / get('pipelined', 'C epoll', 'msgs_per_s'), '>=', 0.5],
    ['pipelined', 'msgs/s', `${ours} / net+cork`, get('pipelined', ours, 'msgs_per_s') / get('pipelined', 'net+cork', 'msgs_per_s'), '>=', 1.3],
    ['pipelined', 'msgs/s', `${ours} / net`, get('pipelined', ours, 'msgs_per_s') / get('pipelined', 'net', 'msgs_per_s'), '', 0],
    ['large', 'bytes/s', `${ours} / C epoll`, get('large', ours, 'bytes_per_s') / get('large', 'C epoll', 'bytes_per_s'), '>=', 0.7],
    ['latency', 'p50 latency', `${ours} / C epoll`, get('latency', ours, 'lat_p50_us') / get('latency', 'C epoll', 'lat_p50_us'), '<=', 1.15],
  ])
  .filter(([scenario]) => results[scenario] !== undefined);
const verdicts = targets.map((t) => verdict(...t));
if (args.json) {
  console.log(JSON.stringify({ environment: environment(), rounds, seconds, results, targets: verdicts }, null, 2));
} else {
  printVerdicts(verdicts);
}
for (const server of servers) server.stop();
// Missed targets are results, not failures of the benchmark: the exit status stays 0.
