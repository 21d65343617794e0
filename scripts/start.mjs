#!/usr/bin/env node
// npm start: the Simple-frame echo server on 127.0.0.1:1337 and, with a self-signed
// certificate made on first run into .certs/ (gitignored, never committed), the same echo
// over TLS on 127.0.0.1:1338. Without the openssl CLI, it says so and serves plain only.
// Next to them, in this process, the WebSocket chat (examples/chat) on 127.0.0.1:8080, or
// the next free port.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startChat } from '../examples/chat/server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.certs');
const cert = join(dir, 'localhost.crt');
const key = join(dir, 'localhost.key');

/** Makes a self-signed localhost certificate (EC P-256, one year) if there is none; false when it cannot. */
function ensureCertificate() {
  if (existsSync(cert) && existsSync(key)) return true;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert];
  args.push('-subj', '/CN=localhost', '-days', '365', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  const r = spawnSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : r.stderr.trim().split('\n').pop();
    console.log(`note: no TLS listener (could not make a certificate with the openssl CLI: ${why})`);
    return false;
  }
  console.log(`made a self-signed certificate for localhost: ${cert} (and its key; .certs/ is not in git)`);
  return true;
}

const args = ['echo', '--host', '127.0.0.1', '--port', '1337', '--counters'];
if (ensureCertificate()) {
  args.push('--tls-port', '1338', '--cert', cert, '--key', key);
  console.log(`TLS echo on 127.0.0.1:1338; try: openssl s_client -connect 127.0.0.1:1338 -CAfile ${cert}`);
}
const child = spawn(process.execPath, [join(root, 'examples/cli.mjs'), ...args], { stdio: 'inherit' });
// Ctrl-C reaches both processes (same process group): the CLI closes its servers; wait for it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
/** @type {import('@simple-stream/websocket').WebSocketServer | null} */
let chat = null;
child.on('exit', async (code, signal) => {
  await chat?.close({ timeoutMs: 1000 });
  process.exit(code ?? (signal === null ? 1 : 128));
});

/** The chat on the first free port from `first` on (10 tried); null, saying why, if none would do. */
async function startChatFrom(first) {
  for (let port = first; port < first + 10; port++) {
    try {
      return await startChat({ host: '127.0.0.1', port });
    } catch (err) {
      if (err?.code !== 'EADDRINUSE') {
        console.log(`note: no chat (${err?.message ?? err})`);
        return null;
      }
    }
  }
  console.log(`note: no chat (ports ${first} to ${first + 9} are all taken)`);
  return null;
}

chat = await startChatFrom(8080);
if (chat !== null) console.log(`chat on http://127.0.0.1:${chat.port}/ (open it in two browser tabs)`);
