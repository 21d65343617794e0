#!/usr/bin/env node
// The worker pool (begin(module, { maxThreads })) side by side with itself and node:net,
// each server in its own process, interleaved round by round:
//   (i)  a CPU-heavy handler (SHA-256 run HASH times over each 32-byte payload) under the
//        pipelined load generator (native/loadgen.c): 2 workers against 1 worker, with the
//        load generator's own CPU reported (the machine's 2 cores are shared with it);
//   (ii) connection churn (native/churn.c: connect, one 32-byte echo, close, by 64
//        clients at a time): the pool and the one-thread server against node:net.
// Prints medians, ratios and the targets.
//   node bench/workers.mjs [--quick] [--json] [--only=cpu,churn] [--hash=K]
import { join } from 'node:path';
import { environment, formatRate, numberArg, parseArgs, printTable } from './lib/measure.mjs';
import { rotatedRounds } from './lib/rounds.mjs';
import { benchDir, buildNative, measureServer, run, startServer } from './lib/processes.mjs';
import { printVerdicts, verdict } from './lib/targets.mjs';

const args = parseArgs();
const hash = numberArg('hash', 32);
// Churn clients run in this many processes (64 clients split among them): one process
// tops out near 100% of a core before the servers do, and two can use what the server
// leaves of the second core.
const churnProcesses = numberArg('churn-processes', 2);
// How churn clients close: 'rst' (default) or 'fin' (see native/churn.c).
const churnClose = process.argv.find((a) => a.startsWith('--churn-close='))?.slice(14) ?? 'rst';
const rounds = args.quick ? 1 : 5;
const seconds = args.quick ? 0.5 : 3;
const warmup = args.quick ? 0.2 : 1;
const node = process.execPath;
const peer = join(benchDir, 'peers/workers-echo.mjs');
const wanted = (name) => args.only === null || args.only.some((w) => name.includes(w.toLowerCase()));

const scenarios = [
  {
    name: 'cpu',
    label: `(i) CPU-heavy handler (SHA-256 x${hash} per message): 64 connections, 16 in flight each, 32 B`,
    client: buildNative('loadgen'),
    clientArgs: (port) => ['127.0.0.1', port, 64, 16, 32, seconds, warmup],
    rate: 'msgs_per_s',
    unit: 'msgs/s',
    servers: () => [
      startServer('2 workers', node, [peer, '2', String(hash)]),
      startServer('1 worker', node, [peer, '1', String(hash)]),
      startServer('no pool', node, [peer, '0', String(hash)]),
    ],
    targets: [['2 workers', '1 worker', '>=', 1.7]],
  },
  {
    name: 'churn',
    label: `(ii) connection churn: 64 clients in ${churnProcesses} process(es), each cycle connect, one 32 B echo, close (${churnClose === 'fin' ? 'FIN' : 'RST'})`,
    client: buildNative('churn'),
    processes: churnProcesses,
    clientArgs: (port) => ['127.0.0.1', port, 64 / churnProcesses, seconds, warmup, churnClose],
    rate: 'conns_per_s',
    unit: 'conns/s',
    servers: () => [
      startServer('2 workers', node, [peer, '2']),
      startServer('1 worker', node, [peer, '1']),
      startServer('no pool', node, [peer, '0']),
      startServer('net', node, [join(benchDir, 'peers/net-echo.mjs')]),
    ],
    targets: [
      ['2 workers', 'net', '>=', 1.5],
      ['no pool', 'net', '>=', 1.5],
      // With the churn client near 100% of a core, conns/s is its limit more than the
      // servers': how much less CPU a server spends per connection than net tells them apart.
      ['2 workers', 'net', '', 0, 'cpu'],
      ['no pool', 'net', '', 0, 'cpu'],
    ],
  },
].filter((s) => wanted(s.name));

/** One client run against one server: the client's JSON plus CPU use of everyone. */
function measure(server, s) {
  // The server's CPU per unit (message or connection) goes to `server_us_per`.
  return measureServer(server, warmup, async () => {
    const runs = await Promise.all(Array.from({ length: s.processes ?? 1 }, () => run(s.client, s.clientArgs(server.port).map(String))));
    const result = merged(runs.map(({ stdout }) => JSON.parse(stdout)));
    result.rate = result[s.rate];
    // rotatedRounds reports the spread of `msgs_per_s` (and measureServer divides by it): the scenario's rate.
    result.msgs_per_s = result.rate;
    return result;
  }, 'server_us_per');
}

/** The reports of client processes run side by side, as one: rates and CPU add up. */
function merged(reports) {
  if (reports.length === 1) return reports[0];
  const sum = (f) => reports.reduce((a, r) => a + r[f], 0);
  const out = { ...reports[0] };
  for (const f of ['msgs_per_s', 'conns_per_s', 'bytes_per_s', 'cpu_pct', 'conns', 'connect_errors', 'io_errors', 'early_closes']) if (f in out) out[f] = sum(f);
  // Latency: each process's own percentiles; the mean p50 and the worst p99.
  out.lat_p50_us = sum('lat_p50_us') / reports.length;
  out.lat_p99_us = Math.max(...reports.map((r) => r.lat_p99_us));
  return out;
}

const FIELDS = ['rate', 'msgs_per_s', 'lat_p50_us', 'lat_p99_us', 'server_cpu_pct', 'server_us_per', 'cpu_pct', 'others_cpu_pct'];
const results = {};
const verdicts = [];
if (!args.json) console.log(`${environment()}; ${rounds} round(s) of ${seconds} s after ${warmup} s warm-up, medians`);
for (const s of scenarios) {
  const servers = await Promise.all(s.servers());
  try {
    results[s.name] = await rotatedRounds(servers, rounds, FIELDS, (server) => measure(server, s));
  } finally {
    for (const server of servers) server.stop();
  }
  const m = results[s.name];
  for (const [ours, other, op, goal, measure = 'rate'] of s.targets) {
    // 'cpu': the other's server CPU per unit over ours (above 1: ours spends less).
    const cpu = measure === 'cpu';
    const ratio = cpu ? m[other].server_us_per / m[ours].server_us_per : m[ours].rate / m[other].rate;
    const what = cpu ? `CPU per ${s.name === 'churn' ? 'conn' : 'msg'}` : s.unit;
    const pair = cpu ? `${other} / ${ours}` : `${ours} / ${other}`;
    verdicts.push(verdict(s.name, what, pair, ratio, op, goal));
  }
  if (args.json) continue;
  console.log(`\n${s.label}`);
  const us = (v) => `${v.toFixed(v >= 10 ? 0 : 1)} us`;
  const pct = (v) => `${v.toFixed(0)}%`;
  printTable(
    ['server', s.unit, 'spread', 'p50', 'p99', 'server CPU', `CPU/${s.name === 'churn' ? 'conn' : 'msg'}`, 'client CPU', 'others CPU'],
    servers.map(({ name }) => {
      const r = m[name];
      return [name, formatRate(r.rate, ''), `±${r.spread_pct.toFixed(0)}%`, us(r.lat_p50_us), us(r.lat_p99_us), pct(r.server_cpu_pct), us(r.server_us_per), pct(r.cpu_pct), pct(r.others_cpu_pct)];
    }),
  );
}

if (args.json) {
  console.log(JSON.stringify({ environment: environment(), rounds, seconds, hash, results, targets: verdicts }, null, 2));
} else {
  printVerdicts(verdicts);
}
// Missed targets are results, not failures of the benchmark: the exit status stays 0.
