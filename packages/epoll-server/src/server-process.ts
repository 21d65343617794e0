import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Stats } from './counters.js';
import type { ProcessCommand, ProcessReport, ProcessStart } from './process-messages.js';
import { withoutSourceCondition } from './exec-argv.js';

/** A server process's entry point: the built one, whether this module runs from src/ or dist/. */
const ENTRY = fileURLToPath(new URL('../dist/process-main.js', import.meta.url));
/** How long a process that was told to close may take past its drain time before SIGKILL. */
const EXIT_GRACE_MS = 2000;

/** How a server process ended. */
export interface ProcessEnd {
  /** Its exit code, or null if a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One server process of a group, from its spawn to its end: its start, the port it
 * reports, the stats requests it answers, and its close.
 */
export class ServerProcess {
  readonly index: number;
  /** Its process id. */
  readonly pid: number;
  /** Resolves with the bound address and port once it listens; rejects if it fails or ends first. */
  readonly listening: Promise<{ address: string; port: number }>;
  /** Resolves once the process has ended. */
  readonly exited: Promise<ProcessEnd>;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (stats: Stats | null) => void>();
  #nextRequest = 0;
  #wasListening = false;
  #ended = false;

  constructor(start: ProcessStart, onExit: (process: ServerProcess, end: ProcessEnd) => void) {
    this.index = start.index;
    // stdout and stderr are the supervisor's: what handlers print reaches the same place.
    // No setrlimit(2) needed: Node raises its soft open-file limit to the hard one as it
    // starts (PlatformInit in src/node.cc), so each process may hold that many sockets.
    const child = (this.#child = spawn(process.execPath, [...withoutSourceCondition(process.execArgv), ENTRY], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    }));
    if (child.pid === undefined) throw new Error(`server process ${start.index}: spawn failed`);
    this.pid = child.pid;
    let listening!: (at: { address: string; port: number }) => void;
    let failed!: (err: Error) => void;
    this.listening = new Promise((resolve, reject) => ((listening = resolve), (failed = reject)));
    // A group that stopped waiting (closing) must not see an unhandled rejection.
    this.listening.catch(() => undefined);
    let ended!: (end: ProcessEnd) => void;
    this.exited = new Promise((resolve) => (ended = resolve));
    let failure: string | null = null;
    child.on('message', (report: ProcessReport) => {
      if (report.type === 'listening') {
        this.#wasListening = true;
        listening({ address: report.address, port: report.port });
      } else if (report.type === 'failed') failure = report.message;
      else if (report.type === 'stats') {
        this.#pending.get(report.request)?.(report.stats);
        this.#pending.delete(report.request);
      }
    });
    // A spawn error is followed by 'close'; a send to a process that ended meanwhile
    // is dropped, as a command to an ended process is.
    child.on('error', (err) => (failure ??= err.message));
    // 'close', not 'exit': it comes after the IPC channel is read to its end (a 'failed' report).
    child.on('close', (code, signal) => {
      this.#ended = true;
      for (const answer of this.#pending.values()) answer(null);
      this.#pending.clear();
      failed(new Error(failure ?? `server process ${this.index} exited (${signal ?? `code ${code}`}) before listening`));
      ended({ code, signal });
      onExit(this, { code, signal });
    });
    this.#post({ type: 'start', start });
  }

  /** True once the process reported its server listening, even if it has ended since. */
  get wasListening(): boolean {
    return this.#wasListening;
  }

  /** True once the process has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The server's figures, or null if it is not running (not yet, or no more). */
  stats(): Promise<Stats | null> {
    if (this.#ended) return Promise.resolve(null);
    const request = ++this.#nextRequest;
    return new Promise((resolve) => {
      this.#pending.set(request, resolve);
      this.#post({ type: 'stats', request });
    });
  }

  /**
   * Closes the process's server (its connections drain for up to `timeoutMs`) and waits
   * for the process to end, killing it if it lingers past a grace period.
   */
  async close(timeoutMs: number): Promise<ProcessEnd> {
    this.#post({ type: 'close', timeoutMs });
    const timer = setTimeout(() => this.kill(), timeoutMs + EXIT_GRACE_MS);
    const end = await this.exited;
    clearTimeout(timer);
    return end;
  }

  /** Ends the process now (SIGKILL). */
  kill(): Promise<ProcessEnd> {
    if (!this.#ended) this.#child.kill('SIGKILL');
    return this.exited;
  }

  #post(command: ProcessCommand): void {
    if (this.#ended || !this.#child.connected) return;
    this.#child.send(command, undefined, undefined, () => undefined);
  }
}
