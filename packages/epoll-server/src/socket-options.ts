/**
 * Socket options by name, as simple-stream's `Socket` had them. Every function throws a
 * {@link SystemError} on failure (syscall 'setsockopt' or 'getsockopt'), e.g. EBADF for a
 * closed fd, ENOPROTOOPT for a TCP option on a unix socket, EPERM without the capability.
 */
import { native, type SystemError } from './native.js';

const c = native.constants;

/** Options for {@link setKeepAlive}; omitted ones keep their current value. */
export interface KeepAliveOptions {
  /** TCP_KEEPIDLE: idle seconds before the first probe. */
  idleSeconds?: number;
  /** TCP_KEEPINTVL: seconds between probes. */
  intervalSeconds?: number;
  /** TCP_KEEPCNT: unanswered probes before the connection is dropped. */
  count?: number;
}

/** TCP_NODELAY: disable Nagle's algorithm (send small segments at once). */
export function setNoDelay(fd: number, enable: boolean): void {
  native.setIntOption(fd, c.IPPROTO_TCP, c.TCP_NODELAY, enable ? 1 : 0);
}

/** TCP_NODELAY. */
export function getNoDelay(fd: number): boolean {
  return native.getIntOption(fd, c.IPPROTO_TCP, c.TCP_NODELAY) !== 0;
}

/** SO_KEEPALIVE, and optionally TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT. */
export function setKeepAlive(fd: number, enable: boolean, options: KeepAliveOptions = {}): void {
  native.setIntOption(fd, c.SOL_SOCKET, c.SO_KEEPALIVE, enable ? 1 : 0);
  if (options.idleSeconds !== undefined) setKeepAliveIdle(fd, options.idleSeconds);
  if (options.intervalSeconds !== undefined) setKeepAliveInterval(fd, options.intervalSeconds);
  if (options.count !== undefined) setKeepAliveCount(fd, options.count);
}

/** SO_KEEPALIVE. */
export function getKeepAlive(fd: number): boolean {
  return native.getIntOption(fd, c.SOL_SOCKET, c.SO_KEEPALIVE) !== 0;
}

/** TCP_KEEPIDLE: idle seconds before the first keep-alive probe (1..32767). */
export function setKeepAliveIdle(fd: number, seconds: number): void {
  native.setIntOption(fd, c.IPPROTO_TCP, c.TCP_KEEPIDLE, seconds);
}

/** TCP_KEEPIDLE, in seconds. */
export function getKeepAliveIdle(fd: number): number {
  return native.getIntOption(fd, c.IPPROTO_TCP, c.TCP_KEEPIDLE);
}

/** TCP_KEEPINTVL: seconds between keep-alive probes (1..32767). */
export function setKeepAliveInterval(fd: number, seconds: number): void {
  native.setIntOption(fd, c.IPPROTO_TCP, c.TCP_KEEPINTVL, seconds);
}

/** TCP_KEEPINTVL, in seconds. */
export function getKeepAliveInterval(fd: number): number {
  return native.getIntOption(fd, c.IPPROTO_TCP, c.TCP_KEEPINTVL);
}

/** TCP_KEEPCNT: unanswered probes before the connection is dropped (1..127). */
export function setKeepAliveCount(fd: number, count: number): void {
  native.setIntOption(fd, c.IPPROTO_TCP, c.TCP_KEEPCNT, count);
}

/** TCP_KEEPCNT. */
export function getKeepAliveCount(fd: number): number {
  return native.getIntOption(fd, c.IPPROTO_TCP, c.TCP_KEEPCNT);
}

/**
 * SO_RCVBUF in bytes. The kernel doubles the value (bookkeeping overhead) and caps it at
 * net.core.rmem_max, so {@link getReceiveBufferSize} reads back up to twice `bytes`.
 */
export function setReceiveBufferSize(fd: number, bytes: number): void {
  native.setIntOption(fd, c.SOL_SOCKET, c.SO_RCVBUF, bytes);
}

/** SO_RCVBUF as the kernel reports it (the doubled value). */
export function getReceiveBufferSize(fd: number): number {
  return native.getIntOption(fd, c.SOL_SOCKET, c.SO_RCVBUF);
}

/** SO_SNDBUF in bytes; doubled and capped (net.core.wmem_max) like SO_RCVBUF. */
export function setSendBufferSize(fd: number, bytes: number): void {
  native.setIntOption(fd, c.SOL_SOCKET, c.SO_SNDBUF, bytes);
}

/** SO_SNDBUF as the kernel reports it (the doubled value). */
export function getSendBufferSize(fd: number): number {
  return native.getIntOption(fd, c.SOL_SOCKET, c.SO_SNDBUF);
}

/**
 * SO_LINGER: `null` turns lingering off (close returns at once, unsent data is still sent
 * in the background); a number of seconds turns it on (0 = close resets the connection).
 */
export function setLinger(fd: number, seconds: number | null): void {
  native.setLinger(fd, seconds !== null, seconds ?? 0);
}

/** SO_LINGER: the linger seconds, or `null` when lingering is off. */
export function getLinger(fd: number): number | null {
  const seconds = native.getLinger(fd);
  return seconds < 0 ? null : seconds;
}

/** SO_RCVLOWAT: minimum bytes a read waits for (epoll reports readiness accordingly). */
export function setReceiveLowWatermark(fd: number, bytes: number): void {
  native.setIntOption(fd, c.SOL_SOCKET, c.SO_RCVLOWAT, bytes);
}

/** SO_RCVLOWAT. */
export function getReceiveLowWatermark(fd: number): number {
  return native.getIntOption(fd, c.SOL_SOCKET, c.SO_RCVLOWAT);
}

/** SO_PRIORITY: queueing priority of outgoing packets (outside 0..6 needs CAP_NET_ADMIN). */
export function setPriority(fd: number, priority: number): void {
  native.setIntOption(fd, c.SOL_SOCKET, c.SO_PRIORITY, priority);
}

/** SO_PRIORITY. */
export function getPriority(fd: number): number {
  return native.getIntOption(fd, c.SOL_SOCKET, c.SO_PRIORITY);
}

/** SO_MARK: the u32 fwmark of outgoing packets (routing/filtering). Needs CAP_NET_ADMIN. */
export function setMark(fd: number, mark: number): void {
  native.setIntOption(fd, c.SOL_SOCKET, c.SO_MARK, mark | 0);
}

/** SO_MARK, as an unsigned 32-bit number. */
export function getMark(fd: number): number {
  return native.getIntOption(fd, c.SOL_SOCKET, c.SO_MARK) >>> 0;
}

/**
 * SO_BINDTODEVICE: only use the interface `interfaceName` (e.g. 'eth0'); '' removes the
 * binding. Needs CAP_NET_RAW.
 */
export function setBindToDevice(fd: number, interfaceName: string): void {
  native.setBindToDevice(fd, interfaceName);
}

/** SO_BINDTODEVICE: the interface name, '' when unbound. */
export function getBindToDevice(fd: number): string {
  return native.getBindToDevice(fd);
}

/**
 * SO_RCVTIMEO in milliseconds (0 = none). It only affects blocking calls, so it has no
 * effect on this package's non-blocking sockets; it exists for fds handed to other code.
 */
export function setReceiveTimeout(fd: number, ms: number): void {
  native.setTimeoutOption(fd, c.SO_RCVTIMEO, ms);
}

/** SO_RCVTIMEO in milliseconds (rounded to the kernel tick: whole seconds are exact). */
export function getReceiveTimeout(fd: number): number {
  return native.getTimeoutOption(fd, c.SO_RCVTIMEO);
}

/** SO_SNDTIMEO in milliseconds (0 = none); like SO_RCVTIMEO, for blocking calls only. */
export function setSendTimeout(fd: number, ms: number): void {
  native.setTimeoutOption(fd, c.SO_SNDTIMEO, ms);
}

/** SO_SNDTIMEO in milliseconds. */
export function getSendTimeout(fd: number): number {
  return native.getTimeoutOption(fd, c.SO_SNDTIMEO);
}
