/**
 * @simple-stream/frames: Frame and FrameBuilder, the buffering FrameReader, and the
 * Simple, WebSocket (RFC 6455) and Checksum32 framings. Pure TypeScript.
 */
export type { Frame, FrameBuilder, Decoded } from './frame.js';
export { encodeFrame, encodeFrameInto } from './frame.js';
export { FrameError, FrameErrorCode, type FrameErrorCodeValue } from './frame-error.js';
export { FrameReader, type FrameReaderOptions } from './frame-reader.js';
export { SimpleFrame, SimpleFrameBuilder, SIMPLE_MAX_PAYLOAD, type SimpleFrameBuilderOptions } from './simple.js';
export {
  Checksum32Frame,
  Checksum32FrameBuilder,
  checksum32,
  CHECKSUM32_DEFAULT_MAX_PAYLOAD,
  type Checksum32FrameBuilderOptions,
} from './checksum32.js';
export {
  WebSocketFrame,
  Opcode,
  Rsv,
  MAX_CONTROL_PAYLOAD,
  isValidCloseCode,
  closePayload,
  webSocketHeaderLength,
  writeWebSocketFrame,
  type WebSocketFrameOptions,
} from './websocket-frame.js';
export {
  WebSocketFrameBuilder,
  closeCodeFor,
  WEBSOCKET_DEFAULT_MAX_PAYLOAD,
  type WebSocketFrameBuilderOptions,
} from './websocket-builder.js';
export { applyMask, randomMaskKey, useNativeMask, type MaskImplementation } from './mask.js';
