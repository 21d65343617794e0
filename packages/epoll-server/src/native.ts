/**
 * The native addon of @simple-stream/epoll-server: the loader, a precise type for it, and
 * the error type its failures use.
 *
 * Return conventions (the whole API follows them):
 * - Hot-path calls ({@link NativeBinding.read}, `write`, `writev`, `accept`, `shutdown`,
 *   `socketError`) never throw for a system error: they return a **negative errno**
 *   (`-EAGAIN` = -11 means "try again after the next readiness event"). Turn one into an
 *   exception with {@link errnoError} when it is fatal for the connection.
 * - Every other call throws a {@link SystemError} (`code`, positive `errno`, `syscall`).
 * - Wrong argument types throw `TypeError`/`RangeError` (with Node-style `code`s).
 *
 * The addon is context-aware: each worker_thread that imports this module gets its own
 * instance (loops, owned fds), closed by an environment cleanup hook when the worker ends.
 */
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Linux has aliases (EWOULDBLOCK = EAGAIN, ENOTSUP = EOPNOTSUPP): prefer the names the
// socket man pages (and glibc's strerrorname_np, our native fallback) use.
const preferredNames = new Set(['EAGAIN', 'EOPNOTSUPP', 'EDEADLK']);
const errnoNames: Record<number, string> = {};
for (const [name, value] of Object.entries(osConstants.errno)) {
  if (errnoNames[value] === undefined || preferredNames.has(name)) errnoNames[value] = name;
}

/** errno numbers by name, from `node:os` (e.g. `Errno.EAGAIN === 11` on Linux). */
export const Errno: Readonly<Record<string, number>> = osConstants.errno;

/** `EAGAIN` (11 on Linux): hot-path calls return `-EAGAIN` when they would block. */
export const EAGAIN: number = osConstants.errno.EAGAIN;

/** The name of a (positive or negative) errno, e.g. `errnoName(-9) === 'EBADF'`. */
export function errnoName(errno: number): string {
  return errnoNames[Math.abs(errno)] ?? `UNKNOWN_ERRNO_${Math.abs(errno)}`;
}

/**
 * A failed system call, shaped like Node's system errors: `code` ('EBADF'), `errno`
 * (**positive**, unlike Node's libuv-style negative numbers) and `syscall` ('setsockopt').
 * The addon throws exactly this class (it is registered at load time), and
 * {@link errnoError} builds one from a hot-path call's negative result.
 */
export class SystemError extends Error {
  /** The errno name, e.g. `ECONNREFUSED`. */
  readonly code: string;
  /** The errno, a positive number (e.g. 111 for ECONNREFUSED). */
  readonly errno: number;
  /** The system call that failed, e.g. `connect`. */
  readonly syscall: string;

  constructor(errno: number, syscall: string) {
    const code = errnoName(errno);
    super(`${syscall} ${code}`);
    this.name = 'SystemError';
    this.code = code;
    this.errno = Math.abs(errno);
    this.syscall = syscall;
  }
}

/**
 * The {@link SystemError} for a hot-path call's negative result, e.g.
 * `errnoError(native.read(fd, buf), 'read')`. Accepts either sign.
 */
export function errnoError(errno: number, syscall: string): SystemError {
  return new SystemError(errno, syscall);
}

/** `true` for a {@link SystemError} (optionally with the given `code`). */
export function isSystemError(error: unknown, code?: string): error is SystemError {
  return error instanceof SystemError && (code === undefined || error.code === code);
}

/** An address as `getsockname`/`getpeername` report it, like `net.Socket#address()`. */
export interface SocketAddress {
  /** Numeric address ('127.0.0.1', '::1', 'fe80::1%eth0'); '' for unnamed unix sockets. */
  address: string;
  /** Port; 0 for unix sockets. */
  port: number;
  family: 'IPv4' | 'IPv6' | 'unix';
}

/** Options of {@link NativeBinding.listen}. */
export interface ListenOptions {
  /** SO_REUSEADDR (rebinding a port in TIME_WAIT). Default `true`, as in Node/libuv. */
  reuseAddr?: boolean;
  /** SO_REUSEPORT: several sockets (e.g. one per worker) share the port. Default `false`. */
  reusePort?: boolean;
  /** IPV6_V6ONLY for IPv6 hosts: `false` (default) also accepts IPv4 on '::'. */
  ipv6Only?: boolean;
}

/** Numeric constants from the C headers (never retyped in TS). */
export interface NativeConstants {
  readonly EPOLLIN: number;
  readonly EPOLLOUT: number;
  readonly EPOLLRDHUP: number;
  readonly EPOLLPRI: number;
  readonly EPOLLERR: number;
  readonly EPOLLHUP: number;
  /** 2 ** 31 as a positive number; `EPOLLIN | EPOLLET` is negative in JS and that's fine. */
  readonly EPOLLET: number;
  readonly EPOLLONESHOT: number;
  readonly EPOLLEXCLUSIVE: number;
  readonly SOL_SOCKET: number;
  readonly IPPROTO_TCP: number;
  readonly SO_KEEPALIVE: number;
  readonly SO_RCVBUF: number;
  readonly SO_SNDBUF: number;
  readonly SO_RCVLOWAT: number;
  readonly SO_PRIORITY: number;
  readonly SO_MARK: number;
  readonly SO_RCVTIMEO: number;
  readonly SO_SNDTIMEO: number;
  readonly SO_REUSEADDR: number;
  readonly SO_REUSEPORT: number;
  readonly SO_ERROR: number;
  readonly TCP_NODELAY: number;
  readonly TCP_KEEPIDLE: number;
  readonly TCP_KEEPINTVL: number;
  readonly TCP_KEEPCNT: number;
  readonly SHUT_RD: number;
  readonly SHUT_WR: number;
  readonly SHUT_RDWR: number;
}

/**
 * The addon's exports. fds and loop ids are plain integers. Unless stated otherwise a
 * function throws {@link SystemError} on failure and returns `undefined`.
 */
export interface NativeBinding {
  // ---- epoll loop --------------------------------------------------------------------

  /**
   * Creates an epoll instance watched by Node's event loop. Whenever registered fds are
   * ready, the addon drains them into `events` as `[token, events]` pairs and calls
   * `onEvents(count)` once per batch (`count` pairs are valid, `1 <= count <=
   * events.length / 2`, capped at 65536). A full batch is followed by more batches (at most
   * 8 in a row before yielding to libuv). Each call is a macrotask: microtasks and
   * `process.nextTick` run after it. An exception thrown by `onEvents` becomes an uncaught
   * exception (`process.on('uncaughtException')`, or the worker's 'error' event).
   *
   * `events` is read again for every batch; keep it alive and don't transfer its buffer.
   * Tokens are u32: read them with `>>> 0` from an Int32Array if you use tokens >= 2 ** 31
   * (or pass a Uint32Array).
   * @returns the loop id (a positive integer, never reused within this thread).
   */
  loopCreate(events: Int32Array | Uint32Array, onEvents: (count: number) => void): number;
  /** EPOLL_CTL_ADD: watch `fd` for `events` (EPOLL* bits), reported with `token` (u32). */
  loopAdd(loop: number, fd: number, token: number, events: number): void;
  /** EPOLL_CTL_MOD: change the token/events of a watched fd (e.g. arm EPOLLOUT). */
  loopModify(loop: number, fd: number, token: number, events: number): void;
  /** EPOLL_CTL_DEL. Closing an fd also removes it (unless it was dup'ed). */
  loopRemove(loop: number, fd: number): void;
  /** Lets the loop keep the process alive (the default). */
  loopRef(loop: number): void;
  /** The loop no longer keeps the process alive on its own (it still delivers events). */
  loopUnref(loop: number): void;
  /**
   * Closes the epoll fd (synchronously) and the libuv handle. Registered fds stay open:
   * they belong to the caller. Safe from inside `onEvents`: no further batch is delivered.
   * An unknown or closed loop id throws EBADF.
   */
  loopClose(loop: number): void;

  // ---- sockets -----------------------------------------------------------------------

  /**
   * A listening TCP socket (non-blocking, close-on-exec) bound to a numeric IPv4/IPv6
   * `host` ('0.0.0.0', '::', '127.0.0.1'; IPv6 may carry `%scope`) and `port` (0 picks a
   * free port: read it with {@link localAddress}). `backlog` defaults to 511.
   * @returns the fd. Throws SystemError with syscall 'socket' | 'setsockopt' | 'bind' |
   * 'listen'; TypeError ERR_INVALID_IP_ADDRESS for a non-numeric host.
   */
  listen(host: string, port: number, backlog?: number, options?: ListenOptions): number;
  /**
   * Starts a non-blocking TCP connect. The connection completes later: wait for EPOLLOUT
   * (or EPOLLERR/EPOLLHUP), then {@link socketError} tells whether it succeeded.
   * @returns the fd. Throws when the failure is known at once (syscall 'connect', e.g.
   * ECONNREFUSED on loopback can be immediate), closing the fd.
   */
  connect(host: string, port: number): number;
  /**
   * Accepts (accept4, non-blocking, close-on-exec) until the queue is empty or `out` is
   * full.
   * @returns `n > 0`: `out[0..n)` are new fds; if `n === out.length` more may be queued,
   * call again; if `n < out.length`, `out[n]` holds why it stopped: `-EAGAIN` (drained) or
   * a negative errno. `n < 0`: nothing was accepted, `n` is `-EAGAIN` (queue empty) or the
   * error. `-EMFILE`/`-ENFILE`: out of fds; the queued connections were accepted and
   * closed at once (libuv's reserve-fd trick), so the listener is drained and peers see a
   * close instead of hanging. Connections that died in the queue (ECONNABORTED...) are
   * skipped. Throws only for argument errors.
   */
  accept(listenFd: number, out: Int32Array): number;
  /** A connected pair of non-blocking AF_UNIX stream sockets. @returns `[fd, fd]`. */
  socketpair(): [number, number];
  /**
   * SO_ERROR (reading it clears it): how a non-blocking connect ended.
   * @returns 0 (connected / no error) or a negative errno (e.g. `-ECONNREFUSED`). Throws
   * only if `fd` is not an open socket (EBADF, ENOTSOCK; syscall 'getsockopt').
   */
  socketError(fd: number): number;
  /** getsockname. Throws SystemError (syscall 'getsockname'). */
  localAddress(fd: number): SocketAddress;
  /** getpeername. Throws SystemError ENOTCONN (syscall 'getpeername') when unconnected. */
  remoteAddress(fd: number): SocketAddress;
  /**
   * read(2) into `buffer[offset, offset + length)` (defaults: all of it). Hot path.
   * @returns `n > 0` bytes read, `0` at end of stream, or a negative errno (`-EAGAIN`
   * when nothing is available). Never throws for a system error.
   */
  read(fd: number, buffer: Uint8Array, offset?: number, length?: number): number;
  /**
   * recv(2) with MSG_PEEK | MSG_DONTWAIT into `buffer[offset, offset + length)`: copies
   * what is queued without consuming it (a PROXY protocol header is peeked, then exactly
   * its length is read). Never blocks, even on a blocking fd.
   * @returns `n > 0` bytes copied, `0` at end of stream, or a negative errno (`-EAGAIN`
   * when nothing is queued). Never throws for a system error.
   */
  peek(fd: number, buffer: Uint8Array, offset?: number, length?: number): number;
  /**
   * send(2) with MSG_NOSIGNAL of `buffer[offset, offset + length)` (write(2) for non-socket
   * fds). Hot path.
   * @returns bytes written (possibly fewer than asked: keep the rest for EPOLLOUT) or a
   * negative errno (`-EAGAIN`: buffer full; `-EPIPE`/`-ECONNRESET`: peer gone).
   */
  write(fd: number, buffer: Uint8Array, offset?: number, length?: number): number;
  /**
   * sendmsg(2) with MSG_NOSIGNAL of several chunks at once (writev(2) for non-socket fds);
   * at most 1024 chunks per call. Hot path.
   * @returns total bytes written (possibly partial, possibly ending mid-chunk) or a
   * negative errno.
   */
  writev(fd: number, chunks: readonly Uint8Array[]): number;
  /**
   * XORs `buffer[start..end)` in place with the RFC 6455 mask `key` (a u32 whose top byte
   * is the key's first byte). Installed into @simple-stream/frames by this package.
   */
  mask(buffer: Uint8Array, start: number, end: number, key: number): void;
  /** shutdown(2), `how` = SHUT_RD | SHUT_WR | SHUT_RDWR. @returns 0 or a negative errno. */
  shutdown(fd: number, how: number): number;
  /** close(2). Throws EBADF for a closed fd (a double close is a bug with threads). */
  close(fd: number): void;
  /** Stops owning `fd`: env teardown (worker exit) will no longer close it. */
  release(fd: number): void;
  /** Takes ownership of an open `fd` (e.g. from another worker): teardown closes it. */
  adopt(fd: number): void;
  /**
   * The inode of the file `fd` refers to (fstat), or a negative errno (`-EBADF` once
   * closed). Tells whether an fd number still names the same socket after it may have
   * been closed and reused. Never throws for a system error.
   */
  socketIdentity(fd: number): number;

  // ---- socket options (see socket-options.ts for the named API) ----------------------

  /** setsockopt with an int value. */
  setIntOption(fd: number, level: number, name: number, value: number): void;
  /** getsockopt of an int value. @returns the value (int32). */
  getIntOption(fd: number, level: number, name: number): number;
  /** SO_LINGER. */
  setLinger(fd: number, enabled: boolean, seconds: number): void;
  /** SO_LINGER. @returns the linger seconds when enabled, -1 when disabled. */
  getLinger(fd: number): number;
  /** SO_RCVTIMEO / SO_SNDTIMEO in milliseconds (0 = none). */
  setTimeoutOption(fd: number, name: number, ms: number): void;
  /** SO_RCVTIMEO / SO_SNDTIMEO. @returns milliseconds (kernel tick granularity). */
  getTimeoutOption(fd: number, name: number): number;
  /** SO_BINDTODEVICE; '' removes the binding. Needs CAP_NET_RAW. */
  setBindToDevice(fd: number, interfaceName: string): void;
  /** SO_BINDTODEVICE. @returns the interface name, '' when unbound. */
  getBindToDevice(fd: number): string;

  /** Registers the class native failures are thrown as (done by this module at load). */
  setErrorClass(errorClass: new (errno: number, syscall: string) => Error): void;

  readonly constants: NativeConstants;
}

// src/ (tests run the TypeScript) and dist/ (built) are both one level below the root.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as (dir: string) => unknown;

/** The addon, loaded once per thread. */
export const native: NativeBinding = nodeGypBuild(packageRoot) as NativeBinding;
native.setErrorClass(SystemError);

const c = native.constants;

/** EPOLL* event bits for {@link NativeBinding.loopAdd} and the reported events. */
export const Epoll = Object.freeze({
  IN: c.EPOLLIN,
  OUT: c.EPOLLOUT,
  RDHUP: c.EPOLLRDHUP,
  PRI: c.EPOLLPRI,
  ERR: c.EPOLLERR,
  HUP: c.EPOLLHUP,
  ET: c.EPOLLET,
  ONESHOT: c.EPOLLONESHOT,
  /** Only valid with loopAdd (EPOLL_CTL_ADD), not loopModify. */
  EXCLUSIVE: c.EPOLLEXCLUSIVE,
});

/** `how` values for {@link NativeBinding.shutdown}. */
export const Shutdown = Object.freeze({ RD: c.SHUT_RD, WR: c.SHUT_WR, RDWR: c.SHUT_RDWR });
