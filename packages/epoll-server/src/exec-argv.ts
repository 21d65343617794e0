/** The export condition under which this repository's tests load TypeScript sources. */
const SOURCE_CONDITION = '@simple-stream/source';

/**
 * `argv` (Node options, as `process.execArgv`) less the condition that makes this
 * repository's tests load TypeScript sources. Worker threads and server processes run
 * the built dist/ (the handler module's imports too), which that condition would bypass.
 */
export function withoutSourceCondition(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === '--conditions' || arg === '-C') && argv[i + 1] === SOURCE_CONDITION) i++;
    else if (arg !== `--conditions=${SOURCE_CONDITION}` && arg !== `-C=${SOURCE_CONDITION}`) kept.push(arg);
  }
  return kept;
}
