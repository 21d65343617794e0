// `simple-stream echo --threads N`: the CLI's echo on a worker pool, plain and over TLS,
// spreading connections over its workers, then exiting cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { FrameReader, SimpleFrameBuilder } from '@simple-stream/frames';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCerts } from '../packages/tls/test/certs.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * Starts the CLI and resolves with the port it prints once listening, and that line. Its
 * stdout is read to the end: the CLI prints on SIGTERM too, and must not meet EPIPE.
 */
function startCli(args: string[]): Promise<{ child: ChildProcess; port: number; line: string }> {
  const child = spawn(process.execPath, ['examples/cli.mjs', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /^.*listening on [\d.]+:(\d+).*$/m.exec(out);
      if (m) resolve({ child, port: Number(m[1]), line: m[0] });
    });
    child.once('exit', () => reject(new Error(`the CLI exited before listening: ${out}`)));
  });
}

/** Sends Simple frames on `socket` and resolves with the payloads of as many frames back. */
async function echo(socket: net.Socket, payloads: Uint8Array[]): Promise<string[]> {
  const builder = new SimpleFrameBuilder();
  const reader = new FrameReader(builder);
  const got: string[] = [];
  socket.write(Buffer.concat(payloads.map((p) => builder.build(p).toBytes())));
  for await (const chunk of socket) {
    got.push(...reader.push(new Uint8Array(chunk as Buffer)).map((f) => Buffer.from(f.payload).toString('hex')));
    if (got.length >= payloads.length) break;
  }
  socket.destroy();
  return got;
}

const hex = (p: Uint8Array) => Buffer.from(p).toString('hex');

describe('simple-stream echo --threads', () => {
  it('echoes over every worker, then exits 0 on SIGTERM', async () => {
    const { child, port, line } = await startCli(['echo', '--port', '0', '--threads', '3']);
    expect(line).toMatch(/3 worker threads/);
    // Six connections at once, dealt in turn over the three workers.
    const sockets = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const s = net.connect(port, '127.0.0.1');
        await once(s, 'connect');
        return s;
      }),
    );
    const results = await Promise.all(sockets.map((s, i) => echo(s, [Uint8Array.of(i), new Uint8Array(30_000).fill(i)])));
    results.forEach((got, i) => expect(got).toEqual([hex(Uint8Array.of(i)), hex(new Uint8Array(30_000).fill(i))]));
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('serves TLS from every worker, each reading the certificate files', async () => {
    const certs = makeCerts();
    try {
      const dir = certs.dir;
      const { child, port } = await startCli(['echo', '--port', '0', '--threads', '2', '--tls', '--cert', `${dir}/server.crt`, '--key', `${dir}/server.key`]);
      for (let i = 0; i < 2; i++) {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca.cert });
        await once(socket, 'secureConnect');
        expect(await echo(socket, [Uint8Array.of(7, i)])).toEqual([hex(Uint8Array.of(7, i))]);
      }
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      certs.remove();
    }
  });
});
