// The PROXY protocol header parser (HAProxy's proxy-protocol.txt, v1 and v2), on its own:
// valid headers of every kind, every invalid shape the spec names, arrival byte by byte,
// and fast-check properties over generated headers and arbitrary bytes.
import { SocketAddress as NetSocketAddress } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionError, PROXY_HEADER_MAX_LENGTH, parseProxyHeader, type ProxyHeader, type ProxyProtocolMode } from '../src/index.js';

type Mode = Exclude<ProxyProtocolMode, false>;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
const SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
const u16 = (n: number): number[] => [n >> 8, n & 0xff];

/** A v2 header: version/command byte, family/transport byte, then `body` (addresses, TLVs). */
function v2(verCmd: number, fam: number, body: Uint8Array | number[] = []): Uint8Array {
  const block = Uint8Array.from(body);
  return concat(SIGNATURE, Uint8Array.of(verCmd, fam, ...u16(block.length)), block);
}
const PROXY = 0x21;
const LOCAL = 0x20;
const TCP4 = 0x11;
const TCP6 = 0x21;
const UNIX_STREAM = 0x31;
const UDP4 = 0x12;

/** The address block of TCP over IPv4. */
const inet = (src: number[], dst: number[], sport: number, dport: number): number[] => [...src, ...dst, ...u16(sport), ...u16(dport)];
/** One TLV. */
const tlv = (type: number, value: number[]): number[] => [type, ...u16(value.length), ...value];

/** Parses `bytes`; asserts that every shorter prefix asks for more (the header arriving byte by byte). */
function parseFragmented(bytes: Uint8Array, mode: Mode = 'any'): ProxyHeader {
  const header = parseProxyHeader(bytes, mode);
  expect(header).not.toBeNull();
  for (let k = 0; k < header!.length; k++) expect(parseProxyHeader(bytes.subarray(0, k), mode)).toBeNull();
  return header!;
}

/** The ConnectionError `PROXY_PROTOCOL` message `bytes` are refused with. */
function refusal(bytes: Uint8Array, mode: Mode = 'any'): string {
  try {
    parseProxyHeader(bytes, mode);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe('PROXY_PROTOCOL');
    return (err as Error).message;
  }
  throw new Error(`accepted: ${Buffer.from(bytes).toString('latin1')}`);
}

describe('v1', () => {
  it('reads TCP4, with the data after the line left alone', () => {
    const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
    const header = parseFragmented(ascii(line + 'GET / HTTP/1.1\r\n\r\n'));
    expect(header).toEqual({
      version: 1,
      command: 'PROXY',
      source: { address: '192.168.0.1', port: 56324, family: 'IPv4' },
      destination: { address: '192.168.0.11', port: 443, family: 'IPv4' },
      length: line.length,
    });
  });

  it('reads TCP6 and prints addresses as getpeername would (lower case, compressed)', () => {
    const header = parseFragmented(ascii('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::ffff:127.0.0.1 0 65535\r\n'));
    expect(header.source).toEqual({ address: '2001:db8::1', port: 0, family: 'IPv6' });
    expect(header.destination).toEqual({ address: '::ffff:127.0.0.1', port: 65535, family: 'IPv6' });
  });

  it('reads UNKNOWN, short and in its longest form, with no addresses', () => {
    expect(parseFragmented(ascii('PROXY UNKNOWN\r\n'))).toEqual({ version: 1, command: 'PROXY', source: null, destination: null, length: 15 });
    const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const longest = `PROXY UNKNOWN ${full} ${full} 65535 65535\r\n`;
    expect(longest.length).toBe(107);
    expect(parseFragmented(ascii(longest)).length).toBe(107);
    // UNKNOWN's rest is to be ignored, whatever it holds.
    expect(parseFragmented(ascii('PROXY UNKNOWN what ever\r\n')).source).toBeNull();
  });

  it('waits for up to 107 bytes without CRLF, and refuses the 107th', () => {
    const long = 'PROXY UNKNOWN ' + 'x'.repeat(92);
    expect(long.length).toBe(106);
    expect(parseProxyHeader(ascii(long), 'v1')).toBeNull();
    // A CR as 106th byte may still be followed by its LF as 107th; as 107th, it may not.
    expect(parseProxyHeader(ascii(long.slice(0, 105) + '\r'), 'v1')).toBeNull();
    expect(parseProxyHeader(ascii(long.slice(0, 105) + '\r\n'), 'v1')!.length).toBe(107);
    expect(refusal(ascii(long + '\r'))).toMatch(/no CRLF within the 107 bytes/);
    expect(refusal(ascii(long + 'x'))).toMatch(/no CRLF within the 107 bytes/);
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['LF alone', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', /LF alone/],
    ['CR alone', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX', /CR not followed by LF/],
    ['lower case', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n', /expected a v1 line or the v2 signature/],
    ['an unknown protocol', 'PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n', /TCP4, TCP6 or UNKNOWN/],
    ['no protocol', 'PROXY\r\n', /no protocol/],
    ['two spaces', 'PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n', /TCP4, TCP6 or UNKNOWN/],
    ['a field missing', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', /6 fields/],
    ['a field too many', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n', /6 fields/],
    ['a trailing space', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', /6 fields/],
    ['an IPv4 heading zero', 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n', /not dotted decimal/],
    ['an IPv4 byte over 255', 'PROXY TCP4 1.2.3.4 5.6.7.256 1 2\r\n', /not dotted decimal/],
    ['IPv6 under TCP4', 'PROXY TCP4 ::1 ::1 1 2\r\n', /not dotted decimal/],
    ['IPv4 under TCP6', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n', /not an IPv6 address/],
    ['an IPv6 zone', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', /not an IPv6 address/],
    ['two ::', 'PROXY TCP6 1::2::3 ::1 1 2\r\n', /not an IPv6 address/],
    ['a port over 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', /port "65536"/],
    ['a port heading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', /port "01"/],
    ['a negative port', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n', /port "-2"/],
    ['an HTTP request', 'GET / HTTP/1.1\r\n\r\n', /got byte 0x47 first/],
  ];
  it.each(invalid)('refuses %s', (_, line, message) => {
    expect(refusal(ascii(line))).toMatch(message);
  });

  it('refuses a bad start without waiting for the rest of the line', () => {
    expect(refusal(ascii('PROXZ'))).toMatch(/must start with "PROXY "/);
    expect(refusal(ascii('PROXY X'))).toMatch(/TCP4, TCP6 or UNKNOWN/);
    expect(refusal(ascii('PROXY TCP4X'))).toMatch(/TCP4, TCP6 or UNKNOWN/);
    expect(refusal(Uint8Array.of(0x16, 0x03, 0x01))).toMatch(/0x16/); // a TLS ClientHello
    expect(parseProxyHeader(ascii('PROXY TC'), 'any')).toBeNull();
    expect(parseProxyHeader(ascii('PROXY UNKNOWN'), 'any')).toBeNull();
  });
});

describe('v2', () => {
  it('reads TCP over IPv4, skipping TLVs, with the data after it left alone', () => {
    const header = v2(PROXY, TCP4, [...inet([127, 0, 0, 1], [10, 0, 0, 2], 40000, 8443), ...tlv(0x01, [0x68, 0x32]), ...tlv(0x04, [])]);
    const parsed = parseFragmented(concat(header, ascii('after')));
    expect(parsed).toEqual({
      version: 2,
      command: 'PROXY',
      source: { address: '127.0.0.1', port: 40000, family: 'IPv4' },
      destination: { address: '10.0.0.2', port: 8443, family: 'IPv4' },
      length: header.length,
    });
  });

  it('reads TCP over IPv6 in getpeername form', () => {
    const src = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1];
    const dst = [...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1];
    const parsed = parseFragmented(v2(PROXY, TCP6, [...src, ...dst, ...u16(1), ...u16(2)]));
    expect(parsed.source).toEqual({ address: '2001:db8::1', port: 1, family: 'IPv6' });
    expect(parsed.destination).toEqual({ address: '::ffff:127.0.0.1', port: 2, family: 'IPv6' });
  });

  it('reads UNIX stream paths up to their NUL', () => {
    const path = (p: string): number[] => [...ascii(p), ...Array(108 - p.length).fill(0)];
    const parsed = parseFragmented(v2(PROXY, UNIX_STREAM, [...path('/run/client.sock'), ...Array(108).fill(0)]));
    expect(parsed.source).toEqual({ address: '/run/client.sock', port: 0, family: 'unix' });
    expect(parsed.destination).toEqual({ address: '', port: 0, family: 'unix' });
  });

  it('takes LOCAL (a health check) whatever its block says, with no addresses', () => {
    expect(parseFragmented(v2(LOCAL, 0x00))).toEqual({ version: 2, command: 'LOCAL', source: null, destination: null, length: 16 });
    // The family is ignored for LOCAL, and the length is still honoured.
    expect(parseFragmented(v2(LOCAL, 0xff, [1, 2, 3])).length).toBe(19);
  });

  it('falls back to the real endpoints for AF_UNSPEC and for datagrams', () => {
    expect(parseFragmented(v2(PROXY, 0x00, [9, 9, 9])).source).toBeNull();
    const udp = parseFragmented(v2(PROXY, UDP4, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)));
    expect([udp.command, udp.source, udp.length]).toEqual(['PROXY', null, 28]);
  });

  it('takes a header of the largest length there is', () => {
    const body = [...inet([1, 1, 1, 1], [2, 2, 2, 2], 3, 4), ...tlv(0x04, Array(0xffff - 12 - 3).fill(0))];
    const header = v2(PROXY, TCP4, body);
    expect(header.length).toBe(PROXY_HEADER_MAX_LENGTH);
    expect(parseProxyHeader(header.subarray(0, header.length - 1), 'v2')).toBeNull();
    expect(parseProxyHeader(header, 'v2')!.length).toBe(PROXY_HEADER_MAX_LENGTH);
  });

  const addr = inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
  const invalid: Array<[string, Uint8Array, RegExp]> = [
    ['a signature byte wrong', concat(SIGNATURE.subarray(0, 4), Uint8Array.of(0x01)), /not the v2 signature/],
    ['version 1', v2(0x11, TCP4, addr), /version 1/],
    ['version 3', v2(0x31, TCP4, addr), /version 3/],
    ['command 2', v2(0x22, TCP4, addr), /command 0x2 is unassigned/],
    ['command 15', v2(0x2f, TCP4, addr), /command 0xf is unassigned/],
    ['family 4', v2(PROXY, 0x41, addr), /family 0x4/],
    ['transport 3', v2(PROXY, 0x13, addr), /transport 0x3/],
    ['IPv4 addresses cut short', v2(PROXY, TCP4, addr.slice(0, 11)), /shorter than the family's 12 bytes/],
    ['IPv6 addresses cut short', v2(PROXY, TCP6, Array(35).fill(0)), /shorter than the family's 36 bytes/],
    ['UNIX addresses cut short', v2(PROXY, UNIX_STREAM, Array(215).fill(0)), /shorter than the family's 216 bytes/],
    ['a TLV header cut short', v2(PROXY, TCP4, [...addr, 0x04, 0x00]), /TLV at byte 28 is cut short/],
    ['a TLV running past the end', v2(PROXY, TCP4, [...addr, ...tlv(0x01, [1, 2, 3]).slice(0, 5)]), /TLV runs past/],
  ];
  it.each(invalid)('refuses %s', (_, bytes, message) => {
    expect(refusal(bytes)).toMatch(message);
  });

  it('refuses as soon as a fixed field is wrong, and an address block too short for its family before it arrives', () => {
    expect(refusal(Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0b))).toMatch(/not the v2 signature/);
    expect(refusal(concat(SIGNATURE, Uint8Array.of(0x11)))).toMatch(/version 1/);
    expect(refusal(concat(SIGNATURE, Uint8Array.of(PROXY, 0x51)))).toMatch(/family 0x5/);
    expect(refusal(concat(SIGNATURE, Uint8Array.of(PROXY, TCP6, 0, 20)))).toMatch(/shorter than the family's 36/);
  });
});

describe('modes', () => {
  const line = ascii('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n');
  const binary = v2(PROXY, TCP4, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));

  it("'v1' refuses v2, 'v2' refuses v1, 'any' takes both alike", () => {
    expect(refusal(binary, 'v1')).toMatch(/expected a v1 line/);
    expect(refusal(line, 'v2')).toMatch(/expected the v2 signature/);
    const a = parseProxyHeader(line, 'any')!;
    const b = parseProxyHeader(binary, 'any')!;
    expect([a.version, b.version]).toEqual([1, 2]);
    expect(a.source).toEqual(b.source);
    expect(a.destination).toEqual(b.destination);
  });

  it('asks for more on no bytes at all', () => {
    for (const mode of ['v1', 'v2', 'any'] as const) expect(parseProxyHeader(new Uint8Array(0), mode)).toBeNull();
  });
});

describe('properties', () => {
  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
  const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
  const port = fc.nat(65535);
  const trailing = fc.uint8Array({ maxLength: 64 });
  const v6Text = (b: Uint8Array): string => {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
    return groups.join(':');
  };
  const canonical6 = (b: Uint8Array): string => new NetSocketAddress({ address: v6Text(b), family: 'ipv6' }).address;

  it('v1: any TCP4/TCP6 line reads back its addresses and ports, whatever follows; every prefix asks for more', () => {
    fc.assert(
      fc.property(fc.boolean(), ipv4, ipv4, ipv6, ipv6, port, port, trailing, (six, s4, d4, s6, d6, sp, dp, after) => {
        const [src, dst] = six ? [canonical6(s6), canonical6(d6)] : [s4.join('.'), d4.join('.')];
        const line = `PROXY ${six ? 'TCP6' : 'TCP4'} ${six ? v6Text(s6) : src} ${six ? v6Text(d6) : dst} ${sp} ${dp}\r\n`;
        const header = parseFragmented(concat(ascii(line), after), 'v1');
        const family = six ? 'IPv6' : 'IPv4';
        expect(header.source).toEqual({ address: src, port: sp, family });
        expect(header.destination).toEqual({ address: dst, port: dp, family });
        expect(header.length).toBe(line.length);
      }),
      { numRuns: 300 },
    );
  });

  it('v2: any TCP header with TLVs reads back its addresses; every prefix asks for more', () => {
    const tlvs = fc.array(fc.tuple(fc.nat(255), fc.uint8Array({ maxLength: 40 })), { maxLength: 5 });
    fc.assert(
      fc.property(fc.boolean(), ipv4, ipv4, ipv6, ipv6, port, port, tlvs, trailing, (six, s4, d4, s6, d6, sp, dp, extra, after) => {
        const addresses = six ? [...s6, ...d6, ...u16(sp), ...u16(dp)] : inet(s4, d4, sp, dp);
        const header = v2(PROXY, six ? TCP6 : TCP4, [...addresses, ...extra.flatMap(([t, v]) => tlv(t, [...v]))]);
        const parsed = parseFragmented(concat(header, after), 'v2');
        const family = six ? 'IPv6' : 'IPv4';
        expect(parsed.source).toEqual({ address: six ? canonical6(s6) : s4.join('.'), port: sp, family });
        expect(parsed.destination).toEqual({ address: six ? canonical6(d6) : d4.join('.'), port: dp, family });
        expect(parsed.length).toBe(header.length);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes: null, a header within them, or ConnectionError PROXY_PROTOCOL; a refused prefix stays refused', () => {
    // Bytes biased towards the start of real headers, so that the deep paths are reached.
    const start = fc.constantFrom(new Uint8Array(0), ascii('PROXY '), ascii('PROXY TCP4 '), ascii('PROXY UNKNOWN'), SIGNATURE, concat(SIGNATURE, Uint8Array.of(PROXY)));
    const bytes = fc.tuple(start, fc.uint8Array({ maxLength: 300 })).map(([a, b]) => concat(a, b));
    fc.assert(
      fc.property(bytes, fc.constantFrom<Mode>('v1', 'v2', 'any'), fc.nat(), (all, mode, cut) => {
        const outcome = (b: Uint8Array): 'more' | 'header' | 'refused' => {
          try {
            const h = parseProxyHeader(b, mode);
            if (h !== null) expect(h.length).toBeLessThanOrEqual(b.length);
            return h === null ? 'more' : 'header';
          } catch (err) {
            if (!(err instanceof ConnectionError) || err.code !== 'PROXY_PROTOCOL') throw err;
            return 'refused';
          }
        };
        const whole = outcome(all);
        const prefix = outcome(all.subarray(0, cut % (all.length + 1)));
        if (prefix === 'refused') expect(whole).toBe('refused');
        if (prefix === 'header') expect(whole).toBe('header');
      }),
      { numRuns: 2000 },
    );
  });
});
