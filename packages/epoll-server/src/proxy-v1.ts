import { SocketAddress as NetSocketAddress, isIPv4, isIPv6 } from 'node:net';
import type { SocketAddress } from './native.js';
import { proxyProtocolError, type ProxyHeader } from './proxy-header.js';

/** The longest v1 line, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses). */
export const V1_MAX_LENGTH = 107;

const CR = 0x0d;
const LF = 0x0a;
const PREFIX = 'PROXY ';
const PROTOCOLS = ['TCP4', 'TCP6', 'UNKNOWN'];
/** Decimal, no heading zero (the spec forbids them, to rule out octal readings). */
const PORT = /^(0|[1-9][0-9]{0,4})$/;

/**
 * Parses a v1 line ("PROXY TCP4 <src> <dst> <sport> <dport>\r\n") at the start of
 * `bytes`; see `parseProxyHeader`. What is wrong is said as soon as it shows (a bad
 * keyword, a bare CR or LF, 107 bytes without CRLF), without waiting for the line's end.
 */
export function parseProxyV1(bytes: Uint8Array): ProxyHeader | null {
  const seen = Math.min(bytes.length, V1_MAX_LENGTH);
  let cr = -1;
  for (let i = 0; i < seen; i++) {
    const b = bytes[i];
    if (b === CR) {
      cr = i;
      break;
    }
    if (b === LF) throw proxyProtocolError('v1 line ends with LF alone (CRLF required)');
  }
  checkStart(bytes, cr < 0 ? seen : cr);
  if (cr < 0) {
    if (bytes.length >= V1_MAX_LENGTH) throw proxyProtocolError(`no CRLF within the ${V1_MAX_LENGTH} bytes a v1 line may take`);
    return null;
  }
  if (cr + 2 > V1_MAX_LENGTH) throw proxyProtocolError(`no CRLF within the ${V1_MAX_LENGTH} bytes a v1 line may take`);
  if (cr + 1 === bytes.length) return null;
  if (bytes[cr + 1] !== LF) throw proxyProtocolError('v1 line has a CR not followed by LF');
  return lineHeader(latin1(bytes, cr), cr + 2);
}

/** Rejects early a line whose "PROXY " or protocol keyword is already wrong. */
function checkStart(bytes: Uint8Array, end: number): void {
  const head = latin1(bytes, Math.min(end, PREFIX.length));
  if (!PREFIX.startsWith(head)) throw proxyProtocolError(`v1 line must start with "${PREFIX}"`);
  if (end <= PREFIX.length) return;
  const rest = latin1(bytes, end).slice(PREFIX.length);
  const space = rest.indexOf(' ');
  const keyword = space < 0 ? rest : rest.slice(0, space);
  const complete = space >= 0 || end < bytes.length;
  if (!PROTOCOLS.some((p) => (complete ? p === keyword : p.startsWith(keyword)))) {
    throw proxyProtocolError(`v1 protocol must be TCP4, TCP6 or UNKNOWN, got "${keyword.slice(0, 16)}"`);
  }
}

/** The header of a whole line (without its CRLF) that took `length` bytes. */
function lineHeader(line: string, length: number): ProxyHeader {
  const fields = line.split(' ');
  if (!PROTOCOLS.includes(fields[1] ?? '')) throw proxyProtocolError('v1 line has no protocol (TCP4, TCP6 or UNKNOWN)');
  // UNKNOWN: the rest of the line, whatever it is, is to be ignored.
  if (fields[1] === 'UNKNOWN') return { version: 1, command: 'PROXY', source: null, destination: null, length };
  if (fields.length !== 6) throw proxyProtocolError(`v1 ${fields[1]} line needs 6 fields separated by single spaces, got ${fields.length}`);
  const family = fields[1] === 'TCP4' ? 'IPv4' : 'IPv6';
  return {
    version: 1,
    command: 'PROXY',
    source: endpoint(fields[2], fields[4], family),
    destination: endpoint(fields[3], fields[5], family),
    length,
  };
}

function endpoint(address: string, port: string, family: 'IPv4' | 'IPv6'): SocketAddress {
  return { address: canonical(address, family), port: portOf(port), family };
}

/** The address as getpeername would print it; throws unless it is a plain address of `family`. */
function canonical(address: string, family: 'IPv4' | 'IPv6'): string {
  if (family === 'IPv4') {
    if (!isIPv4(address)) throw proxyProtocolError(`v1 TCP4 address "${address.slice(0, 40)}" is not dotted decimal`);
    return address;
  }
  // A zone (%eth0) means nothing on another machine: the spec allows none.
  if (!isIPv6(address) || address.includes('%')) throw proxyProtocolError(`v1 TCP6 address "${address.slice(0, 40)}" is not an IPv6 address`);
  return new NetSocketAddress({ address, family: 'ipv6' }).address;
}

function portOf(text: string): number {
  const port = PORT.test(text) ? Number(text) : -1;
  if (port < 0 || port > 65535) throw proxyProtocolError(`v1 port "${text.slice(0, 8)}" is not a decimal 0 to 65535 without heading zeros`);
  return port;
}

/** `bytes[0, end)` as text: a header is ASCII, and anything else must fail to match. */
function latin1(bytes: Uint8Array, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(0, end) as unknown as number[]);
}
