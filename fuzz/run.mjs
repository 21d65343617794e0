#!/usr/bin/env node
// The fuzz CLI: npm run fuzz -- <builder|all|path/to/module.mjs> [options]. Each builder
// runs in a worker thread under a watchdog (see worker.mjs); a failure is printed with its
// seed and shrunk input and saved to fuzz/crashes/. Exit 0: clean; 1: a failure (the
// expected outcome for `broken`); 2: usage error, or `broken` not caught.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { REAL_BUILDERS, loadBuilder, namedBuilders } from './builders.mjs';
import { fromHex, toHex } from './bytes.mjs';
import { checkInput } from './harness.mjs';
import { randomSeed } from './rng.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CRASHES = join(HERE, 'crashes');
const INPUT_CAPACITY = 4 << 20; // the largest input the watchdog can report after a hang

const USAGE = `usage: npm run fuzz -- <builder|all|path/to/module.mjs> [options]
  builders: ${Object.keys(namedBuilders).join(', ')}; all = ${REAL_BUILDERS.join(', ')}
  --seconds N       time budget per builder (default 10)
  --iterations N    stop after N inputs instead (or whichever comes first)
  --seed S          seed of the first input: a reported seed makes the failing input first
  --hang-seconds N  no finished input for N s means a hang: the run is stopped (default 10)
  --replay FILE     check one saved input (.bin, or hex in a .hex file) instead of fuzzing`;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string' },
    iterations: { type: 'string' },
    seed: { type: 'string' },
    'hang-seconds': { type: 'string', default: '10' },
    replay: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help || positionals.length !== 1) {
  console.log(USAGE);
  process.exit(opts.help ? 0 : 2);
}
const num = (/** @type {string | undefined} */ v, /** @type {string} */ name) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number, got ${v}`);
    process.exit(2);
  }
  return n;
};
const iterations = num(opts.iterations, 'iterations');
const seconds = num(opts.seconds, 'seconds') ?? (iterations === undefined ? 10 : undefined);
// Chosen here, not in the worker, so that even a run stopped by the watchdog can print it.
const seed = num(opts.seed, 'seed') ?? randomSeed();
const hangSeconds = /** @type {number} */ (num(opts['hang-seconds'], 'hang-seconds'));
const fmt = (/** @type {number} */ n) => Math.round(n).toLocaleString('en-US');

/**
 * Fuzzes one builder in a worker; resolves with its result, or a `no-hang` failure when
 * the worker stops finishing inputs.
 * @param {string} spec
 */
function fuzzInWorker(spec) {
  const shared = new SharedArrayBuffer(16 + INPUT_CAPACITY);
  const header = new Int32Array(shared, 0, 4);
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
    workerData: { spec, seconds, iterations, seed, hangMs: 1000, shared },
  });
  return new Promise((resolve, reject) => {
    let info = { name: spec, description: '', expectFailure: false };
    let last = { iterations: 0, inputs: 0, elapsedMs: 0 };
    let beat = -1;
    let lastBeatAt = performance.now();
    let lastPrint = 0;
    const watchdog = setInterval(() => {
      const now = performance.now();
      const b = Atomics.load(header, 0);
      if (b !== beat) {
        beat = b;
        lastBeatAt = now;
      } else if (now - lastBeatAt > hangSeconds * 1000) {
        clearInterval(watchdog);
        void worker.terminate();
        const length = header[2];
        const input = new Uint8Array(shared, 16, Math.min(length, INPUT_CAPACITY));
        const message = `no input finished for ${hangSeconds} s: a decode (or a FrameReader.push) never returned`;
        const failure = { property: 'no-hang', message, seed: header[1] >>> 0, inputHex: toHex(input), originalLength: length, reproducible: false };
        resolve({ ...info, result: { ...last, seed, kinds: null, failures: [failure] } });
      }
    }, 200);
    worker.on('message', (m) => {
      if (m.type === 'start') info = m;
      if (m.type === 'progress') {
        last = m;
        if (m.elapsedMs - lastPrint >= (process.stdout.isTTY ? 250 : 5000)) {
          lastPrint = m.elapsedMs;
          const line = `  ${info.name}: ${(m.elapsedMs / 1000).toFixed(1)} s, ${fmt(m.iterations)} iterations, ${fmt(m.inputs)} decodes`;
          process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
        }
      }
      if (m.type === 'result') {
        clearInterval(watchdog);
        if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
        resolve({ ...info, result: m.result });
      }
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      reject(err);
    });
  });
}

/** Saves a failing input to fuzz/crashes/: the bytes, and what failed, beside them. */
function saveCrash(/** @type {string} */ name, /** @type {any} */ failure) {
  mkdirSync(CRASHES, { recursive: true });
  const base = join(CRASHES, `${name.replace(/[^\w.-]/g, '_')}-${failure.property}-${failure.seed}`);
  writeFileSync(`${base}.bin`, fromHex(failure.inputHex));
  writeFileSync(`${base}.json`, `${JSON.stringify({ builder: name, ...failure }, null, 2)}\n`);
  return `${base}.bin`;
}

/** Prints one builder's summary; returns its exit code. */
function summarize(/** @type {string} */ spec, /** @type {any} */ run) {
  const r = run.result;
  const s = Math.max(r.elapsedMs, 1) / 1000;
  const kinds = r.kinds ? ` (${fmt(r.kinds.valid)} valid, ${fmt(r.kinds.mutated)} mutated, ${fmt(r.kinds.random)} random, ${fmt(r.kinds.long)} long)` : '';
  console.log(`${run.name} — ${run.description}`);
  console.log(`  ${fmt(r.iterations)} iterations in ${s.toFixed(1)} s: ${fmt(r.iterations / s)} inputs/s${kinds}; ${fmt(r.inputs)} decode calls (${fmt(r.inputs / s)}/s); seed ${r.seed}`);
  const f = r.failures[0];
  if (f === undefined) {
    console.log(run.expectFailure ? '  NOT CAUGHT: this builder is broken on purpose, and the harness found nothing' : '  clean: no property failed');
    return run.expectFailure ? 2 : 0;
  }
  console.log(`  FAILED [${f.property}] ${f.message}`);
  console.log(`  seed ${f.seed} (run again: npm run fuzz -- ${spec} --seed ${f.seed} --iterations 1)`);
  const shrunk = f.inputHex.length / 2 < f.originalLength ? `, shrunk from ${f.originalLength}` : '';
  console.log(`  input (${f.inputHex.length / 2} bytes${shrunk}): ${f.inputHex.length > 400 ? `${f.inputHex.slice(0, 400)}…` : f.inputHex || '(empty)'}`);
  if (!f.reproducible && f.property !== 'no-hang') console.log('  note: this input passes when checked on its own: the failure depends on earlier calls (a stateful builder?)');
  console.log(`  saved ${saveCrash(run.name, f)}`);
  if (run.expectFailure) console.log('  caught, as expected: this builder is broken on purpose (exit code 1)');
  return 1;
}

/** --replay: checks one saved input, with the seed saved beside it when there is one. */
async function replay(/** @type {string} */ spec, /** @type {string} */ file) {
  const target = await loadBuilder(spec);
  const bytes = file.endsWith('.hex') ? fromHex(readFileSync(file, 'utf8')) : new Uint8Array(readFileSync(file));
  const saved = file.replace(/\.(bin|hex)$/, '.json');
  const inputSeed = opts.seed !== undefined ? seed : (existsSync(saved) ? JSON.parse(readFileSync(saved, 'utf8')).seed : 0);
  const failure = checkInput(target.builder, bytes, { seed: inputSeed });
  console.log(`${target.name}: ${bytes.length} bytes from ${file}, seed ${inputSeed}`);
  console.log(failure === null ? '  passes every property' : `  FAILED [${failure.property}] ${failure.message}`);
  return failure === null ? 0 : 1;
}

const spec = positionals[0];
if (opts.replay !== undefined) process.exit(await replay(spec, opts.replay));
const specs = spec === 'all' ? REAL_BUILDERS : [spec];
console.log(`fuzzing ${specs.join(', ')}: ${seconds !== undefined ? `${seconds} s` : ''}${seconds !== undefined && iterations !== undefined ? ' or ' : ''}${iterations !== undefined ? `${iterations} iterations` : ''} each, seed ${seed}`);
let exitCode = 0;
for (const s of specs) {
  let run;
  try {
    run = await fuzzInWorker(s);
  } catch (err) {
    console.error(`${s}: could not fuzz: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  exitCode = Math.max(exitCode, summarize(s, run));
}
if (specs.length > 1) console.log(exitCode === 0 ? `all ${specs.length} builders clean` : 'some builders failed');
process.exit(exitCode);
