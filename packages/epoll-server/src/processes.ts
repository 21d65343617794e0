import { EventEmitter } from 'node:events';
import type { Config } from './config.js';
import type { Stats } from './counters.js';
import { handlerModuleUrl } from './handler-module.js';
import { MAX_PROCESSES } from './process-messages.js';
import { ServerProcess, type ProcessEnd } from './server-process.js';

/** A process group's config: the server's, plus how many processes run it. */
export interface ProcessesConfig extends Config {
  /** Server processes, 1 to 64. Each runs `maxThreads` threads (default 1). */
  processes: number;
  /**
   * Replace a server process that dies after it started listening (default false: the
   * others go on serving the port, and the `exit` event reports it).
   */
  restart?: boolean;
}

/** A server process that ended while the group was running, as the `exit` event reports it. */
export interface ProcessExit extends ProcessEnd {
  /** Its index in the group. */
  index: number;
  pid: number;
  /** True when a new process took its index (`config.restart`). */
  replaced: boolean;
}

const ZERO: Stats = { connections: 0, accepted: 0, removed: 0, messagesReceived: 0, messagesSent: 0, bytesReceived: 0, bytesSent: 0 };

/**
 * Several server processes on one port: what serves more connections than one process
 * may hold open files (each process has its own limit), and uses more cores without
 * sharing a heap. Every process runs the handler module with its own listening socket,
 * SO_REUSEPORT on each, so the kernel deals each new connection to one of them by a hash
 * of its addresses and ports: evenly over many clients, not in turn (a handful of
 * connections may well land unevenly). A connection stays in the process that accepted
 * it for its whole life.
 *
 * This process only supervises: it starts the servers and sums their figures; their
 * stdout and stderr are this process's. Each server process may hold as many fds as the
 * hard open-file limit allows (Node raises its soft limit to the hard one as it starts).
 * `publish` and `send` reach the connections of the process they are called in (and its
 * worker threads), not the other processes'.
 *
 * A process that ends while the group runs is reported by the `exit` event; the
 * connections it held are gone with it (and those still in its accept queue are reset by
 * the kernel), and with `config.restart` a new process takes its index and serves the
 * port again. SIGTERM to one server process closes its server gently first (its
 * connections drain as in `close()`): with `restart`, a way to renew one process at a
 * time. SIGINT is left to the supervisor, which a terminal's Ctrl-C reaches too. A
 * server process whose supervisor dies closes its server and ends.
 */
export class ProcessGroup extends EventEmitter {
  /** Server processes the group was started with. */
  readonly processes: number;
  readonly #url: string;
  /** What every process's server is given: the group's config less its own options. */
  readonly #config: Config;
  readonly #restart: boolean;
  readonly #members: Array<ServerProcess | null>;
  #address = '';
  #port = 0;
  #closing: Promise<void> | null = null;

  /** @internal Use {@link beginProcesses}. */
  constructor(module: string | URL, config: ProcessesConfig) {
    super();
    const { processes, restart, ...server } = config;
    if (!Number.isInteger(processes) || processes < 1 || processes > MAX_PROCESSES) {
      throw new RangeError(`processes must be a whole number from 1 to ${MAX_PROCESSES}, got ${processes}`);
    }
    this.processes = processes;
    this.#url = handlerModuleUrl(module);
    this.#config = { ...server, reusePort: true };
    this.#restart = restart === true;
    this.#members = Array.from({ length: processes }, () => null);
  }

  /** The address the servers listen on. */
  get address(): string {
    return this.#address;
  }

  /** The port they share (the one the first process was given when 0 was asked). */
  get port(): number {
    return this.#port;
  }

  /** The process ids of the server processes running now, in index order. */
  get pids(): number[] {
    return this.#members.filter((m) => m !== null && !m.ended).map((m) => m!.pid);
  }

  /**
   * @internal Starts the first process, and once it has a port, the others on the same
   * one; resolves when all of them listen. On a failure, kills them all and rejects.
   */
  async start(): Promise<void> {
    try {
      const at = await this.#spawn(0, this.#config.port ?? 0).listening;
      this.#address = at.address;
      this.#port = at.port;
      for (let i = 1; i < this.processes; i++) this.#spawn(i, at.port);
      await Promise.all(this.#members.map((m) => m!.listening));
    } catch (err) {
      this.#closing = Promise.resolve();
      await Promise.all(this.#members.map((m) => m?.kill()));
      throw err;
    }
  }

  /** The figures of every running process, summed. */
  async stats(): Promise<Stats> {
    const sum: Record<string, number> = { ...ZERO };
    for (const stats of await this.processStats()) {
      if (stats === null) continue;
      for (const [key, value] of Object.entries(stats)) if (typeof value === 'number') sum[key] = (sum[key] ?? 0) + value;
    }
    return sum as unknown as Stats;
  }

  /** Each process's figures, by index; null for a process that is not running. */
  processStats(): Promise<Array<Stats | null>> {
    return Promise.all(this.#members.map((m) => m?.stats() ?? null));
  }

  /**
   * Closes every server process's server: each stops accepting, lets its connections send
   * what they have queued (up to `timeoutMs`, default 5 s, as `Server.close`), closes them
   * and ends. Resolves once every process has ended; one that lingers 2 s past its drain
   * time is killed.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 5000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    await Promise.all(this.#members.map((m) => m?.close(timeoutMs)));
  }

  #spawn(index: number, port: number): ServerProcess {
    const member = new ServerProcess(
      { index, processes: this.processes, url: this.#url, config: { ...this.#config, port } },
      (ended, end) => this.#exited(ended, end),
    );
    this.#members[index] = member;
    return member;
  }

  #exited(member: ServerProcess, end: ProcessEnd): void {
    if (this.#closing !== null || this.#members[member.index] !== member) return;
    // One that died before it listened (a module that throws, say) would die again.
    const replaced = this.#restart && member.wasListening;
    if (replaced) this.#spawn(member.index, this.#port);
    else this.#members[member.index] = null;
    const exit: ProcessExit = { index: member.index, pid: member.pid, ...end, replaced };
    this.emit('exit', exit);
  }
}

/**
 * Starts `config.processes` server processes on one port (see {@link ProcessGroup}), each
 * running the handler `module` (a path or URL, as `begin(module)` takes it: its default
 * export a Handler or a factory of one, given `config.workerData` as `context.data`) with
 * `config.maxThreads` threads. Resolves once every process listens; rejects, with no
 * process left running, if one fails to start.
 */
export async function beginProcesses(module: string | URL, config: ProcessesConfig): Promise<ProcessGroup> {
  const group = new ProcessGroup(module, config);
  await group.start();
  return group;
}
