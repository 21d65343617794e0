// Rounds over several servers, as the echo and TLS benchmarks run them.
import { median } from './measure.mjs';

/**
 * Measures every server `rounds` times on one scenario, rotating their order each round so
 * drift in the machine's load hits all alike, and summarizes each server's samples: the
 * median of every field in `fields`, `spread_pct` (half the range of the rounds' msgs/s,
 * relative to the median: how noisy it was) and the raw `samples`.
 * @param {Array<{ name: string }>} servers
 * @param {(server: any) => Promise<Record<string, number>>} measureOne
 * @returns {Promise<Record<string, Record<string, any>>>} summaries by server name
 */
export async function rotatedRounds(servers, rounds, fields, measureOne) {
  const samples = servers.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < servers.length; k++) {
      const i = (k + r) % servers.length;
      samples[i].push(await measureOne(servers[i]));
    }
  }
  return Object.fromEntries(
    servers.map((srv, i) => {
      const m = Object.fromEntries(fields.map((f) => [f, median(samples[i].map((x) => x[f]))]));
      const rates = samples[i].map((x) => x.msgs_per_s);
      m.spread_pct = (50 * (Math.max(...rates) - Math.min(...rates))) / m.msgs_per_s;
      m.samples = samples[i];
      return [srv.name, m];
    }),
  );
}
