#!/usr/bin/env node
// Past one process: 60,000 concurrent connections over P server processes, then one
// message per connection per second for a minute, every echo checked. For each server in
// turn (ours: beginProcesses, SO_REUSEPORT; net: the node:net echo under node:cluster),
// it reports the connections held, messages/s, latency, errors (must be 0), the server
// CPU, and memory per connection: the RSS of every server process, and what the kernel
// holds (socket buffers and slab objects are kernel memory, not any process's RSS).
//   node bench/connections.mjs [--quick] [--json] [--connections=N] [--seconds=S] [--processes=P]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environment, formatRate, formatRatio, parseArgs, printTable } from './lib/measure.mjs';
import { benchDir, buildNative, cpuMeter, sleep, startServer } from './lib/processes.mjs';

const args = parseArgs();
const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const connections = option('connections', args.quick ? 6000 : 60_000);
const seconds = option('seconds', args.quick ? 5 : 60);
const processes = option('processes', 4);
// One (source, destination, port) has ~28k ephemeral ports, and past half of them the
// kernel's search for a free one slows down a lot: at most 12,000 per source address
// (127.0.0.1, .2, …: all loopback) and per client process (each under its fd limit).
const PER_CLIENT = 12_000;
const clientCount = Math.ceil(connections / PER_CLIENT);
const SETTLE_MS = 2000;

const holdClient = buildNative('hold-client');
const node = process.execPath;
const peers = [
  { name: 'ours', script: 'peers/processes-echo.mjs', what: `beginProcesses, ${processes} processes (SO_REUSEPORT)` },
  { name: 'net', script: 'peers/cluster-echo.mjs', what: `node:net echo in ${processes} node:cluster workers` },
];

/** Hold-client processes, killed by PID however the benchmark ends. */
const clients = new Set();
process.on('exit', () => {
  for (const c of clients) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts a hold-client; `next(tag, ms)` resolves with the JSON of its next `tag` line. */
function startClient(port, count, source) {
  const child = spawn(holdClient, ['127.0.0.1', String(port), String(count), source], { stdio: ['pipe', 'pipe', 'pipe'] });
  clients.add(child);
  const lines = [];
  let waiting = null;
  let stderr = '';
  let out = '';
  let closed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
    const parts = out.split('\n');
    out = parts.pop();
    lines.push(...parts);
    waiting?.();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  // 'close', not 'exit': after stdout is read to its end (a last report may still be in it).
  child.on('close', () => {
    closed = true;
    clients.delete(child);
    waiting?.();
  });
  return {
    child,
    command: (line) => child.stdin.write(`${line}\n`),
    next(tag, ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`hold-client ${source}: no ${tag} within ${ms} ms: ${stderr}`)), ms);
        const check = () => {
          const i = lines.findIndex((l) => l.startsWith(`${tag} `));
          if (i >= 0) {
            clearTimeout(timer);
            waiting = null;
            resolve(JSON.parse(lines.splice(i, 1)[0].slice(tag.length + 1)));
          } else if (closed) {
            clearTimeout(timer);
            reject(new Error(`hold-client ${source} exited (${child.signalCode ?? child.exitCode}) before ${tag}: ${stderr}`));
          } else waiting = check;
        };
        check();
      });
    },
  };
}

/** The server processes: the peer's process and its children (server processes, workers). */
function serverPids(pid) {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...children];
}

const rssBytes = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const openFds = (pid) => readdirSync(`/proc/${pid}/fd`).length;

/** Kernel memory the sockets use: TCP buffers (sockstat, pages) and slab objects (meminfo). */
function kernelMemory() {
  const pages = Number(/TCP: .* mem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'))[1]);
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const slab = Number(/^Slab:\s+(\d+) kB/m.exec(meminfo)[1]) * 1024;
  return { tcpBuffers: pages * 4096, slab };
}

function memory(pids) {
  return { rss: pids.reduce((sum, pid) => sum + rssBytes(pid), 0), fds: pids.reduce((sum, pid) => sum + openFds(pid), 0), ...kernelMemory() };
}

/** One server: start, fill with connections, a minute of messages, close, stop. */
async function measure(peer) {
  const server = await startServer(peer.name, node, [join(benchDir, peer.script), String(processes)]);
  const pids = serverPids(server.pid);
  try {
    await sleep(SETTLE_MS);
    const base = memory(pids);
    const t0 = performance.now();
    const group = Array.from({ length: clientCount }, (_, i) => {
      const count = Math.floor(connections / clientCount) + (i < connections % clientCount ? 1 : 0);
      return startClient(server.port, count, `127.0.0.${i + 1}`);
    });
    const ready = await Promise.all(group.map((c) => c.next('READY', 300_000)));
    const openSeconds = (performance.now() - t0) / 1000;
    await sleep(SETTLE_MS);
    const held = memory(pids);

    const meter = cpuMeter(pids);
    for (const c of group) c.command(`run ${seconds}`);
    const done = await Promise.all(group.map((c) => c.next('DONE', (seconds + 60) * 1000)));
    const cpu = meter.stop();
    const after = memory(pids);

    for (const c of group) c.command('close');
    const closed = await Promise.all(group.map((c) => c.next('CLOSED', 60_000)));
    const fdsBack = await settle(() => memory(pids).fds <= base.fds, 20_000);
    const left = memory(pids).fds - base.fds;

    const sum = (list, key) => list.reduce((n, r) => n + r[key], 0);
    const echoed = sum(done, 'echoed');
    const errors = {
      connect: sum(ready, 'connect_errors'),
      io: sum(ready, 'io_errors') + sum(closed, 'io_errors'),
      early_closes: sum(closed, 'early_closes'),
      unanswered: sum(done, 'unanswered'),
      resets: sum(closed, 'resets'),
      unclosed: sum(closed, 'unclosed'),
      fds_left: fdsBack ? 0 : left,
    };
    const serverCpu = cpu.pct.reduce((a, b) => a + b, 0);
    const clientCpu = sum(done, 'cpu_pct');
    return {
      connections: sum(ready, 'connections'),
      open_s: openSeconds,
      sent: sum(done, 'sent'),
      echoed,
      msgs_per_s: sum(done, 'msgs_per_s'),
      over_1s: sum(done, 'over_1s'),
      drain_s: Math.max(...done.map((d) => d.drain_s)),
      behind_ms: Math.max(...done.map((d) => d.max_behind_us)) / 1000,
      lat_p50_us: Math.max(...done.map((d) => d.lat_p50_us)),
      lat_p99_us: Math.max(...done.map((d) => d.lat_p99_us)),
      server_cpu_pct: serverCpu,
      server_us_per_msg: (1e4 * serverCpu) / sum(done, 'msgs_per_s'),
      client_cpu_pct: clientCpu,
      others_cpu_pct: Math.max(0, cpu.machine - serverCpu - clientCpu),
      errors,
      error_count: Object.values(errors).reduce((a, b) => a + b, 0),
      memory: { base, held, after },
      rss_per_conn: (held.rss - base.rss) / connections,
      rss_per_conn_after: (after.rss - base.rss) / connections,
      tcp_buffers_per_conn: (after.tcpBuffers - base.tcpBuffers) / connections,
      slab_per_conn: (held.slab - base.slab) / connections,
      server_pids: pids.length,
    };
  } finally {
    await stopServer(server, pids);
  }
}

/** Resolves true once `condition()` holds (checked every 100 ms), false after `ms`. */
async function settle(condition, ms) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Kills the peer's first process; its server processes see their IPC channel close and
 * end on their own (ours close their servers first, cluster workers exit). Whatever is
 * left after 10 s is killed too.
 */
async function stopServer(server, pids) {
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  server.stop();
  await settle(() => pids.every((pid) => !alive(pid)), 10_000);
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
}

const results = {};
if (!args.json) {
  console.log(`${environment()}`);
  console.log(`${connections} connections over ${processes} server processes, from ${clientCount} hold-client processes (sources 127.0.0.1-${clientCount}); then ${seconds} s of 1 message (32 B) per connection per second, every echo checked`);
}
for (const peer of peers) {
  if (!args.json) console.log(`\n${peer.name}: ${peer.what} ...`);
  results[peer.name] = await measure(peer);
  if (!args.json) {
    const r = results[peer.name];
    console.log(`  ${r.connections} held (opened in ${r.open_s.toFixed(1)} s), ${r.echoed} echoes, errors ${r.error_count} ${JSON.stringify(r.errors)}`);
  }
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
if (args.json) {
  console.log(JSON.stringify({ environment: environment(), connections, seconds, processes, clients: clientCount, results }, null, 2));
} else {
  console.log('\nthroughput and errors (the run of 1 message per connection per second)');
  printTable(
    ['server', 'held', 'opened in', 'msgs/s', 'p50', 'p99', 'echoes > 1 s', 'server CPU', 'CPU/msg', 'clients CPU', 'others CPU', 'errors'],
    peers.map(({ name }) => {
      const r = results[name];
      return [name, String(r.connections), `${r.open_s.toFixed(1)} s`, formatRate(r.msgs_per_s), `${(r.lat_p50_us / 1000).toFixed(2)} ms`, `${(r.lat_p99_us / 1000).toFixed(2)} ms`, `${((100 * r.over_1s) / r.sent).toFixed(1)}%`, `${r.server_cpu_pct.toFixed(0)}%`, `${r.server_us_per_msg.toFixed(1)} us`, `${r.client_cpu_pct.toFixed(0)}%`, `${r.others_cpu_pct.toFixed(0)}%`, String(r.error_count)];
    }),
  );
  console.log('\nmemory: RSS of every server process (and the supervisor / cluster primary); kernel figures are machine-wide, both ends of each loopback connection');
  printTable(
    ['server', 'processes', 'RSS idle', 'RSS held', 'RSS after msgs', 'RSS/conn', 'RSS/conn after msgs', 'kernel slab/conn', 'TCP buffers/conn'],
    peers.map(({ name }) => {
      const r = results[name];
      const m = r.memory;
      return [name, String(r.server_pids), mib(m.base.rss), mib(m.held.rss), mib(m.after.rss), kb(r.rss_per_conn), kb(r.rss_per_conn_after), kb(r.slab_per_conn), kb(r.tcp_buffers_per_conn)];
    }),
  );
  const ours = results.ours;
  const net = results.net;
  console.log('\nratios');
  printTable(
    ['measure', 'net / ours', 'target', ''],
    [
      ['RSS per connection (held)', formatRatio(net.rss_per_conn / ours.rss_per_conn), '', ''],
      ['RSS per connection (after messages)', formatRatio(net.rss_per_conn_after / ours.rss_per_conn_after), '', ''],
      ['server CPU per message', formatRatio(net.server_us_per_msg / ours.server_us_per_msg), '', ''],
      ['errors, ours', String(ours.error_count), '0', ours.error_count === 0 && ours.connections === connections ? 'PASS' : 'MISS'],
      ['errors, net', String(net.error_count), '', ''],
    ],
  );
}
// Errors are results, but a server that lost messages or connections is a failed run.
process.exitCode = results.ours.error_count === 0 && results.ours.connections === connections ? 0 : 1;
