// Byte helpers for the harness: copies, comparison, hex for reports.

/** @param {readonly Uint8Array[]} parts @returns {Uint8Array} the parts, one after the other */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A copy that owns its memory, whatever `bytes` is (a Buffer's slice would be a view). */
export function copy(/** @type {Uint8Array} */ bytes) {
  return new Uint8Array(bytes);
}

/** @param {Uint8Array} a @param {Uint8Array} b */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Hex of `bytes`; with `max`, long inputs are cut and marked (for one-line messages). */
export function toHex(/** @type {Uint8Array} */ bytes, max = Infinity) {
  const shown = bytes.length > max ? bytes.subarray(0, max) : bytes;
  const hex = Buffer.from(shown.buffer, shown.byteOffset, shown.length).toString('hex');
  return bytes.length > max ? `${hex}… (${bytes.length} bytes)` : hex;
}

/** @param {string} hex @returns {Uint8Array} */
export function fromHex(hex) {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  if (clean.length % 2 !== 0) throw new RangeError('hex input has an odd number of digits');
  return new Uint8Array(Buffer.from(clean, 'hex'));
}
