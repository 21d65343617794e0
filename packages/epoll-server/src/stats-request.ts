import { Opcode, type Frame } from '@simple-stream/frames';
import type { Stats } from './counters.js';
import { cpuUsage, readCpuTimes, readMemory, type CpuTimes } from './resources.js';
import type { SendStatus } from './socket.js';
import { statsReport } from './stats-report.js';

/** hydrogen's action byte: a payload that starts with it is a stats request. */
export const STATS_REQUEST_ACTION = 0x0d;
/** The action byte and a big-endian IEEE 754 float32 of seconds. */
export const STATS_REQUEST_LENGTH = 5;
/** The longest window a request may ask for, in seconds. */
export const STATS_MAX_SECONDS = 60;
/** Requests one connection may have waiting at once; more are refused, not queued. */
export const STATS_MAX_PENDING = 8;

/** Why a stats request was refused: the `code` of the error answer. */
export const StatsRequestErrorCode = {
  /** The payload is not exactly 5 bytes. */
  BadLength: 'BAD_LENGTH',
  /** The seconds are NaN, infinite, negative or above {@link STATS_MAX_SECONDS}. */
  BadSeconds: 'BAD_SECONDS',
  /** The connection already has {@link STATS_MAX_PENDING} requests waiting. */
  TooManyPending: 'TOO_MANY_PENDING',
  /** The machine's figures could not be read (no /proc). */
  Unavailable: 'UNAVAILABLE',
} as const;

/** A refused stats request; its answer is `{"error": message, "code": code}`. */
export class StatsRequestError extends Error {
  /** One of {@link StatsRequestErrorCode}. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'StatsRequestError';
    this.code = code;
  }
}

/**
 * The seconds a stats request payload asks for; throws StatsRequestError for a malformed
 * one (wrong length; NaN, infinite, negative or over 60 s).
 */
export function decodeStatsRequest(payload: Uint8Array): number {
  if (payload.length !== STATS_REQUEST_LENGTH) {
    throw new StatsRequestError(
      StatsRequestErrorCode.BadLength,
      `a stats request is ${STATS_REQUEST_LENGTH} bytes (0x0D, then a big-endian float32 of seconds), got ${payload.length}`,
    );
  }
  const seconds = new DataView(payload.buffer, payload.byteOffset, STATS_REQUEST_LENGTH).getFloat32(1, false);
  if (!(seconds >= 0 && seconds <= STATS_MAX_SECONDS)) {
    throw new StatsRequestError(StatsRequestErrorCode.BadSeconds, `seconds must be 0 to ${STATS_MAX_SECONDS}, got ${seconds}`);
  }
  return seconds;
}

/** A stats request payload asking for a window of `seconds` (what a client sends). */
export function encodeStatsRequest(seconds: number): Uint8Array {
  const payload = new Uint8Array(STATS_REQUEST_LENGTH);
  payload[0] = STATS_REQUEST_ACTION;
  new DataView(payload.buffer).setFloat32(1, seconds, false);
  return payload;
}

/** Where an answer goes: a connection's Socket (its own framing builds the frame). */
export interface StatsPeer {
  send(payload: Uint8Array): SendStatus;
  readonly closed: boolean;
}

const encoder = new TextEncoder();

/**
 * hydrogen's stats protocol for one server (`config.statsRequests`). A binary frame (any
 * frame of a framing without opcodes) whose payload starts with 0x0D is a stats request:
 * it is taken here instead of reaching the handler. A well-formed one is answered after
 * the seconds it asks for with one frame of {@link StatsReport} JSON, the CPU measured
 * over exactly that window; a malformed one is answered at once with
 * `{"error": "...", "code": "BAD_LENGTH" | "BAD_SECONDS" | "TOO_MANY_PENDING"}`, and the
 * connection stays open either way. Each waiting request is one timer, cleared when its
 * connection goes (`forget`).
 *
 * The server figures come from `figures`: this thread's `server.stats()`. With worker
 * threads, pass a source that sums every worker (it may return a promise).
 */
export class StatsRequests {
  readonly #figures: () => Stats | Promise<Stats>;
  readonly #startedAt = performance.now();
  readonly #waiting = new Map<StatsPeer, Set<ReturnType<typeof setTimeout>>>();

  constructor(figures: () => Stats | Promise<Stats>) {
    this.#figures = figures;
  }

  /** Requests waiting for their window to end, over all connections. */
  get pending(): number {
    let n = 0;
    for (const timers of this.#waiting.values()) n += timers.size;
    return n;
  }

  /** Handles `frame` if it is a stats request (true), else leaves it to the handler (false). */
  take(peer: StatsPeer, frame: Frame): boolean {
    const payload = frame.payload;
    if (payload.length === 0 || payload[0] !== STATS_REQUEST_ACTION) return false;
    // WebSocket: text and control frames are never requests (a ping may start with \r).
    const opcode = (frame as Frame & { opcode?: number }).opcode;
    if (opcode !== undefined && opcode !== Opcode.Binary) return false;
    try {
      this.#wait(peer, decodeStatsRequest(payload));
    } catch (err) {
      this.#refuse(peer, err);
    }
    return true;
  }

  /** The connection is gone: its waiting requests are dropped, their timers cleared. */
  forget(peer: StatsPeer): void {
    const timers = this.#waiting.get(peer);
    if (timers === undefined) return;
    for (const timer of timers) clearTimeout(timer);
    this.#waiting.delete(peer);
  }

  /** Starts the window: the CPU is read now and again when its timer fires. */
  #wait(peer: StatsPeer, seconds: number): void {
    const timers = this.#waiting.get(peer) ?? new Set();
    if (timers.size >= STATS_MAX_PENDING) {
      throw new StatsRequestError(StatsRequestErrorCode.TooManyPending, `${STATS_MAX_PENDING} stats requests are already waiting on this connection`);
    }
    const before = machineReading(readCpuTimes);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (timers.size === 0) this.#waiting.delete(peer);
      this.#answer(peer, before).catch((err: unknown) => this.#refuse(peer, err));
    }, seconds * 1000);
    // The connection keeps the process alive while it is open; the timer need not.
    timer.unref();
    timers.add(timer);
    this.#waiting.set(peer, timers);
  }

  async #answer(peer: StatsPeer, before: CpuTimes): Promise<void> {
    const cpu = cpuUsage(before, machineReading(readCpuTimes));
    const memory = machineReading(readMemory);
    const upTimeMs = performance.now() - this.#startedAt;
    const stats = await this.#figures();
    this.#send(peer, statsReport(stats, upTimeMs, cpu, memory));
  }

  #refuse(peer: StatsPeer, err: unknown): void {
    const error = err instanceof StatsRequestError ? err : new StatsRequestError(StatsRequestErrorCode.Unavailable, String(err));
    this.#send(peer, { error: error.message, code: error.code });
  }

  #send(peer: StatsPeer, document: object): void {
    if (peer.closed) return;
    try {
      peer.send(encoder.encode(JSON.stringify(document)));
    } catch (err) {
      // A framing too small for the document (a tiny maxFrameSize): nothing to answer with.
      process.emitWarning(`stats answer not sent: ${String(err)}`, 'StatsRequestWarning');
    }
  }
}

/** A /proc reading, its failure turned into the `UNAVAILABLE` answer. */
function machineReading<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new StatsRequestError(StatsRequestErrorCode.Unavailable, `machine figures unavailable: ${(err as Error).message}`);
  }
}
