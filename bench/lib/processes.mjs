// Child processes for the socket benchmarks (echo, http, tls, websocket): building the C
// tools in bench/native, starting servers that print "PORT <n>", running a client to its
// end, and sampling a process's CPU time from /proc. Every child started here is killed
// by its PID when the benchmark exits, however it exits.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(benchDir, 'native');
const buildDir = join(nativeDir, 'build');

const children = new Set();
function killChildren() {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** True if `command` is on the PATH. */
export function haveCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Compiles bench/native/NAME.c with `cc -O2` into bench/native/build/NAME, unless the
 * binary is newer than its source and every header in bench/native. `extra` goes after
 * the source on the command line (libraries, include paths). Returns its path; exits with
 * a clear message without cc, or when cc fails (`needs`: what the build needs, said then).
 */
export function buildNative(name, extra = [], needs = '') {
  const source = join(nativeDir, `${name}.c`);
  const binary = join(buildDir, name);
  const headers = readdirSync(nativeDir).filter((f) => f.endsWith('.h'));
  const sources = [source, ...headers.map((h) => join(nativeDir, h))];
  const fresh = existsSync(binary) && sources.every((s) => statSync(s).mtimeMs < statSync(binary).mtimeMs);
  if (fresh) return binary;
  if (!haveCommand('cc')) {
    console.error('bench: no C compiler (`cc`) on the PATH: the load generator and the C peers need one (Debian: apt-get install -y gcc).');
    process.exit(1);
  }
  mkdirSync(buildDir, { recursive: true });
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', binary, source, ...extra], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: cc -O2 ${source} failed${needs === '' ? '' : ` (needs ${needs})`}`);
    process.exit(1);
  }
  return binary;
}

/**
 * Starts a server process that prints "PORT <n>" on stdout once it listens.
 * Resolves with { name, pid, port, stop() }.
 */
export function startServer(name, command, args = []) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${name}: no PORT line within 10 s`)), 10_000);
    function fail(err) {
      clearTimeout(timer);
      stop();
      reject(err);
    }
    function stop() {
      if (children.delete(child)) child.kill('SIGKILL');
    }
    child.on('exit', (code, signal) => fail(new Error(`${name} exited (${signal ?? code}) before listening`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /PORT (\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.on('exit', (code, signal) => {
        if (children.delete(child)) console.error(`bench: ${name} died (${signal ?? code})`);
      });
      resolve({ name, pid: child.pid, port: Number(m[1]), stop });
    });
  });
}

/**
 * Runs `command` to its end; resolves with { stdout, stderr, pid } and rejects on a non-zero
 * exit. `onStart(pid)` is called once it runs (to sample its CPU while it works).
 */
export function run(command, args, onStart) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  onStart?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (code === 0) resolve({ stdout, stderr, pid: child.pid });
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr}${stdout}`));
    });
  });
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system, all threads) used so far by process `pid`, or NaN. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return NaN;
  }
}

/** CPU seconds the whole machine has spent busy (all cores, from /proc/stat). */
function machineBusySeconds() {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq] = ticks; // not idle, iowait, steal
  return (user + nice + system + irq + softirq) / TICKS_PER_SECOND;
}

/**
 * Starts measuring CPU use; `stop()` returns, in % of one core over the window, the use of
 * each of `pids` (`pct`) and of the whole machine (`machine`: all processes and the
 * kernel, 200% = both cores of a 2-core machine busy). A client that exits before stop()
 * is gone from /proc: take its CPU from its own report and subtract it from `machine`.
 */
export function cpuMeter(pids) {
  const cpu0 = pids.map(cpuSeconds);
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  return {
    stop() {
      const seconds = (performance.now() - t0) / 1000;
      const pct = pids.map((pid, i) => (100 * (cpuSeconds(pid) - cpu0[i])) / seconds);
      return { pct, machine: (100 * (machineBusySeconds() - busy0)) / seconds };
    },
  };
}

/**
 * One client run against one server: `client()` runs the load and resolves with the
 * client's report (its JSON), to which this adds the CPU use of everyone over the measured
 * window (from `warmup` seconds on): `server_cpu_pct`, `others_cpu_pct`, and under
 * `perUnit` the server's CPU time per unit of the report's `msgs_per_s` (what a message
 * costs it, whatever share of the CPUs it got).
 */
export async function measureServer(server, warmup, client, perUnit = 'server_us_per_msg') {
  let meter;
  const timer = setTimeout(() => (meter = cpuMeter([server.pid])), warmup * 1000);
  const result = await client();
  clearTimeout(timer);
  const cpu = meter?.stop();
  result.server_cpu_pct = cpu?.pct[0] ?? NaN;
  result.others_cpu_pct = cpu === undefined ? NaN : Math.max(0, cpu.machine - cpu.pct[0] - result.cpu_pct);
  result[perUnit] = (1e4 * result.server_cpu_pct) / result.msgs_per_s;
  return result;
}

/** The value of `--also=DIR` (another checkout whose server joins as "ours@also"), or null. */
export function alsoArg(argv = process.argv.slice(2)) {
  const arg = argv.find((a) => a.startsWith('--also='));
  return arg === undefined ? null : arg.slice('--also='.length);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
