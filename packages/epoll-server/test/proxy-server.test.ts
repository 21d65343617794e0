// config.proxyProtocol inside the epoll server, against node:net clients that write the
// header themselves: the handler sees the header's client, the stream never sees the
// header, bad or late headers close only their connection. Every wait is on an event
// with a bound; afterEach closes everything and checks the fd table.
import { FrameError } from '@simple-stream/frames';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, begin, type Socket } from '../src/index.js';
import { Resources, WAIT_MS, str, text, type TestServer } from './helpers.js';

const res = new Resources();
beforeAll(() => res.warmUp());
afterEach(async () => expect(await res.closeAll()).toEqual([]));

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
/** A v2 PROXY header for TCP over IPv4, with a NOOP TLV of `padding` bytes (to be skipped). */
function v2Header(src: number[], sport: number, dst: number[], dport: number, padding = 2): Buffer {
  const noop = [0x04, padding >> 8, padding & 0xff, ...new Array<number>(padding).fill(0xaa)];
  const block = [...src, ...dst, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, ...noop];
  return Buffer.from([...SIGNATURE, 0x21, 0x11, block.length >> 8, block.length & 0xff, ...block]);
}
const V2_LOCAL = Buffer.from([...SIGNATURE, 0x20, 0x00, 0, 0]);

/**
 * Resolves once `condition()` holds, checked after each turn of the loop (the server's
 * waiting sockets change without a handler callback to notify); fails after `WAIT_MS`.
 */
async function poll(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets the server's loop run between two writes (the outcome must not depend on it). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Records each open connection's addresses as onOpen saw them. */
function addressesAtOpen(): { seen: Map<number, ReturnType<typeof describeSocket>>; onOpen(socket: Socket): void } {
  const seen = new Map<number, ReturnType<typeof describeSocket>>();
  return { seen, onOpen: (socket) => void seen.set(socket.fd, describeSocket(socket)) };
}
function describeSocket(socket: Socket) {
  return { remote: socket.remoteAddress, peer: socket.peerAddress, header: socket.proxyHeader };
}

async function onlyRemoval(t: TestServer): Promise<Error | null> {
  await t.signal.until(() => t.removals().length === 1, 'one removal');
  return t.removals()[0].reason;
}

describe('a valid header', () => {
  it('v1: the handler sees the client of the header, the stream the bytes after it', async () => {
    const open = addressesAtOpen();
    const t = await res.server({ onOpen: open.onOpen }, { proxyProtocol: 'v1' });
    const c = await res.client(t.port);
    await c.writeRaw(Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n'), c.encode(text('first'), text('second'))]));
    expect((await c.receive(2)).map(str)).toEqual(['first', 'second']);
    const [fd, at] = [...open.seen][0];
    expect(at.remote).toEqual({ address: '203.0.113.7', port: 51000, family: 'IPv4' });
    expect(at.peer).toEqual({ address: '127.0.0.1', port: c.socket.localPort, family: 'IPv4' });
    expect(at.header).toMatchObject({ version: 1, command: 'PROXY', destination: { address: '198.51.100.1', port: 443, family: 'IPv4' } });
    expect(t.events.filter((e) => e.fd === fd).map((e) => e.type)).toEqual(['new', 'open', 'data', 'data']);
  });

  it('v2 arriving byte by byte, then a frame split across writes', async () => {
    const open = addressesAtOpen();
    const t = await res.server({ onOpen: open.onOpen }, { proxyProtocol: 'v2' });
    const c = await res.client(t.port);
    const header = v2Header([192, 0, 2, 1], 40000, [127, 0, 0, 1], t.port);
    await c.writeRaw(header.subarray(0, 1));
    await poll(() => t.server.awaitingProxyHeader === 1, 'the server to wait for the rest of the header');
    for (const byte of header.subarray(1)) {
      await c.writeRaw(Uint8Array.of(byte));
      await turn();
    }
    const frame = c.encode(text('hello'));
    await c.writeRaw(frame.subarray(0, 3));
    await turn();
    await c.writeRaw(frame.subarray(3));
    expect((await c.receive(1)).map(str)).toEqual(['hello']);
    const at = [...open.seen.values()][0];
    expect(at.remote).toEqual({ address: '192.0.2.1', port: 40000, family: 'IPv4' });
    expect(at.header?.length).toBe(header.length);
  });

  it('v2 with TLVs far past the first look (60 kB): all of it is removed, nothing more', async () => {
    const open = addressesAtOpen();
    const t = await res.server({ onOpen: open.onOpen }, { proxyProtocol: 'v2' });
    const c = await res.client(t.port);
    const header = v2Header([198, 51, 100, 9], 65535, [127, 0, 0, 1], t.port, 60_000);
    await c.writeRaw(Buffer.concat([header, c.encode(text('big header'), text('then this'))]));
    expect((await c.receive(2)).map(str)).toEqual(['big header', 'then this']);
    const at = [...open.seen.values()][0];
    expect(at.remote).toEqual({ address: '198.51.100.9', port: 65535, family: 'IPv4' });
    expect(at.header?.length).toBe(header.length);
  });

  it('v2 LOCAL (a health check): the real peer stands', async () => {
    const open = addressesAtOpen();
    const t = await res.server({ onOpen: open.onOpen }, { proxyProtocol: 'any' });
    const c = await res.client(t.port);
    await c.writeRaw(Buffer.concat([V2_LOCAL, c.encode(text('ping'))]));
    expect((await c.receive(1)).map(str)).toEqual(['ping']);
    const at = [...open.seen.values()][0];
    expect(at.remote).toEqual({ address: '127.0.0.1', port: c.socket.localPort, family: 'IPv4' });
    expect(at.header).toMatchObject({ version: 2, command: 'LOCAL', source: null });
  });

  it("without proxyProtocol (the default), a header is the stream's data: not a Simple frame", async () => {
    const t = await res.server();
    const c = await res.client(t.port);
    await c.writeRaw(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'));
    expect(await onlyRemoval(t)).toBeInstanceOf(FrameError);
    expect(t.events.map((e) => e.type)).toEqual(['created', 'new', 'open', 'removed']);
  });
});

describe('a bad or missing header', () => {
  it('closes that connection with PROXY_PROTOCOL, before onNewConnection; another is served meanwhile', async () => {
    const t = await res.server({}, { proxyProtocol: 'any' });
    const good = await res.client(t.port);
    await good.writeRaw(Buffer.from('PROXY UNKNOWN\r\n'));
    const bad = await res.client(t.port);
    await bad.writeRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const reason = await onlyRemoval(t);
    expect(reason).toBeInstanceOf(ConnectionError);
    expect((reason as ConnectionError).code).toBe('PROXY_PROTOCOL');
    expect(reason!.message).toMatch(/got byte 0x47 first/);
    await bad.signal.until(() => bad.closed, 'the bad client to be closed');
    const removedFd = t.removals()[0].fd;
    expect(t.events.filter((e) => e.fd === removedFd && e.type !== 'removed')).toEqual([]);
    expect(str(await good.roundTrip(text('still here')))).toBe('still here');
    expect(t.server.stats()).toMatchObject({ connections: 1, accepted: 2, removed: 1 });
  });

  it("'v1' refuses a v2 header", async () => {
    const t = await res.server({}, { proxyProtocol: 'v1' });
    const c = await res.client(t.port);
    await c.writeRaw(v2Header([1, 2, 3, 4], 1, [5, 6, 7, 8], 2));
    expect(((await onlyRemoval(t)) as ConnectionError).code).toBe('PROXY_PROTOCOL');
  });

  it('a peer that stalls mid-header is closed with HANDSHAKE_TIMEOUT after handshakeTimeoutMs', async () => {
    const t = await res.server({}, { proxyProtocol: 'v1', handshakeTimeoutMs: 300 });
    // Taken before connecting: the deadline runs from the accept, which comes after.
    const start = performance.now();
    const c = await res.client(t.port);
    await c.writeRaw(Buffer.from('PROXY TCP4 10.0'));
    const reason = await onlyRemoval(t);
    const elapsed = performance.now() - start;
    expect((reason as ConnectionError).code).toBe('HANDSHAKE_TIMEOUT');
    expect(reason!.message).toMatch(/PROXY header not complete within 300 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(300 + 1000);
  });

  it('a peer that ends mid-header, or before any byte, is closed with PROXY_PROTOCOL', async () => {
    const t = await res.server({}, { proxyProtocol: 'any' });
    const partial = await res.client(t.port);
    await partial.writeRaw(v2Header([1, 2, 3, 4], 1, [5, 6, 7, 8], 2).subarray(0, 20));
    partial.socket.end();
    const silent = await res.client(t.port);
    silent.socket.end();
    await t.signal.until(() => t.removals().length === 2, 'two removals');
    const messages = t.removals().map((r) => r.reason!.message).sort();
    expect(t.removals().every((r) => (r.reason as ConnectionError).code === 'PROXY_PROTOCOL')).toBe(true);
    expect(messages).toEqual(['PROXY protocol: the connection ended 20 bytes into its header', 'PROXY protocol: the connection ended before its header']);
  });

  it('server.close() closes connections still waiting for their header', async () => {
    const t = await res.server({}, { proxyProtocol: 'any' });
    const c = await res.client(t.port);
    await c.writeRaw(Buffer.from('PROXY '));
    await poll(() => t.server.awaitingProxyHeader === 1, 'the server to wait for the header');
    await t.server.close({ timeoutMs: 1000 });
    expect(t.server.awaitingProxyHeader).toBe(0);
    const reason = await onlyRemoval(t);
    expect((reason as ConnectionError).code).toBe('SERVER_CLOSED');
    await c.signal.until(() => c.closed, 'the client to be closed');
  });
});

describe('config', () => {
  it('refuses an unknown proxyProtocol', async () => {
    const handler = { onNewConnection: () => { throw new Error('unused'); }, onDataReceived: () => {} };
    await expect(begin(handler, { addr: '127.0.0.1', proxyProtocol: 'v3' as 'v1' })).rejects.toThrow(RangeError);
  });
});
