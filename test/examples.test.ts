import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { Checksum32FrameBuilder, FrameReader, SimpleFrameBuilder } from '@simple-stream/frames';
import { makeCerts } from '../packages/tls/test/certs.js';
// @ts-expect-error: a JavaScript example module without types
import { startHttpMock } from '../examples/http-mock/server.mjs';
import { cliStarter } from './cli-process.js';

const startCli = cliStarter();

/** Sends raw bytes and collects the reply until `done(reply)` says it is complete. */
async function exchange(port: number, bytes: Uint8Array | string, done: (reply: Buffer, chunk: Buffer) => boolean): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(bytes);
  let reply = Buffer.alloc(0);
  for await (const chunk of socket) {
    reply = Buffer.concat([reply, chunk as Buffer]);
    if (done(reply, chunk as Buffer)) break;
  }
  socket.destroy();
  return reply;
}

describe('the simple-stream CLI', () => {
  it('is a bin of the workspace: npx simple-stream --help prints the usage', () => {
    const r = spawnSync('npx', ['--no-install', 'simple-stream', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/simple-stream echo --port P/);
  });

  it('refuses bad arguments with exit code 2', () => {
    const r = spawnSync(process.execPath, ['examples/cli.mjs', 'echo', '--port', '70000'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--port must be/);
  });

  it('echo --framing checksum32 echoes Checksum32 frames, then exits on SIGTERM', async () => {
    const { child, port } = await startCli(['echo', '--port', '0', '--framing', 'checksum32']);
    const builder = new Checksum32FrameBuilder();
    const payloads = [new Uint8Array(0), new Uint8Array(5000).fill(7), Uint8Array.of(1, 2, 3)];
    const wire = Buffer.concat(payloads.map((p) => builder.build(p).toBytes()));
    const reader = new FrameReader(builder);
    const frames: Uint8Array[] = [];
    await exchange(port, wire, (_, chunk) => {
      frames.push(...reader.push(chunk).map((f) => f.payload));
      return frames.length >= payloads.length;
    });
    expect(frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});

describe('the simple-stream CLI over TLS', () => {
  it('echo --tls --cert --key echoes Simple frames to a TLS client, then exits on SIGTERM', async () => {
    const certs = makeCerts();
    try {
      const dir = certs.dir;
      const { child, port, line } = await startCli(['echo', '--port', '0', '--tls', '--cert', `${dir}/server.crt`, '--key', `${dir}/server.key`]);
      expect(line).toMatch(/\(TLS\)$/);
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca.cert });
      await once(socket, 'secureConnect');
      const builder = new SimpleFrameBuilder();
      const payloads = [new Uint8Array(0), new Uint8Array(40_000).fill(9), Uint8Array.of(4, 5)];
      const reader = new FrameReader(builder);
      const frames: Uint8Array[] = [];
      socket.write(Buffer.concat(payloads.map((p) => builder.build(p).toBytes())));
      for await (const chunk of socket) {
        frames.push(...reader.push(new Uint8Array(chunk as Buffer)).map((f) => f.payload.slice()));
        if (frames.length >= payloads.length) break;
      }
      socket.destroy();
      expect(frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      certs.remove();
    }
  });

  it('refuses --tls without --cert/--key, and an unreadable certificate, with exit code 2', () => {
    const r = spawnSync(process.execPath, ['examples/cli.mjs', 'echo', '--port', '0', '--tls'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/need --cert and --key/);
    const bad = spawnSync(process.execPath, ['examples/cli.mjs', 'echo', '--port', '0', '--tls', '--cert', '/nonexistent.crt', '--key', '/nonexistent.key'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/TLS: .*nonexistent/);
  });
});

describe('examples/http-mock: a user framer on the epoll server', () => {
  it('answers pipelined keep-alive requests, bodies included, with 200 hello', async () => {
    const server = await startHttpMock({ port: 0 });
    const requests = 'GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\nbodyGET /y HTTP/1.0\r\n\r\n';
    const reply = await exchange(server.port, requests, (r) => (r.toString().match(/hello\n/g) ?? []).length === 3);
    expect(reply.toString()).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n'.repeat(3));
    await server.close();
  });

  it('closes a connection that sends something other than HTTP, and only that one', async () => {
    const server = await startHttpMock({ port: 0 });
    const good = net.connect(server.port, '127.0.0.1');
    await once(good, 'connect');
    // The server closes the bad connection: the exchange ends with no reply at all.
    const bad = await exchange(server.port, 'NOT HTTP AT ALL\r\n\r\n', () => false);
    expect(bad.length).toBe(0);
    // The connection opened before it still gets answers.
    good.write('GET / HTTP/1.1\r\n\r\n');
    const [reply] = (await once(good, 'data')) as [Buffer];
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hello\n$/);
    expect(server.stats()).toMatchObject({ connections: 1, removed: 1 });
    good.destroy();
    await server.close();
  });
});
