import type { Stats } from './counters.js';
import type { CpuUsage, Memory } from './resources.js';

/**
 * The JSON document that answers hydrogen's stats request, with hydrogen's field names.
 * Counts are since the server started; CPU figures are fractions in [0, 1] of the
 * capacity used over the seconds the request asked for.
 */
export interface StatsReport {
  /** Seconds since the server started (millisecond precision). */
  up_time: number;
  /** Bytes read from connections' sockets. */
  bytes_recv: number;
  /** Bytes written to connections' sockets. */
  bytes_sent: number;
  /** Frames received (stats requests included). */
  msg_recv: number;
  /** Frames sent (earlier stats answers included; not this one, sent after counting). */
  msg_sent: number;
  /** Connections open now. */
  num_clients: number;
  resources: {
    ram: {
      /** MemTotal - MemAvailable, in bytes. */
      bytes_used: number;
      /** MemAvailable, in bytes. */
      bytes_available: number;
    };
    /** All CPUs together over the window, in [0, 1]. */
    cpu_overall: number;
    /** Each CPU over the window, in [0, 1]. */
    cpu_per_core: Array<{ core: number; using: number }>;
  };
}

/** The answer for the server figures `stats`, `upTimeMs` after its start, and the machine's. */
export function statsReport(stats: Stats, upTimeMs: number, cpu: CpuUsage, memory: Memory): StatsReport {
  return {
    up_time: Math.round(upTimeMs) / 1000,
    bytes_recv: stats.bytesReceived,
    bytes_sent: stats.bytesSent,
    msg_recv: stats.messagesReceived,
    msg_sent: stats.messagesSent,
    num_clients: stats.connections,
    resources: {
      ram: { bytes_used: memory.bytesUsed, bytes_available: memory.bytesAvailable },
      cpu_overall: fraction(cpu.overall),
      cpu_per_core: cpu.perCore.map((c) => ({ core: c.core, using: fraction(c.using) })),
    },
  };
}

/** Four decimals: clock ticks are 10 ms, so more digits would only be noise. */
function fraction(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
