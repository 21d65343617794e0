#!/usr/bin/env node
// Echo servers under a native, pipelined, byte-checking load generator (native/loadgen.c):
// ours (examples/echo on @simple-stream/epoll-server), an idiomatic node:net echo, the
// same with cork(), and a minimal C epoll echo (the limit), each in its own process,
// interleaved round by round. Prints medians, ratios and the targets.
//   node bench/echo.mjs [--quick] [--json] [--only=latency,pipelined,large] [--also=DIR]
// --also=DIR adds the echo server of another checkout (DIR, built) as "ours@also".
import { join } from 'node:path';
import { environment, formatMBps, formatRate, formatRatio, parseArgs, printTable } from './lib/measure.mjs';
import { rotatedRounds } from './lib/rounds.mjs';
import { alsoArg, benchDir, buildNative, cpuMeter, run, startServer } from './lib/processes.mjs';

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
async function measure(server, s) {
  let meter;
  const timer = setTimeout(() => (meter = cpuMeter([server.pid])), warmup * 1000);
  const { stdout } = await run(loadgen, ['127.0.0.1', server.port, s.conns, s.inflight, s.size, seconds, warmup].map(String));
  clearTimeout(timer);
  const result = JSON.parse(stdout);
  const cpu = meter?.stop();
  result.server_cpu_pct = cpu?.pct[0] ?? NaN;
  result.others_cpu_pct = cpu === undefined ? NaN : Math.max(0, cpu.machine - cpu.pct[0] - result.cpu_pct);
  // Server CPU time per echoed message: what it costs, whatever share of the CPUs it got.
  result.server_us_per_msg = (1e4 * result.server_cpu_pct) / result.msgs_per_s;
  return result;
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
const verdicts = targets.map(([scenario, what, pair, ratio, op, goal]) => {
  const ok = op === '>=' ? ratio >= goal : op === '<=' ? ratio <= goal : null;
  return { scenario, what, pair, ratio, target: op === '' ? null : `${op} ${goal}`, verdict: ok === null ? 'info' : ok ? 'PASS' : 'MISS' };
});
if (args.json) {
  console.log(JSON.stringify({ environment: environment(), rounds, seconds, results, targets: verdicts }, null, 2));
} else {
  console.log('\nratios (of medians) against the targets');
  printTable(
    ['scenario', 'measure', 'ratio', 'value', 'target', ''],
    verdicts.map((v) => [v.scenario, v.what, v.pair, formatRatio(v.ratio), v.target === null ? '' : `${v.target.replace(/([\d.]+)$/, '$1x')}`, v.verdict === 'info' ? '' : v.verdict]),
  );
}
for (const server of servers) server.stop();
// Missed targets are results, not failures of the benchmark: the exit status stays 0.
