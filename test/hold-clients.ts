// Helpers for the many-connections tests: bench/native/hold-client.c, built once into a
// temporary directory and driven over its stdin/stdout, and the open fds of a process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NATIVE = fileURLToPath(new URL('../bench/native/', import.meta.url));

/** What `READY` reports: connections opened, each with its first echo checked. */
export interface Ready {
  connections: number;
  seconds: number;
  connect_errors: number;
  io_errors: number;
  early_closes: number;
}

/** What `CLOSED` reports: connections half-closed by the client, then by the server. */
export interface Closed {
  seconds: number;
  resets: number;
  unclosed: number;
  io_errors: number;
  early_closes: number;
}

/**
 * Compiles hold-client.c (with the headers it includes) with `cc -O2` into a directory
 * named after their content, unless it is there already; returns the binary's path.
 */
export function buildHoldClient(): string {
  const sources = ['hold-client.c', 'latency.h'].map((f) => readFileSync(join(NATIVE, f)));
  const hash = createHash('sha256');
  for (const s of sources) hash.update(s);
  const dir = join(tmpdir(), `simple-stream-hold-client-${hash.digest('hex').slice(0, 16)}`);
  const binary = join(dir, 'hold-client');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  // Built under a name of its own, then renamed: a parallel test never runs half a binary.
  const partial = `${binary}.${process.pid}`;
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', partial, join(NATIVE, 'hold-client.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc hold-client.c failed (${cc.error?.message ?? cc.status}): ${cc.stderr}`);
  spawnSync('mv', [partial, binary]);
  return binary;
}

/**
 * One hold-client process: COUNT connections to 127.0.0.1:port, held open until `close()`.
 * Every wait is bounded; `kill()` ends the process by its PID.
 */
export class HoldClient {
  readonly child: ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiters: Array<() => void> = [];
  #stderr = '';
  #exit: number | string | null = null;

  constructor(binary: string, port: number, count: number) {
    this.child = spawn(binary, ['127.0.0.1', String(port), String(count)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop()!;
      this.#lines.push(...lines);
      this.#wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    // 'close', not 'exit': after stdout is read to its end (a last report may still be in it).
    this.child.on('close', (code, signal) => {
      this.#exit = signal ?? code;
      this.#wake();
    });
  }

  /** Resolves with the READY report once every connection is open and has echoed once. */
  ready(timeoutMs: number): Promise<Ready> {
    return this.#report('READY', timeoutMs) as Promise<Ready>;
  }

  /** Tells the client to close every connection; resolves with its report once it exited 0. */
  async close(timeoutMs: number): Promise<Closed> {
    this.child.stdin!.end('close\n');
    const closed = (await this.#report('CLOSED', timeoutMs)) as Closed;
    await this.#until(() => this.#exit !== null, timeoutMs, 'exit');
    if (this.#exit !== 0) throw new Error(`hold-client exited with ${this.#exit}: ${this.#stderr}`);
    return closed;
  }

  /** Ends the process (SIGKILL) if it still runs. */
  kill(): void {
    if (this.#exit === null && this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  async #report(tag: string, timeoutMs: number): Promise<unknown> {
    let line: string | undefined;
    await this.#until(() => (line = this.#lines.find((l) => l.startsWith(`${tag} `))) !== undefined, timeoutMs, tag);
    return JSON.parse(line!.slice(tag.length + 1));
  }

  #until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`hold-client: no ${what} within ${timeoutMs} ms; stderr: ${this.#stderr}`));
      }, timeoutMs);
      const check = (): void => {
        if (timedOut) return;
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else if (this.#exit !== null) {
          clearTimeout(timer);
          reject(new Error(`hold-client exited (${this.#exit}) before ${what}: ${this.#stderr}`));
        } else this.#waiters.push(check);
      };
      check();
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** The number of fds process `pid` has open now. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The soft and hard open-file limits of process `pid`. */
export function fdLimits(pid: number): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line ?? '').split(/\s+/).slice(3, 5).map(Number);
  return { soft, hard };
}

/** Resolves once `condition()` holds, checking every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
