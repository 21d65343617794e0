/**
 * What a process group's supervisor and its server processes say to each other over each
 * child's IPC channel (Node's, structured-clone serialization). A channel per child keeps
 * what it is told in order: `start`, any `stats`, then `close`.
 */
import type { Config } from './config.js';
import type { Stats } from './counters.js';

/** The most server processes a group runs: a sanity bound, not a kernel one. */
export const MAX_PROCESSES = 64;

/** What a server process is started with: the first message on its channel. */
export interface ProcessStart {
  /** The process's index in its group, 0 to processes - 1; a replacement keeps it. */
  index: number;
  /** Server processes in the group. */
  processes: number;
  /** The handler module's URL. */
  url: string;
  /** The group's config, `reusePort` on and `port` the group's (cloned: plain values only). */
  config: Config;
}

/** Supervisor to server process. */
export type ProcessCommand =
  | { type: 'start'; start: ProcessStart }
  | { type: 'stats'; request: number }
  | { type: 'close'; timeoutMs: number };

/** Server process to supervisor. */
export type ProcessReport =
  /** The server listens (and accepts): the bound address and port. */
  | { type: 'listening'; address: string; port: number }
  /** The server could not start (the module threw, the port is taken…): the process ends. */
  | { type: 'failed'; message: string }
  /** The server's figures; null before it runs. */
  | { type: 'stats'; request: number; stats: Stats | null }
  /** The server is closed: every connection removed, output drained. The process ends. */
  | { type: 'closed' };
