// Big-endian helpers shared by the framings. Plain byte arithmetic: faster than a DataView
// for the few header bytes a frame has, and no allocation.

/** Reads a big-endian u32 at `buf[at]`. */
export function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}

/** Writes `value` as a big-endian u32 at `buf[at]`. */
export function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 24;
  buf[at + 1] = (value >>> 16) & 0xff;
  buf[at + 2] = (value >>> 8) & 0xff;
  buf[at + 3] = value & 0xff;
}

/** Two hex digits, for error messages. */
export function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

