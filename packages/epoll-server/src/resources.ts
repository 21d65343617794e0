import { readFileSync } from 'node:fs';

/** Time a CPU (or all of them) spent, in clock ticks since boot, from /proc/stat. */
export interface CpuTime {
  /** `cpuN`'s N; -1 for the line that sums every CPU. */
  readonly core: number;
  /** Every state but idle and iowait. */
  readonly busy: number;
  /** All states (guest time is already inside user and nice, so it is not added again). */
  readonly total: number;
}

/** One reading of /proc/stat: the sum over CPUs, then each CPU in the order listed. */
export interface CpuTimes {
  readonly overall: CpuTime;
  readonly cores: readonly CpuTime[];
}

/** How busy the CPUs were between two readings, as fractions of their capacity in [0, 1]. */
export interface CpuUsage {
  /** All CPUs together. */
  readonly overall: number;
  /** Each CPU, by its number. */
  readonly perCore: ReadonlyArray<{ readonly core: number; readonly using: number }>;
}

/** RAM as /proc/meminfo tells it, in bytes. */
export interface Memory {
  /** In use: MemTotal - MemAvailable (what could not be had without swapping). */
  readonly bytesUsed: number;
  /** MemAvailable: what new work could still get (free memory plus reclaimable cache). */
  readonly bytesAvailable: number;
}

/**
 * Parses /proc/stat's `cpu` lines: `cpu  user nice system idle iowait irq softirq steal
 * guest guest_nice`, in clock ticks; kernels before 2.6.33 list fewer columns.
 */
export function parseCpuTimes(text: string): CpuTimes {
  let overall: CpuTime | null = null;
  const cores: CpuTime[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const fields = line.trim().split(/\s+/);
    const label = fields[0];
    const core = label === 'cpu' ? -1 : Number(label.slice(3));
    if (!Number.isInteger(core)) continue;
    const ticks = fields.slice(1, 9).map(Number);
    if (ticks.length < 4 || ticks.some((t) => !Number.isFinite(t))) throw new Error(`/proc/stat: malformed line "${line}"`);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = ticks[3] + (ticks[4] ?? 0);
    const time = { core, busy: total - idle, total };
    if (core < 0) overall = time;
    else cores.push(time);
  }
  if (overall === null) throw new Error('/proc/stat: no "cpu" line');
  return { overall, cores };
}

/**
 * CPU use between `before` and `after`: busy ticks over all ticks of each CPU. A window
 * shorter than a clock tick (10 ms) has no ticks: it reads as 0. A CPU missing from
 * `before` (brought online meanwhile) counts from zero.
 */
export function cpuUsage(before: CpuTimes, after: CpuTimes): CpuUsage {
  const earlier = new Map(before.cores.map((c) => [c.core, c]));
  return {
    overall: usage(before.overall, after.overall),
    perCore: after.cores.map((c) => ({ core: c.core, using: usage(earlier.get(c.core) ?? { core: c.core, busy: 0, total: 0 }, c) })),
  };
}

function usage(before: CpuTime, after: CpuTime): number {
  const total = after.total - before.total;
  if (!(total > 0)) return 0;
  return Math.min(1, Math.max(0, (after.busy - before.busy) / total));
}

/** Parses /proc/meminfo (values in kB). */
export function parseMemory(text: string): Memory {
  const kb = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (match === null) throw new Error(`/proc/meminfo: no ${name}`);
    return Number(match[1]) * 1024;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return { bytesUsed: total - available, bytesAvailable: available };
}

/** Reads /proc/stat now (a few hundred bytes: cheap enough to do per stats request). */
export function readCpuTimes(): CpuTimes {
  return parseCpuTimes(readFileSync('/proc/stat', 'latin1'));
}

/** Reads /proc/meminfo now. */
export function readMemory(): Memory {
  return parseMemory(readFileSync('/proc/meminfo', 'latin1'));
}
