// The targets of the socket benchmarks (echo, tls, websocket, workers): ratios of this
// run's medians, each against the goal, and the table that reports them.
import { formatRatio, printTable } from './measure.mjs';

/**
 * One row of the targets: `ratio` (`pair`'s `what` in `scenario`) against `goal` under
 * `op`, '>=' or '<=', or '' for a ratio given for information. A ratio that could not be
 * taken (a server missing) is null, with verdict 'n/a'.
 */
export function verdict(scenario, what, pair, ratio, op, goal) {
  const known = Number.isFinite(ratio);
  const ok = op === '>=' ? ratio >= goal : op === '<=' ? ratio <= goal : null;
  return {
    scenario,
    what,
    pair,
    ratio: known ? ratio : null,
    target: op === '' ? null : `${op} ${goal}`,
    verdict: !known ? 'n/a' : ok === null ? 'info' : ok ? 'PASS' : 'MISS',
  };
}

/** Prints verdicts as the table that ends every socket benchmark's output. */
export function printVerdicts(verdicts) {
  console.log('\nratios (of medians) against the targets');
  printTable(
    ['scenario', 'measure', 'ratio', 'value', 'target', ''],
    verdicts.map((v) => [v.scenario, v.what, v.pair, v.ratio === null ? '-' : formatRatio(v.ratio), v.target === null ? '' : v.target.replace(/([\d.]+)$/, '$1x'), v.verdict === 'info' ? '' : v.verdict]),
  );
}
