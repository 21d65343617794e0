/**
 * The byte pipe under every stream: a raw socket fd, a Node `net.Socket` or any Duplex,
 * an in-memory pair, or a user's own. Non-blocking: "would block" and "end of stream" are
 * values, not exceptions; real failures (a reset, a closed fd) throw {@link TransportError}.
 */
export interface Transport {
  /**
   * Reads into `target[offset .. offset+length)`. Returns the number of bytes read (> 0),
   * {@link WOULD_BLOCK} when nothing is there now, or {@link END} once the peer has
   * finished sending.
   */
  read(target: Uint8Array, offset: number, length: number): number;
  /** Writes what it can of `source[offset .. offset+length)` now: bytes taken, 0 if none. */
  write(source: Uint8Array, offset: number, length: number): number;
  /** Gather write: what it can of `chunks`, in order, now; bytes taken, 0 if none. */
  writev(chunks: readonly Uint8Array[]): number;
  /** Resolves when `read` may make progress (bytes, end or an error). */
  readable(): Promise<void>;
  /** Resolves when `write` may make progress. */
  writable(): Promise<void>;
  /** Ends the sending side (the peer reads END); reading goes on. */
  shutdown(): void;
  /** Releases the transport; later calls throw a TransportError with code `ECLOSED`. */
  close(): void;
  /** True once `close` was called. */
  readonly closed: boolean;
  /**
   * True when a read or write that moves fewer bytes than asked means the next one would
   * block (stream sockets): streams then skip the call that would only say so.
   */
  readonly shortMeansWouldBlock: boolean;
}

/** `read` found nothing to read now. */
export const WOULD_BLOCK = -1;
/** `read` found the end of the stream: the peer will send nothing more. */
export const END = -2;

/** A transport failed: a system error (with `errno`) or a use after close. */
export class TransportError extends Error {
  /** `ECONNRESET`, `EPIPE`, `ECLOSED`… */
  readonly code: string;
  /** The positive errno of a system error; undefined otherwise. */
  readonly errno: number | undefined;
  /** The system call that failed, when one did. */
  readonly syscall: string | undefined;

  constructor(code: string, message: string, errno?: number, syscall?: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** The error every call on a closed transport throws. */
export function closedError(): TransportError {
  return new TransportError('ECLOSED', 'the transport is closed');
}
