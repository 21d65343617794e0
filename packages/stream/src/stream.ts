import type { Frame, FrameBuilder } from '@simple-stream/frames';
import type { Transport } from './transport.js';

/**
 * What a server drives: simple-stream's stream surface, implemented by `Plain` and, in
 * @simple-stream/tls, `Secure`. See {@link Plain} for the meaning of each member.
 */
export interface Stream<F extends Frame = Frame> {
  readonly transport: Transport;
  readonly builder: FrameBuilder<F>;
  /** True once the peer has finished sending. */
  readonly ended: boolean;
  /** Bytes accepted by nbSend and not yet taken by the transport. */
  readonly queued: number;
  /** True while the transport would not take everything (backpressure). */
  readonly blocked: boolean;
  /**
   * Streams with a handshake (`Secure`) say here whether it has completed; streams
   * without one (`Plain`) leave it undefined. A server holds a stream whose handshake is
   * not complete to its handshake time limit (epoll-server: `config.handshakeTimeoutMs`).
   */
  readonly handshakeComplete?: boolean;
  /**
   * Bytes this stream moved on the socket itself, past its transport (whose own counters
   * then miss them): `Secure` over a socket fd, where OpenSSL reads and writes the fd.
   * Servers add them to their byte counters. Cold path.
   */
  socketBytes?(): { read: number; written: number };
  nbRecv(): F[];
  nbSend(frame: F): boolean;
  nbSendPayload(payload: Uint8Array): boolean;
  flush(): boolean;
  cork(): void;
  uncork(): boolean;
  bRecv(): Promise<F[]>;
  bSend(frame: F): Promise<void>;
  shutdown(): void;
  close(): void;
}
