#!/usr/bin/env node
// TLS echo servers under a native, pipelined, byte-checking TLS load generator
// (native/tls-loadgen.c, OpenSSL): ours (@simple-stream/epoll-server + Secure with the fd
// fast path), ours without it (Secure over FdTransport), an idiomatic node:tls echo and the
// same with cork(), each in its own process, interleaved round by round. Scenarios
// (i)-(iii) of echo.mjs over TLS, plus handshakes/s (connect, full handshake, one echo,
// close). Prints medians, ratios and the targets.
//   node bench/tls.mjs [--quick] [--json] [--only=latency,pipelined,large,handshake]
//                      [--tls12] [--rsa] [--nodelay] [--rounds=N] [--seconds=S] [--also=DIR]
// --nodelay: every server sets TCP_NODELAY on its connections (default: as users write them).
import { join } from 'node:path';
import { environment, formatMBps, formatRate, numberArg, parseArgs, printTable } from './lib/measure.mjs';
import { rotatedRounds } from './lib/rounds.mjs';
import { alsoArg, benchDir, measureServer, run, startServer } from './lib/processes.mjs';
import { printVerdicts, verdict } from './lib/targets.mjs';
import { buildTlsLoadgen, makeCert } from './lib/tls.mjs';

const args = parseArgs();
const argv = process.argv.slice(2);
const rounds = numberArg('rounds', args.quick ? 1 : 3);
const seconds = numberArg('seconds', args.quick ? 0.5 : 2);
const warmup = args.quick ? 0.2 : 0.5;
const tlsVersion = argv.includes('--tls12') ? '1.2' : '1.3';
const cert = makeCert(argv.includes('--rsa') ? 'rsa' : 'ec');
const nd = argv.includes('--nodelay') ? ['--nodelay'] : [];

const scenarios = [
  { name: 'latency', label: '(i) 1 connection, 1 in flight, 32 B', conns: 1, inflight: 1, size: 32 },
  { name: 'pipelined', label: '(ii) 64 connections, 16 in flight each, 32 B', conns: 64, inflight: 16, size: 32 },
  { name: 'large', label: '(iii) 8 connections, 4 in flight each, 16 KiB', conns: 8, inflight: 4, size: 16384 },
  { name: 'handshake', label: '(iv) handshakes: 16 concurrent clients, each connect + full handshake + one 32 B echo + close', conns: 16, size: 32, hs: true },
].filter((s) => args.only === null || args.only.some((w) => s.name.includes(w.toLowerCase())));

const loadgen = buildTlsLoadgen();
const node = process.execPath;
const peer = (file) => join(benchDir, 'peers', file);
const servers = await Promise.all([
  startServer('ours', node, [peer('ours-tls-echo.mjs'), cert.cert, cert.key, ...nd]),
  startServer('ours (no fd)', node, [peer('ours-tls-echo.mjs'), cert.cert, cert.key, '--no-fd', ...nd]),
  startServer('ours (batch arena)', node, [peer('ours-tls-echo.mjs'), cert.cert, cert.key, '--batch-arena', ...nd]),
  startServer('tls', node, [peer('node-tls-echo.mjs'), cert.cert, cert.key, ...nd]),
  startServer('tls+cork', node, [peer('node-tls-echo.mjs'), cert.cert, cert.key, '--cork', ...nd]),
  ...(alsoArg() === null ? [] : [startServer('ours@also', node, [peer('ours-tls-echo.mjs'), cert.cert, cert.key, ...nd, alsoArg()])]),
]);

/** One loadgen run against one server: the loadgen's JSON plus CPU use of everyone. */
function measure(server, s) {
  const common = ['127.0.0.1', server.port, s.conns];
  const lgArgs = s.hs ? ['hs', ...common, s.size, seconds, warmup, tlsVersion] : ['echo', ...common, s.inflight, s.size, seconds, warmup, tlsVersion];
  return measureServer(server, warmup, async () => JSON.parse((await run(loadgen, lgArgs.map(String))).stdout));
}

const FIELDS = ['msgs_per_s', 'bytes_per_s', 'lat_p50_us', 'lat_p99_us', 'lat_mean_us', 'server_cpu_pct', 'server_us_per_msg', 'cpu_pct', 'others_cpu_pct'];
const results = {};
if (!args.json) {
  console.log(`${environment()}; TLS ${tlsVersion} (${tlsVersion === '1.3' ? 'TLS_AES_128_GCM_SHA256' : 'ECDHE-*-AES128-GCM-SHA256'}), ${cert.type} certificate${nd.length ? ', TCP_NODELAY on all servers' : ''}; ${rounds} round(s) of ${seconds} s after ${warmup} s warm-up, medians`);
}
for (const s of scenarios) {
  results[s.name] = await rotatedRounds(servers, rounds, FIELDS, (server) => measure(server, s));
  if (args.json) continue;
  console.log(`\n${s.label}`);
  const us = (v) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(1)} us`);
  const pct = (v) => `${v.toFixed(0)}%`;
  printTable(
    ['server', s.hs ? 'handshakes/s' : 'msgs/s', 'spread', 'payload', 'p50', 'p99', 'server CPU', s.hs ? 'CPU/hs' : 'CPU/msg', 'loadgen CPU', 'others CPU'],
    servers.map(({ name }) => {
      const m = results[s.name][name];
      const perMsg = `${m.server_us_per_msg.toFixed(m.server_us_per_msg >= 10 ? 1 : 2)} us`;
      return [name, formatRate(m.msgs_per_s), `±${m.spread_pct.toFixed(0)}%`, s.hs ? '' : formatMBps(m.bytes_per_s), us(m.lat_p50_us), us(m.lat_p99_us), pct(m.server_cpu_pct), perMsg, pct(m.cpu_pct), pct(m.others_cpu_pct)];
    }),
  );
}

// The targets, on the medians of this run.
const get = (scenario, server, field) => results[scenario]?.[server]?.[field];
const targets = servers
  .filter((srv) => srv.name.startsWith('ours'))
  .flatMap(({ name: ours }) => [
    ['pipelined', 'msgs/s', `${ours} / tls+cork`, get('pipelined', ours, 'msgs_per_s') / get('pipelined', 'tls+cork', 'msgs_per_s'), '>=', 1.5],
    ['pipelined', 'msgs/s', `${ours} / tls`, get('pipelined', ours, 'msgs_per_s') / get('pipelined', 'tls', 'msgs_per_s'), '', 0],
    ['large', 'bytes/s', `${ours} / tls`, get('large', ours, 'bytes_per_s') / get('large', 'tls', 'bytes_per_s'), '>=', 1.8],
    ['large', 'bytes/s', `${ours} / tls+cork`, get('large', ours, 'bytes_per_s') / get('large', 'tls+cork', 'bytes_per_s'), '', 0],
    ['handshake', 'handshakes/s', `${ours} / tls`, get('handshake', ours, 'msgs_per_s') / get('handshake', 'tls', 'msgs_per_s'), '>=', 1.5],
    ['latency', 'p50 latency', `${ours} / tls`, get('latency', ours, 'lat_p50_us') / get('latency', 'tls', 'lat_p50_us'), '', 0],
  ])
  .filter(([scenario]) => results[scenario] !== undefined);
const verdicts = targets.map((t) => verdict(...t));
if (args.json) {
  console.log(JSON.stringify({ environment: environment(), tls: tlsVersion, certificate: cert.type, rounds, seconds, results, targets: verdicts }, null, 2));
} else {
  printVerdicts(verdicts);
}
for (const server of servers) server.stop();
cert.remove();
// Missed targets are results, not failures of the benchmark: the exit status stays 0.
