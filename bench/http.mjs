#!/usr/bin/env node
// HTTP mock servers under `wrk -t1 -c128`: ours (examples/http-mock on
// @simple-stream/epoll-server), node:http answering the same fixed keep-alive response,
// and a C epoll mock (native/http-mock.c), each in its own process, interleaved round by
// round. Prints medians, ratios and the targets.
//   node bench/http.mjs [--quick] [--json] [--also=DIR]
// --also=DIR adds the HTTP mock of another checkout (DIR, built) as "ours@also".
import { join } from 'node:path';
import { environment, formatRate, formatRatio, median, parseArgs, printTable } from './lib/measure.mjs';
import { alsoArg, benchDir, buildNative, cpuMeter, haveCommand, run, startServer } from './lib/processes.mjs';

const args = parseArgs();
const rounds = args.quick ? 1 : 5; // five: single runs swing a lot on a shared VM
const seconds = args.quick ? 1 : 5;

if (!haveCommand('wrk')) {
  console.error('bench/http.mjs needs wrk (https://github.com/wg/wrk). On Debian/Ubuntu: apt-get install -y wrk');
  process.exit(1);
}

const node = process.execPath;
const servers = await Promise.all([
  startServer('ours', node, [join(benchDir, 'peers/ours-http.mjs')]),
  startServer('node:http', node, [join(benchDir, 'peers/node-http.mjs')]),
  startServer('C epoll', buildNative('http-mock')),
  ...(alsoArg() === null ? [] : [startServer('ours@also', node, [join(benchDir, 'peers/ours-http.mjs'), alsoArg()])]),
]);

// wrk counts responses, it does not read them: check each server's answer once first.
for (const { name, port } of servers) {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  const body = await res.text();
  if (res.status !== 200 || body !== 'hello\n') throw new Error(`${name} answered ${res.status} ${JSON.stringify(body)}`);
}

const UNITS = { us: 1, ms: 1e3, s: 1e6 };
const micros = (text) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  return m === null ? NaN : Number(m[1]) * UNITS[m[2]];
};

/** One wrk run: requests/s, latency percentiles, errors, CPU of server and wrk. */
async function measure(server) {
  let meter;
  let cpu;
  const timers = [];
  const { stdout } = await run(
    'wrk',
    ['-t1', '-c128', `-d${seconds}s`, '--latency', `http://127.0.0.1:${server.port}/`],
    (pid) => {
      // CPU over the middle of the run: wrk's own exit would take it out of /proc.
      timers.push(setTimeout(() => (meter = cpuMeter([server.pid, pid])), 300));
      timers.push(setTimeout(() => (cpu = meter?.stop()), seconds * 1000 - 300));
    },
  );
  timers.forEach(clearTimeout);
  const field = (re) => re.exec(stdout)?.[1];
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(field(/Non-2xx or 3xx responses: (\d+)/) ?? 0);
  if (non2xx > 0) throw new Error(`${server.name}: ${non2xx} non-2xx responses\n${stdout}`);
  return {
    rps: Number(field(/Requests\/sec:\s+([\d.]+)/)),
    p50: micros(field(/ 50%\s+(\S+)/)),
    p99: micros(field(/ 99%\s+(\S+)/)),
    socketErrors: errors === null ? 0 : errors.slice(1).reduce((a, b) => a + Number(b), 0),
    serverCpu: cpu?.pct[0] ?? NaN,
    wrkCpu: cpu?.pct[1] ?? NaN,
    othersCpu: cpu === undefined ? NaN : Math.max(0, cpu.machine - cpu.pct[0] - cpu.pct[1]),
  };
}

const samples = servers.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < servers.length; k++) {
    const i = (k + r) % servers.length;
    samples[i].push(await measure(servers[i]));
  }
}
const FIELDS = ['rps', 'p50', 'p99', 'socketErrors', 'serverCpu', 'wrkCpu', 'othersCpu'];
const results = Object.fromEntries(
  servers.map((srv, i) => {
    const m = Object.fromEntries(FIELDS.map((f) => [f, median(samples[i].map((x) => x[f]))]));
    const rates = samples[i].map((x) => x.rps);
    // Half the range of the rounds' requests/s, relative to the median: how noisy this was.
    m.spreadPct = (50 * (Math.max(...rates) - Math.min(...rates))) / m.rps;
    m.samples = samples[i];
    return [srv.name, m];
  }),
);
const ratio = (a, b) => results[a].rps / results[b].rps;
const targets = servers
  .filter((s) => s.name.startsWith('ours'))
  .flatMap(({ name: ours }) => [
    { pair: `${ours} / C epoll`, ratio: ratio(ours, 'C epoll'), goal: 0.75 },
    { pair: `${ours} / node:http`, ratio: ratio(ours, 'node:http'), goal: 1.5 },
  ])
  .map((t) => ({ ...t, verdict: t.ratio >= t.goal ? 'PASS' : 'MISS' }));

if (args.json) {
  console.log(JSON.stringify({ environment: environment(), rounds, seconds, results, targets }, null, 2));
} else {
  console.log(`${environment()}; wrk -t1 -c128 -d${seconds}s, ${rounds} round(s), medians\n`);
  const us = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(0)} us`);
  const pct = (v) => `${v.toFixed(0)}%`;
  printTable(
    ['server', 'requests/s', 'spread', 'p50', 'p99', 'socket errors', 'server CPU', 'wrk CPU', 'others CPU'],
    servers.map(({ name }) => {
      const m = results[name];
      return [name, formatRate(m.rps), `±${m.spreadPct.toFixed(0)}%`, us(m.p50), us(m.p99), String(m.socketErrors), pct(m.serverCpu), pct(m.wrkCpu), pct(m.othersCpu)];
    }),
  );
  console.log('\nratios (of medians) against the targets');
  printTable(['requests/s', 'value', 'target', ''], targets.map((t) => [t.pair, formatRatio(t.ratio), `>= ${t.goal}x`, t.verdict]));
}
for (const server of servers) server.stop();
