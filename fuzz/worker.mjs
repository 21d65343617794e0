// Runs one builder's fuzz in a worker thread, so that the CLI's main thread stays free to
// notice a decode that never returns (an infinite loop cannot be timed from inside) and
// to terminate it. Before each input is checked it is copied into shared memory, so the
// main thread can still report the input that hung.
import { parentPort, workerData } from 'node:worker_threads';
import { loadBuilder } from './builders.mjs';
import { fuzzBuilder } from './harness.mjs';

const { spec, seconds, iterations, seed, hangMs, shared } = workerData;
// Layout of `shared`: i32 [beat, seed, input length, unused], then the input bytes.
const header = new Int32Array(shared, 0, 4);
const inputArea = new Uint8Array(shared, 16);

const target = await loadBuilder(spec);
parentPort?.postMessage({ type: 'start', name: target.name, description: target.description, expectFailure: target.expectFailure });
const result = fuzzBuilder(target.builder, {
  seconds,
  iterations,
  seed,
  hangMs,
  frameFor: target.frameFor,
  peer: target.peer,
  onProgress: (p) => parentPort?.postMessage({ type: 'progress', ...p }),
  onInput(bytes, inputSeed) {
    const n = Math.min(bytes.length, inputArea.length);
    inputArea.set(n === bytes.length ? bytes : bytes.subarray(0, n));
    header[1] = inputSeed | 0;
    header[2] = bytes.length;
    Atomics.add(header, 0, 1);
  },
});
parentPort?.postMessage({ type: 'result', result });
