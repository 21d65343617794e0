import type { Frame, FrameBuilder } from '@simple-stream/frames';
import { Plain, type ReadArena, type Stream, type Transport } from '@simple-stream/stream';
import { Secure, type TlsContext, type TlsContextRef } from '@simple-stream/tls';

/** How to carry a WebSocket's bytes. */
export interface InnerStreamOptions {
  tls?: TlsContext | TlsContextRef;
  arena?: ReadArena;
  /** Client over TLS: the server name to send and verify. */
  servername?: string;
}

/**
 * The stream under a WebSocket: Plain, or Secure with `tls` (reading and writing the
 * socket itself when the transport has an fd, Secure's fast path).
 */
export function innerStream(transport: Transport, builder: FrameBuilder<Frame>, options: InnerStreamOptions): Stream<Frame> {
  const tls = options.tls;
  if (tls === undefined) return new Plain(transport, builder, { arena: options.arena });
  const secureOptions = { arena: options.arena, servername: options.servername };
  const fd = (transport as Partial<{ readonly fd: number }>).fd;
  if (typeof fd === 'number') return Secure.overSocket(transport as Transport & { readonly fd: number }, builder, tls, secureOptions);
  return new Secure(transport, builder, tls, secureOptions);
}

/** Writes what `inner` has queued, waiting for its transport as needed. */
export async function drain(inner: Stream<Frame>): Promise<void> {
  if (inner instanceof Secure) await inner.bFlush();
  else while (!inner.flush()) await inner.transport.writable();
}

/** The host of a Host value, as TLS's server name: 'example.com:8443' → 'example.com'. */
export function hostname(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed !== null) return bracketed[1];
  return host.replace(/:\d+$/, '');
}
