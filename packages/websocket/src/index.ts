/**
 * @simple-stream/websocket: WebSocket connections (RFC 6455, permessage-deflate RFC 7692)
 * over simple-stream's Plain and Secure streams, driven by the epoll server.
 *
 * - `serve()` / `dial()`: servers and clients in the spirit of uWebSockets.js, with a
 *   {@link WebSocketHandle} per connection; `prepare()` / `broadcast()` for one message to many.
 * - {@link WebSocket}: the connection as a simple-stream Stream of {@link Message}s, for a
 *   Handler of your own (`onNewConnection: (fd) => WebSocket.accept(new FdTransport(fd))`) or
 *   any Transport (`WebSocket.connect(new DuplexTransport(socket), { host })`).
 */
export { serve, WebSocketServer, type ServeOptions } from './serve.js';
export { dial, type DialOptions, type ClientHandlers } from './dial.js';
export type { WebSocketHandlers } from './dispatcher.js';
export { WebSocketHandle } from './handle.js';
export { broadcast } from './broadcast.js';
export { PreparedMessage, prepare } from './prepared.js';
export { WebSocket, type ReadyState } from './websocket.js';
export type { WebSocketOwner } from './owner.js';
export { Message, toText } from './message.js';
export { MessageBuilder } from './message-builder.js';
export type { CloseInfo } from './message-reader.js';
export {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_HEAD_SIZE,
  DEFAULT_MAX_MESSAGE,
  type WebSocketOptions,
  type WebSocketServerOptions,
  type WebSocketClientOptions,
} from './options.js';
export { WebSocketError, WebSocketErrorCode, type WebSocketErrorCodeValue } from './websocket-error.js';
export { HttpHead, HttpRequest, HttpResponseHead } from './http-head.js';
export type { HttpResponse, HeaderFields } from './http-response.js';
export { acceptKey, type Agreement, type UpgradeAccept, type UpgradeAnswer, type ProtocolChoice } from './server-handshake.js';
export type { UpgradeRequestOptions } from './client-handshake.js';
export { UpgradeFrameBuilder, HeadFrame, HEAD_TOO_LARGE, type UpgradeFrameBuilderOptions } from './upgrade-builder.js';
export { Utf8Validator } from './utf8.js';
export {
  PerMessageDeflate,
  acceptOffer,
  makeOffer,
  parseResponse,
  InflateError,
  InflateErrorCode,
  DeflateNegotiationError,
  DeflateNegotiationErrorCode,
  DEFAULT_DEFLATE_THRESHOLD,
  DEFAULT_DEFLATE_LEVEL,
  PERMESSAGE_DEFLATE,
  deflateStats,
  type DeflateOptions,
  type DeflateParams,
  type DeflateNativeStats,
} from './permessage-deflate.js';
