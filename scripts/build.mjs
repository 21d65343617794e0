#!/usr/bin/env node
// Builds every workspace: TypeScript (tsc -b) and, for packages that have one, the
// native addon (node-gyp against the headers of the node binary that runs this script,
// because node-gyp cannot download headers on machines without network).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${cmd} ${args.join(' ')} failed in ${cwd}`);
    process.exit(r.status ?? 1);
  }
}

const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nodedir = resolve(dirname(process.execPath), '..');
for (const ws of workspaces) {
  const dir = join(root, ws);
  if (!existsSync(join(dir, 'binding.gyp'))) continue;
  run(process.execPath, [bin('node-gyp', 'bin/node-gyp.js'), 'rebuild', `--nodedir=${nodedir}`, '--jobs=max'], dir);
}
run(process.execPath, [bin('typescript', 'bin/tsc'), '-b'], root);
