// Shared machinery of the worker pool tests: a pool running test/workers-handler.mjs, the
// removals its workers report over a BroadcastChannel, and node:net Simple-frame clients.
// Workers run the built dist/ (plain Node cannot run the TypeScript sources), so the tests
// first check that dist/ is not older than src/.
import { readdirSync, statSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import { begin, type Config, type WorkerExit, type WorkerPool } from '../src/index.js';
import { FrameClient, Signal, str, text } from './helpers.js';

const packageDir = new URL('..', import.meta.url);
export const handlerModule = new URL('./workers-handler.mjs', import.meta.url);

/** Throws unless every src/*.ts has its dist/*.js built after it. */
export function assertBuilt(): void {
  const src = new URL('src/', packageDir);
  const stale = readdirSync(src)
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => {
      const built = new URL(`dist/${f.replace(/\.ts$/, '.js')}`, packageDir);
      try {
        return statSync(built).mtimeMs < statSync(new URL(f, src)).mtimeMs;
      } catch {
        return true;
      }
    });
  if (stale.length > 0) throw new Error(`dist/ is older than src/ (${stale.join(', ')}): workers run dist/, build it first (npx tsc -b)`);
}

/** A removal as a worker's handler reported it. */
export interface Removal {
  worker: number;
  fd: number;
  code: string | null;
  message: string | null;
}

let channels = 0;

/** A pool of the test handler, with what its workers report. */
export class TestPool {
  readonly pool: WorkerPool;
  readonly removals: Removal[] = [];
  readonly exits: WorkerExit[] = [];
  readonly signal = new Signal();
  readonly #channel: BroadcastChannel;

  private constructor(pool: WorkerPool, channel: BroadcastChannel) {
    this.pool = pool;
    this.#channel = channel;
    channel.onmessage = (event) => {
      this.removals.push((event as { data: Removal }).data);
      this.signal.notify();
    };
    pool.on('workerExit', (exit: WorkerExit) => {
      this.exits.push(exit);
      this.signal.notify();
    });
  }

  static async start(threads: number, config: Config = {}): Promise<TestPool> {
    const name = `workers-test-${process.pid}-${++channels}`;
    const channel = new BroadcastChannel(name);
    try {
      const pool = await begin(handlerModule, { addr: '127.0.0.1', port: 0, maxThreads: threads, ...config, workerData: { channel: name } });
      return new TestPool(pool, channel);
    } catch (err) {
      channel.close();
      throw err;
    }
  }

  get port(): number {
    return this.pool.port;
  }

  /** Resolves once `count` removals have been reported in all. */
  async removed(count: number): Promise<Removal[]> {
    await this.signal.until(() => this.removals.length >= count, () => `${count} removals (have ${this.removals.length})`);
    return this.removals;
  }

  async close(): Promise<void> {
    try {
      await this.pool.close({ timeoutMs: 2000 });
    } finally {
      this.#channel.close();
    }
  }
}

/** Where a client's connection lives, as the `w` command answers. */
export interface Placement {
  worker: number;
  id: number;
  fd: number;
}

/** Asks which worker holds `client`'s connection. */
export async function placementOf(client: FrameClient): Promise<Placement> {
  const [worker, id, fd] = str(await client.roundTrip(text('w'))).slice(1).split(' ').map(Number);
  return { worker, id, fd };
}

/** How many of `placements` each of `threads` workers holds. */
export function perWorker(placements: Placement[], threads: number): number[] {
  const counts = new Array<number>(threads).fill(0);
  for (const p of placements) counts[p.worker]++;
  return counts;
}
