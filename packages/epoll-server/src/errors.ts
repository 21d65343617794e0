/** Why the server closed a connection, when neither the peer nor the framing did. */
export const ConnectionErrorCode = {
  /** A Handler callback threw; the error is the `cause`. */
  HandlerThrew: 'HANDLER_THREW',
  /** More output queued for a slow reader than `maxQueued` allows (policy 'close'). */
  Backpressure: 'BACKPRESSURE',
  /** The server was closed and the connection's output did not drain in time. */
  ServerClosed: 'SERVER_CLOSED',
  /** The stream given by onNewConnection does not run over this connection's fd. */
  BadStream: 'BAD_STREAM',
  /**
   * The stream's handshake (TLS) did not complete within `config.handshakeTimeoutMs`; with
   * `config.proxyProtocol`, also a peer that did not send its whole PROXY header in time.
   */
  HandshakeTimeout: 'HANDSHAKE_TIMEOUT',
  /**
   * `config.proxyProtocol` is on and the connection did not start with a valid PROXY
   * protocol header (or ended before it was complete); the message says what was wrong.
   */
  ProxyProtocol: 'PROXY_PROTOCOL',
  /** Nothing was read from or written to the connection for `config.idleTimeoutMs`. */
  IdleTimeout: 'IDLE_TIMEOUT',
  /** The worker thread that owned the connection died (threw outside a callback, exited). */
  WorkerDied: 'WORKER_DIED',
} as const;

/**
 * A connection closed by the server itself, passed to `onConnectionRemoved`. Bad frames
 * arrive as `FrameError` and system failures as `TransportError` instead.
 */
export class ConnectionError extends Error {
  /** One of {@link ConnectionErrorCode}. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
    this.code = code;
  }
}
