// Shared helpers for the benchmarks in bench/: timing with a budget, interleaved rounds,
// medians, and formatting of rates and tables. Plain ES module, no dependencies.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

/** Common command-line options: `--quick` (smoke run), `--json`, `--only=a,b` (name filter). */
export function parseArgs(argv = process.argv.slice(2)) {
  const only = argv.find((a) => a.startsWith('--only='));
  return {
    quick: argv.includes('--quick'),
    json: argv.includes('--json'),
    only: only ? only.slice(7).split(',').filter(Boolean) : null,
  };
}

/** The number given as `--NAME=N`, or `fallback` without one. */
export function numberArg(name, fallback, argv = process.argv.slice(2)) {
  const arg = argv.find((x) => x.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
}

/** Run counts and time budgets for a normal or a `--quick` run. */
export function settings(quick) {
  return quick ? { runs: 5, budgetMs: 40, warmupMs: 60 } : { runs: 7, budgetMs: 300, warmupMs: 400 };
}

/** The middle value (mean of the two middle ones for an even count). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Calls `run(setup())` until `budgetMs` of time has been spent inside `run` (at least
 * once). Only `run` is timed; `verify(result)` is called, untimed, after every call.
 * Returns the mean milliseconds per call.
 */
export function timeFor(budgetMs, { setup, run, verify }) {
  let ms = 0;
  let calls = 0;
  do {
    const state = setup === undefined ? undefined : setup();
    const t0 = performance.now();
    const result = run(state);
    ms += performance.now() - t0;
    calls++;
    if (verify !== undefined) verify(result);
  } while (ms < budgetMs);
  return ms / calls;
}

/**
 * Measures cases `{ name, setup?, run, verify? }` against each other: warms each up, then
 * `runs` rounds in which every case runs for `budgetMs`, the order rotating every round
 * so that noise hits all of them alike. Returns, per case, the median ms per call and all
 * samples.
 */
export function compare(cases, { runs, budgetMs, warmupMs }) {
  for (const c of cases) timeFor(warmupMs, c);
  const samples = cases.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length;
      samples[i].push(timeFor(budgetMs, cases[i]));
    }
  }
  return cases.map((c, i) => ({ name: c.name, ms: median(samples[i]), samples: samples[i] }));
}

/** `12.3 M/s` style: a count per second with a k/M/G prefix. */
export function formatRate(perSecond, unit = '/s') {
  const [div, prefix] = perSecond >= 1e9 ? [1e9, 'G'] : perSecond >= 1e6 ? [1e6, 'M'] : perSecond >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${(perSecond / div).toFixed(perSecond / div >= 100 ? 0 : perSecond / div >= 10 ? 1 : 2)} ${prefix}${unit}`;
}

/** Bytes per second as MB/s (1 MB = 10^6 bytes). */
export function formatMBps(bytesPerSecond) {
  const mb = bytesPerSecond / 1e6;
  return `${mb.toFixed(mb >= 100 ? 0 : 1)} MB/s`;
}

/** `2.41x`. */
export function formatRatio(ratio) {
  return `${ratio.toFixed(2)}x`;
}

/** Prints rows (arrays of strings) under `header`, left-aligning the first column only. */
export function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** One line describing where the numbers come from. */
export function environment() {
  const cpu = cpus();
  return `node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${process.platform}/${process.arch}`;
}

/** A small deterministic PRNG (mulberry32), so streams are the same in every run. */
export function prng(seed = 1) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
