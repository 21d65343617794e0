import { proxyProtocolError, type ProxyHeader, type ProxyProtocolMode } from './proxy-header.js';
import { V1_MAX_LENGTH, parseProxyV1 } from './proxy-v1.js';
import { V2_HEADER_LENGTH, V2_SIGNATURE, parseProxyV2 } from './proxy-v2.js';

/** `P` and `\r`: the first bytes of a v1 and of a v2 header, which tell them apart. */
const V1_FIRST = 0x50;
const V2_FIRST = V2_SIGNATURE[0];

/**
 * Parses the PROXY protocol header at the start of `bytes` (what has arrived so far,
 * maybe followed by the connection's own data). Returns the header once it is complete,
 * null while `bytes` is a valid beginning of one, and throws ConnectionError
 * `PROXY_PROTOCOL` as soon as the bytes can no longer become a valid header of a version
 * `mode` accepts. Stateless: the caller passes everything from the first byte each time
 * (headers are small, and arrive whole but for a misbehaving peer).
 */
export function parseProxyHeader(bytes: Uint8Array, mode: Exclude<ProxyProtocolMode, false>): ProxyHeader | null {
  if (bytes.length === 0) return null;
  const first = bytes[0];
  if (first === V1_FIRST && mode !== 'v2') return parseProxyV1(bytes);
  if (first === V2_FIRST && mode !== 'v1') return parseProxyV2(bytes);
  const expected = mode === 'v1' ? 'a v1 line ("PROXY ...")' : mode === 'v2' ? 'the v2 signature' : 'a v1 line or the v2 signature';
  throw proxyProtocolError(`expected ${expected}, got byte 0x${first.toString(16).padStart(2, '0')} first`);
}

/**
 * How many bytes to look at to see all of the header that starts `bytes`: the exact
 * length once a v2 header's fixed part is in, else the most a v1 line may take. Lets a
 * reader ask the kernel for no more than it needs.
 */
export function proxyHeaderSpan(bytes: Uint8Array): number {
  if (bytes.length >= V2_HEADER_LENGTH && bytes[0] === V2_FIRST) return V2_HEADER_LENGTH + ((bytes[14] << 8) | bytes[15]);
  return Math.max(V1_MAX_LENGTH, V2_HEADER_LENGTH);
}

/** The longest header there can be: v2's fixed part and a 16-bit length of addresses and TLVs. */
export const PROXY_HEADER_MAX_LENGTH = V2_HEADER_LENGTH + 0xffff;
