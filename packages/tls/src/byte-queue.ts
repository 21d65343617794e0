import { giveBuffer, KEEP_OUTPUT, takeBuffer } from '@simple-stream/stream';

const EMPTY = new Uint8Array(0);

/**
 * Bytes waiting in order: a Secure stream's plaintext not yet encrypted, and its
 * ciphertext not yet taken by the transport. Appends compact before growing (by doubling).
 */
export class ByteQueue {
  /** The backing array; the queued bytes are `bytes[start, end)`. */
  bytes: Uint8Array = EMPTY;
  start = 0;
  end = 0;

  /** Queued bytes. */
  get size(): number {
    return this.end - this.start;
  }

  /** Room for `n` more bytes at {@link end}; returns the (maybe new) backing array. */
  reserve(n: number): Uint8Array {
    let bytes = this.bytes;
    if (this.end + n <= bytes.length) return bytes;
    const size = this.end - this.start;
    if (size + n <= bytes.length) {
      bytes.copyWithin(0, this.start, this.end);
    } else {
      // Spares: a queue that outgrows what it keeps (a batch of big frames) would
      // otherwise allocate and zero-fill afresh every batch.
      const grown = takeBuffer(Math.max(1024, 2 * bytes.length, size + n));
      grown.set(bytes.subarray(this.start, this.end), 0);
      giveBuffer(bytes);
      this.bytes = bytes = grown;
    }
    this.start = 0;
    this.end = size;
    return bytes;
  }

  /** Appends a copy of `source[offset, offset+length)`. */
  push(source: Uint8Array, offset: number, length: number): void {
    const bytes = this.reserve(length);
    bytes.set(source.subarray(offset, offset + length), this.end);
    this.end += length;
  }

  /** Drops `n` bytes from the front. */
  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.clear(false);
  }

  /** Empties the queue; `release` (or a large array) gives the memory back. */
  clear(release = true): void {
    this.start = this.end = 0;
    if (release || this.bytes.length > KEEP_OUTPUT) {
      giveBuffer(this.bytes);
      this.bytes = EMPTY;
    }
  }
}
