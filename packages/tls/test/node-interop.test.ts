// Secure against Node's own TLS (the same OpenSSL, a different engine): our server with
// Node's tls client over node:net sockets, and our client with Node's tls server.
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Checksum32FrameBuilder, SimpleFrameBuilder, type FrameBuilder } from '@simple-stream/frames';
import { DuplexTransport } from '@simple-stream/stream';
import { Secure, TlsContext, type TlsVersion } from '../src/index.js';
import { fileCerts } from './certs.js';
import { SIZES, SocketFrames, bounded, copy, payload, sameBytes, secureEchoServer } from './helpers.js';

const certs = fileCerts();

const framings: Array<{ name: string; builder: FrameBuilder; max: number }> = [
  { name: 'Simple', builder: new SimpleFrameBuilder(), max: 65_535 },
  { name: 'Checksum32', builder: new Checksum32FrameBuilder(), max: 65_536 },
];
const versions: TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];

/** Node's tls client, connected and verified. */
async function nodeClient(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca.cert, ...options });
  await bounded(once(socket, 'secureConnect'), 'secureConnect');
  return socket;
}

/** Node's tls server echoing raw bytes (framing is symmetric, so frames come back). */
async function nodeEchoServer(options: tls.TlsOptions = {}): Promise<{ port: number; server: tls.Server }> {
  const server = tls.createServer({ cert: certs.server.cert, key: certs.server.key, ...options }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, server };
}

/** Our client over a node:net socket. */
async function ourClient(port: number, context: TlsContext, builder: FrameBuilder): Promise<Secure> {
  const socket = net.connect(port, '127.0.0.1');
  await bounded(once(socket, 'connect'), 'connect');
  return new Secure(new DuplexTransport(socket), builder, context);
}

describe.each(framings)('$name frames', ({ builder, max }) => {
  const sizes = [...SIZES, max];

  it.each(versions)('our server echoes Node %s client frames of 0 B to 64 KiB', async (version) => {
    const context = TlsContext.server({ cert: certs.server.cert, key: certs.server.key });
    const server = await secureEchoServer(builder, context);
    try {
      const socket = await nodeClient(server.port, { minVersion: version, maxVersion: version });
      const frames = new SocketFrames(socket, builder);
      for (const [i, n] of sizes.entries()) socket.write(builder.build(payload(n, i)).toBytes());
      const got = await frames.until(sizes.length);
      sizes.forEach((n, i) => expect(sameBytes(got[i].payload, payload(n, i))).toBe(true));
      expect(socket.getProtocol()).toBe(version);
      expect(server.streams[0].protocol).toBe(version);
      // Node's end() sends close_notify: our server reads END, echoes its own, shuts down.
      socket.end();
      await bounded(once(socket, 'end'), "our server's end");
      expect(server.streams[0].ended).toBe(true);
      expect(server.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it.each(versions)("our %s client's frames come back from Node's tls server", async (version) => {
    const { port, server } = await nodeEchoServer();
    try {
      const context = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost', minVersion: version, maxVersion: version });
      const client = await ourClient(port, context, builder);
      const got: Uint8Array[] = [];
      for (const [i, n] of sizes.entries()) await bounded(client.bSend(builder.build(payload(n, i))), `send ${n}`);
      while (got.length < sizes.length) {
        const frames = await bounded(client.bRecv(), 'echoed frames');
        expect(client.ended).toBe(false);
        got.push(...frames.map((f) => copy(f.payload)));
      }
      sizes.forEach((n, i) => expect(sameBytes(got[i], payload(n, i))).toBe(true));
      expect(client.protocol).toBe(version);
      expect(client.authorized).toBe(true);
      expect(client.peerCertificate?.subject.CN).toBe('localhost');
      client.close();
    } finally {
      server.close();
    }
  });
});

describe('ends and handshakes with Node', () => {
  const builder = new SimpleFrameBuilder();

  it("our shutdown reaches Node's client as close_notify and the end", async () => {
    const context = TlsContext.server({ cert: certs.server.cert, key: certs.server.key });
    const server = await secureEchoServer(builder, context, async (stream) => {
      await stream.bHandshake();
      await stream.bSend(builder.build(payload(7)));
      stream.shutdown();
    });
    try {
      const socket = await nodeClient(server.port);
      const frames = new SocketFrames(socket, builder);
      await frames.until(1);
      await bounded(once(socket, 'end'), 'the end');
      expect(frames.frames).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("reads Node's destroy() after the handshake as a clean END", async () => {
    let ended: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const context = TlsContext.server({ cert: certs.server.cert, key: certs.server.key });
    const server = await secureEchoServer(builder, context, async (stream) => {
      const frames = await stream.bRecv();
      expect(frames).toHaveLength(1);
      expect(await stream.bRecv()).toEqual([]);
      expect(stream.ended).toBe(true);
      ended();
    });
    try {
      const socket = await nodeClient(server.port);
      socket.write(builder.build(payload(3)).toBytes(), () => socket.destroy());
      await bounded(done, 'END on the server');
      expect(server.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
