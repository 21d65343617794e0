import { SocketAddress as NetSocketAddress } from 'node:net';
import type { SocketAddress } from './native.js';
import { proxyProtocolError, type ProxyHeader } from './proxy-header.js';

/** The 12 bytes every v2 header starts with (a NUL inside: never treat it as a C string). */
export const V2_SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
/** Signature, version/command, family/transport and the 16-bit length that follows. */
export const V2_HEADER_LENGTH = 16;

const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
const AF_UNSPEC = 0x0;
const AF_INET = 0x1;
const AF_INET6 = 0x2;
const AF_UNIX = 0x3;
const TRANSPORT_STREAM = 0x1;
const TRANSPORT_DGRAM = 0x2;
/** The address block's size by family: two addresses, then two ports for IP. */
const ADDRESS_LENGTH = [0, 4 + 4 + 2 + 2, 16 + 16 + 2 + 2, 108 + 108];
const UNIX_PATH_LENGTH = 108;
/** A TLV's type (1 byte) and value length (2 bytes). */
const TLV_HEADER_LENGTH = 3;

const utf8 = new TextDecoder();

/**
 * Parses a v2 header at the start of `bytes`; see `parseProxyHeader`. Each fixed field
 * is checked as soon as it has arrived. LOCAL ignores the address block; PROXY with
 * AF_UNSPEC or a datagram transport falls back to the real endpoints, as the spec allows.
 * TLVs after the addresses are skipped, but they must tile the rest of the header
 * exactly: a TLV running past its end is a malformed header.
 */
export function parseProxyV2(bytes: Uint8Array): ProxyHeader | null {
  const available = bytes.length;
  for (let i = 0; i < V2_SIGNATURE.length && i < available; i++) {
    if (bytes[i] !== V2_SIGNATURE[i]) throw proxyProtocolError('not the v2 signature');
  }
  if (available <= 12) return null;
  const version = bytes[12] >> 4;
  const command = bytes[12] & 0x0f;
  if (version !== 2) throw proxyProtocolError(`v2 header has version ${version}, only 2 is defined`);
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) throw proxyProtocolError(`v2 command 0x${command.toString(16)} is unassigned`);
  if (available <= 13) return null;
  const family = bytes[13] >> 4;
  const transport = bytes[13] & 0x0f;
  const proxied = command === COMMAND_PROXY;
  // LOCAL discards the whole block, family included.
  if (proxied && family > AF_UNIX) throw proxyProtocolError(`v2 address family 0x${family.toString(16)} is not defined`);
  if (proxied && transport > TRANSPORT_DGRAM) throw proxyProtocolError(`v2 transport 0x${transport.toString(16)} is not defined`);
  if (available < V2_HEADER_LENGTH) return null;
  const blockLength = (bytes[14] << 8) | bytes[15];
  const length = V2_HEADER_LENGTH + blockLength;
  const addressLength = proxied ? ADDRESS_LENGTH[family] : 0;
  if (blockLength < addressLength) throw proxyProtocolError(`v2 length ${blockLength} is shorter than the family's ${addressLength} bytes of addresses`);
  if (available < length) return null;
  if (!proxied || family === AF_UNSPEC) return { version: 2, command: proxied ? 'PROXY' : 'LOCAL', source: null, destination: null, length };
  checkTlvs(bytes, V2_HEADER_LENGTH + addressLength, length);
  if (transport !== TRANSPORT_STREAM) return { version: 2, command: 'PROXY', source: null, destination: null, length };
  const [source, destination] = addresses(bytes.subarray(V2_HEADER_LENGTH, V2_HEADER_LENGTH + addressLength), family);
  return { version: 2, command: 'PROXY', source, destination, length };
}

/** Walks the TLVs in `bytes[start, end)` without reading them. */
function checkTlvs(bytes: Uint8Array, start: number, end: number): void {
  let at = start;
  while (at < end) {
    if (at + TLV_HEADER_LENGTH > end) throw proxyProtocolError(`v2 TLV at byte ${at} is cut short by the header's end`);
    at += TLV_HEADER_LENGTH + ((bytes[at + 1] << 8) | bytes[at + 2]);
    if (at > end) throw proxyProtocolError('v2 TLV runs past the header\'s end');
  }
}

/** Source and destination of an address block (network byte order throughout). */
function addresses(block: Uint8Array, family: number): [SocketAddress, SocketAddress] {
  if (family === AF_UNIX) {
    return [unixAddress(block.subarray(0, UNIX_PATH_LENGTH)), unixAddress(block.subarray(UNIX_PATH_LENGTH))];
  }
  const size = family === AF_INET ? 4 : 16;
  const ports = 2 * size;
  const name = family === AF_INET ? 'IPv4' : 'IPv6';
  const text = family === AF_INET ? ipv4 : ipv6;
  return [
    { address: text(block.subarray(0, size)), port: (block[ports] << 8) | block[ports + 1], family: name },
    { address: text(block.subarray(size, ports)), port: (block[ports + 2] << 8) | block[ports + 3], family: name },
  ];
}

function ipv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text, as getpeername's inet_ntop would print it. */
function ipv6(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  return new NetSocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** A sun_path: up to its first NUL ('' for an abstract or unnamed socket). */
function unixAddress(path: Uint8Array): SocketAddress {
  const nul = path.indexOf(0);
  return { address: utf8.decode(nul < 0 ? path : path.subarray(0, nul)), port: 0, family: 'unix' };
}
