/**
 * @simple-stream/epoll-server: hydrogen's server for Node.js. An edge-triggered epoll loop
 * per thread inside Node's event loop, a slab connection table, the Handler callbacks,
 * FdTransport for simple-stream's streams, a client side, and the native layer beneath.
 */
import { useNativeMask } from '@simple-stream/frames';
import { native } from './native.js';

// With the addon loaded anyway, WebSocket payloads of 256 bytes and more unmask natively.
useNativeMask(native.mask);

export { begin, Server } from './server.js';
export { WorkerPool, type WorkerExit } from './pool.js';
export { beginProcesses, ProcessGroup, type ProcessesConfig, type ProcessExit } from './processes.js';
export type { Broker } from './broker.js';
export type { HandlerModule, WorkerContext } from './handler-module.js';
export { connect, type ConnectOptions } from './client.js';
export type { Config } from './config.js';
export type { Handler } from './handler.js';
export type { SocketAware } from './connection.js';
export { Socket, type SendStatus } from './socket.js';
export type { Stats } from './counters.js';
export { ConnectionError, ConnectionErrorCode } from './errors.js';
export { parseProxyHeader, PROXY_HEADER_MAX_LENGTH } from './proxy-protocol.js';
export type { ProxyHeader, ProxyProtocolMode } from './proxy-header.js';
export {
  StatsRequests,
  StatsRequestError,
  StatsRequestErrorCode,
  decodeStatsRequest,
  encodeStatsRequest,
  STATS_MAX_PENDING,
  STATS_MAX_SECONDS,
  type StatsPeer,
} from './stats-request.js';
export type { StatsReport } from './stats-report.js';
export { FdTransport, transportError } from './fd-transport.js';
export { Slab } from './slab.js';
export * from './native.js';
export * from './socket-options.js';
