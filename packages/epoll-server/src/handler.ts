import type { Frame } from '@simple-stream/frames';
import type { Stream } from '@simple-stream/stream';
import type { Socket } from './socket.js';

/**
 * hydrogen's Handler: what a server (or client) calls, on the thread that owns the
 * connection. A callback that throws closes only its connection, with a ConnectionError
 * `HANDLER_THREW` whose `cause` is what was thrown.
 */
export interface Handler<F extends Frame = Frame> {
  /** The listening socket exists; set options on its fd here. */
  onServerCreated?(fd: number): void;
  /**
   * A connection was accepted (or a client connected): return the stream to run on it,
   * e.g. `new Plain(new FdTransport(fd), new SimpleFrameBuilder())`, or for TLS
   * `new Secure(new FdTransport(fd), builder, contextRef, { fd })` from @simple-stream/tls
   * (the handshake then runs inside the connection's reads and writes; a stream exposing
   * `handshakeComplete: false` is held to `config.handshakeTimeoutMs`). `onOpen` comes at
   * once, before the handshake: the TLS facts (`(socket.stream as Secure).peerCertificate`,
   * `protocol`, `alpnProtocol`…) are settled by the first `onDataReceived`. A stream with
   * an `attach(socket)` method (`SocketAware`: a WebSocket) gets the connection's
   * Socket before `onOpen`.
   */
  onNewConnection(fd: number): Stream<F>;
  /** The connection is registered and can send: `socket` is its handle from now on. */
  onOpen?(socket: Socket<F>): void;
  /**
   * One complete frame arrived. `payload` stays valid after the call (it is never
   * overwritten), unless the stream reads into a `ReadArena` made with
   * `reuseAfterBatch` (then only during the call); `frame` is the whole decoded frame
   * (opcode and flags for WebSocket).
   */
  onDataReceived(socket: Socket<F>, payload: Uint8Array, frame: F): void;
  /** Output that was held back by a slow reader has all been written. */
  onDrain?(socket: Socket<F>): void;
  /**
   * The connection is closed and its fd released. `reason` is null when it ended cleanly
   * (the peer finished, or `socket.shutdown()`/`server.close()` completed), else a
   * FrameError, TransportError or ConnectionError (`HANDSHAKE_TIMEOUT` for a peer that
   * stalled mid-handshake, `IDLE_TIMEOUT` past `config.idleTimeoutMs`); over TLS also a
   * TlsError (garbage instead of TLS, a refused certificate…, with OpenSSL's reason in
   * `code`). With worker threads, the connections of a worker that died are reported by
   * its replacement, with ConnectionError `WORKER_DIED`: fds it never saw open.
   */
  onConnectionRemoved?(fd: number, reason: Error | null): void;
}
