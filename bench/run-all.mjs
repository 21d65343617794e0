#!/usr/bin/env node
// Runs every benchmark bench/*.mjs (except this file) in its own node process, one after
// the other, forwarding the arguments (--quick, --json, ...). Exits non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== self)
  .sort();

const failed = [];
for (const file of benches) {
  if (!args.includes('--json')) console.log(`\n=== ${file} ${args.join(' ')}`.trimEnd());
  const r = spawnSync(process.execPath, [join(here, file), ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(`${file} (${r.signal ?? `exit ${r.status}`})`);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
