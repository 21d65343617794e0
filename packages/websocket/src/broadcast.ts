import type { WebSocketHandle } from './handle.js';
import { prepare } from './prepared.js';

/**
 * Sends one message to many connections: prepared (framed, and compressed where it can be
 * shared) once, then copied into each connection's output. A string goes as text, bytes as
 * binary unless `isBinary` is false. Returns how many connections took it ('sent' or
 * 'queued'); the others were closed, or over their `maxQueued` with policy 'drop'.
 */
export function broadcast(handles: Iterable<WebSocketHandle<unknown>>, data: string | Uint8Array, isBinary?: boolean): number {
  const message = prepare(data, isBinary);
  let taken = 0;
  for (const ws of handles) {
    const status = ws.sendPrepared(message);
    if (status === 'sent' || status === 'queued') taken++;
  }
  return taken;
}
