// Types of bytes.mjs, for the TypeScript tests that share its helpers (the fuzz harness
// itself is plain JavaScript, run by Node without a build).

/** The parts, one after the other, in a new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array;
/** A copy that owns its memory, whatever `bytes` is (a Buffer's slice would be a view). */
export function copy(bytes: Uint8Array): Uint8Array;
/** True when both hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean;
/** Hex of `bytes`; with `max`, long inputs are cut and marked (for one-line messages). */
export function toHex(bytes: Uint8Array, max?: number): string;
/** The bytes of a hex string (anything but hex digits is ignored). */
export function fromHex(hex: string): Uint8Array;
