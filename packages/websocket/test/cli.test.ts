// The simple-stream CLI's WebSocket echo (examples/cli.mjs echo --framing websocket, which
// runs the built packages): every message back with its type, over ws:// and wss://.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WS from 'ws';
import { makeCerts } from '../../tls/test/certs.js';
import { bounded } from './helpers.js';
import { cliStarter } from '../../../test/cli-process.js';

const startCli = cliStarter();

/** Sends a text and a binary message and returns the echoes as [isBinary, data]. */
async function echoBoth(c: WS): Promise<Array<[boolean, string]>> {
  await bounded(once(c, 'open'), 'open');
  const got: Array<[boolean, string]> = [];
  const done = new Promise<void>((resolve) => c.on('message', (d: Buffer, b: boolean) => got.push([b, d.toString('hex')]) === 2 && resolve()));
  c.send('text message');
  c.send(Buffer.from([0, 1, 2, 254]));
  await bounded(done, 'two echoes');
  return got;
}

describe('simple-stream echo --framing websocket', () => {
  it('echoes text as text and binary as binary, then exits on SIGTERM', async () => {
    const { child, port, line } = await startCli(['echo', '--port', '0', '--framing', 'websocket', '--deflate']);
    expect(line).toMatch(/WebSocket messages, permessage-deflate/);
    const c = new WS(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
    try {
      expect(await echoBoth(c)).toEqual([[false, Buffer.from('text message').toString('hex')], [true, '000102fe']]);
      expect(c.extensions).toMatch(/permessage-deflate/);
    } finally {
      c.terminate();
    }
    child.kill('SIGTERM');
    const [code] = await bounded(once(child, 'exit'), 'the CLI to exit');
    expect(code).toBe(0);
  });

  it('serves wss:// with --tls', async () => {
    const certs = makeCerts();
    try {
      const { port, line } = await startCli(['echo', '--port', '0', '--framing', 'websocket', '--tls', '--cert', `${certs.dir}/server.crt`, '--key', `${certs.dir}/server.key`]);
      expect(line).toMatch(/\(TLS\)$/);
      const c = new WS(`wss://localhost:${port}/`, { ca: certs.ca.cert });
      try {
        expect((await echoBoth(c)).map(([b]) => b)).toEqual([false, true]);
      } finally {
        c.terminate();
      }
    } finally {
      certs.remove();
    }
  });

  it('refuses --deflate without --framing websocket', () => {
    const r = spawnSync(process.execPath, ['examples/cli.mjs', 'echo', '--port', '0', '--deflate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--deflate goes with --framing websocket/);
  });
});
