/**
 * Output memory shared by every stream of a thread (module instance): `Plain`'s output
 * queue and `Secure`'s plaintext and ciphertext queues take their big buffers from here
 * and give them back when they empty. Without it a connection whose batches exceed what
 * a stream keeps (four echoed 16 KiB frames already do) allocates, zero-fills and
 * re-grows a fresh buffer every batch and writes into cold memory: measured at about 30%
 * of the server's CPU over Plain and 7% over TLS.
 */

/** Output memory a stream keeps after its queue empties; bigger buffers go back here. */
export const KEEP_OUTPUT = 64 * 1024;
// At most this much is kept in spares, in all.
const SPARE_BYTES = 4 * 1024 * 1024;
const spares: Uint8Array[] = [];
let spareBytes = 0;

/**
 * A buffer of at least `size` bytes: a spare one, or a new one whose bytes are not
 * zero-filled (callers write before they read; nothing stale is ever handed out).
 */
export function takeBuffer(size: number): Uint8Array {
  for (let i = spares.length - 1; i >= 0; i--) {
    const buffer = spares[i];
    if (buffer.length >= size) {
      spares[i] = spares[spares.length - 1];
      spares.pop();
      spareBytes -= buffer.length;
      return buffer;
    }
  }
  return uninitialized(size);
}

/** Gives back a buffer no stream uses any more (kept if big and there is room). */
export function giveBuffer(buffer: Uint8Array): void {
  if (buffer.length <= KEEP_OUTPUT || spareBytes + buffer.length > SPARE_BYTES) return;
  spares.push(buffer);
  spareBytes += buffer.length;
}

/**
 * A plain Uint8Array of `size` bytes without the zero-fill of `new Uint8Array` (memset
 * showed up at several percent of a TLS server's CPU). Not from Node's shared Buffer
 * pool, so it can be kept and handed to native code on its own.
 */
export function uninitialized(size: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
}
