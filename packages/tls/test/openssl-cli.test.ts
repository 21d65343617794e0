// Against the openssl CLI (another program, its own TLS state machine): `s_client` talks
// to our server, our client talks to `s_server`. Each child is bounded and killed by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { DuplexTransport } from '@simple-stream/stream';
import { Secure, TlsContext } from '../src/index.js';
import { makeCerts, type Certs } from './certs.js';
import { WAIT_MS, bounded, payload, sameBytes, secureEchoServer } from './helpers.js';

let certs: Certs;
const children: ChildProcess[] = [];
beforeAll(() => {
  certs = makeCerts();
  for (const name of ['ca', 'server']) {
    writeFileSync(join(certs.dir, `${name}-cli.crt`), name === 'ca' ? certs.ca.cert : certs.server.cert);
  }
  writeFileSync(join(certs.dir, 'server-cli.key'), certs.server.key, { mode: 0o600 });
});
afterAll(() => {
  for (const child of children) kill(child, 'SIGKILL');
  certs.remove();
});

const builder = new SimpleFrameBuilder();

/** Spawns openssl; its stdout is collected into `output`. */
function openssl(args: string[]): { child: ChildProcess; output: () => Buffer } {
  const child = spawn('openssl', args, { cwd: certs.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  child.stderr!.resume();
  return { child, output: () => Buffer.concat(chunks) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // It exited meanwhile (ESRCH).
  }
}

describe.each(['-tls1_2', '-tls1_3'])('openssl s_client %s', (flag) => {
  it('verifies our server and gets its frames echoed', async () => {
    const server = await secureEchoServer(builder, TlsContext.server({ ...certs.server }));
    const frame = Buffer.from(builder.build(payload(3000)).toBytes());
    const { child, output } = openssl(['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-CAfile', 'ca-cli.crt', '-verify_return_error', '-quiet', flag]);
    try {
      child.stdin!.write(frame);
      await until(() => output().length >= frame.length, 'the echo');
      expect(sameBytes(output().subarray(0, frame.length), frame)).toBe(true);
      expect(server.streams[0].protocol).toBe(flag === '-tls1_2' ? 'TLSv1.2' : 'TLSv1.3');
    } finally {
      kill(child);
      await server.close();
    }
  });
});

it('our client verifies openssl s_server and exchanges frames with it', async () => {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as net.AddressInfo).port;
  probe.close();
  const { child, output } = openssl(['s_server', '-accept', `127.0.0.1:${port}`, '-cert', 'server-cli.crt', '-key', 'server-cli.key', '-naccept', '1', '-quiet']);
  try {
    let socket: net.Socket | undefined;
    // s_server prints nothing when it listens (-quiet): try until it accepts.
    for (let i = 0; socket === undefined || socket.readyState !== 'open'; i++) {
      expect(i).toBeLessThan(200);
      const attempt = net.connect(port, '127.0.0.1');
      socket = attempt;
      await new Promise<void>((resolve) => {
        attempt.once('connect', resolve);
        attempt.once('error', () => setTimeout(resolve, 20)); // not listening yet
      });
    }
    const client = new Secure(new DuplexTransport(socket), builder, TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' }));
    const sent = Buffer.from(builder.build(payload(500, 1)).toBytes());
    await bounded(client.bSend(builder.build(payload(500, 1))), 'our send');
    await until(() => output().length >= sent.length, 's_server to print our frame');
    expect(sameBytes(output().subarray(0, sent.length), sent)).toBe(true);
    expect(client.authorized).toBe(true);
    child.stdin!.write(Buffer.from(builder.build(payload(700, 2)).toBytes()));
    const frames = await bounded(client.bRecv(), "s_server's frame");
    expect(sameBytes(frames[0].payload, payload(700, 2))).toBe(true);
    client.close();
  } finally {
    kill(child);
  }
});
