#!/usr/bin/env node
// simple-stream: start the example servers.
//   simple-stream echo --port P [--host H] [--threads N] [--processes M] [--framing simple|checksum32|websocket] [--deflate] [--counters]
//                      [--tls --cert C --key K [--ca CA]] [--tls-port P2 --cert C --key K]
//   simple-stream http-mock --port P [--host H]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { framings, startEcho } from './echo/server.mjs';
import { startHttpMock } from './http-mock/server.mjs';

// WebSocket echo: every message back with its type, ws:// (or wss:// with --tls).
const WEBSOCKET = 'websocket';

const USAGE = `usage:
  simple-stream echo --port P [--host H] [--threads N] [--processes M] [--framing ${[...Object.keys(framings), WEBSOCKET].join('|')}] [--deflate] [--counters]
                     [--stats] [--proxy-protocol v1|v2|any]
                     [--tls --cert C --key K [--ca CA] [--handshake-timeout MS]] [--tls-port P2 --cert C --key K]
  simple-stream http-mock --port P [--host H] [--counters]

  --threads N         N worker threads, each with its own epoll loop (connections dealt in turn)
  --processes M       M server processes on the port (SO_REUSEPORT: the kernel spreads the
                      connections), each with --threads threads and its open-file limit raised
  --framing websocket WebSocket echo (RFC 6455): each message comes back with its type
  --deflate           with websocket: accept permessage-deflate (RFC 7692)
  --tls               serve TLS on --port (certificate chain C, key K: PEM files)
  --tls-port P2       also serve TLS on P2, next to plain on --port
  --ca CA             require client certificates signed by CA (mTLS)
  --handshake-timeout a TLS handshake's time limit in ms (default 10000)
  --stats             answer hydrogen's stats request (a frame of 0x0D then a float32 of
                      seconds) with a JSON frame of the server's and the machine's figures
  --proxy-protocol V  expect HAProxy's PROXY header (v1, v2 or any) before each connection
  SIGHUP re-reads C, K and CA: new connections get the new certificate (not with --threads or --processes).`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '1337' },
    host: { type: 'string', default: '127.0.0.1' },
    threads: { type: 'string', default: '1' },
    processes: { type: 'string' },
    framing: { type: 'string', default: 'simple' },
    counters: { type: 'boolean', default: false },
    deflate: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
    'tls-port': { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    'handshake-timeout': { type: 'string' },
    stats: { type: 'boolean', default: false },
    'proxy-protocol': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const command = positionals[0];
if (values.help || command === undefined) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const port = Number(values.port);
const threads = Number(values.threads);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0 to 65535, got ${values.port}`);
if (!Number.isInteger(threads) || threads < 1) fail(`--threads must be a whole number ≥ 1, got ${values.threads}`);
// Given (even as 1), the servers run in processes of their own under this one.
const processes = values.processes === undefined ? undefined : Number(values.processes);
if (processes !== undefined && (!Number.isInteger(processes) || processes < 1)) fail(`--processes must be a whole number ≥ 1, got ${values.processes}`);
const tlsPort = values['tls-port'] === undefined ? undefined : Number(values['tls-port']);
if (tlsPort !== undefined && (!Number.isInteger(tlsPort) || tlsPort < 0 || tlsPort > 65535)) fail(`--tls-port must be 0 to 65535, got ${values['tls-port']}`);
const wantsTls = values.tls || tlsPort !== undefined;
if (wantsTls && command !== 'echo') fail(`--tls is for echo only`);
if (wantsTls && (values.cert === undefined || values.key === undefined)) fail('--tls and --tls-port need --cert and --key');
if (!wantsTls && (values.cert !== undefined || values.key !== undefined || values.ca !== undefined)) fail('--cert, --key and --ca go with --tls or --tls-port');
const websocket = values.framing === WEBSOCKET;
if (values.deflate && !websocket) fail('--deflate goes with --framing websocket');
if (websocket && threads !== 1) fail('--threads above 1 is not supported with --framing websocket yet');
if (processes !== undefined && (command !== 'echo' || websocket)) fail('--processes goes with the frame echo (not websocket)');
if (processes !== undefined && !(values.framing in framings)) fail(`unknown framing ${values.framing}: use ${Object.keys(framings).join(', ')}`);
const handshakeTimeoutMs = values['handshake-timeout'] === undefined ? undefined : Number(values['handshake-timeout']);
if (handshakeTimeoutMs !== undefined && !(handshakeTimeoutMs >= 0)) fail(`--handshake-timeout must be ≥ 0 ms, got ${values['handshake-timeout']}`);
const proxyProtocol = values['proxy-protocol'] ?? false;
if (proxyProtocol !== false && !['v1', 'v2', 'any'].includes(proxyProtocol)) fail(`--proxy-protocol must be v1, v2 or any, got ${proxyProtocol}`);
if ((values.stats || proxyProtocol !== false) && (command !== 'echo' || websocket)) fail('--stats and --proxy-protocol go with the frame echo (not websocket)');

/** @type {import('@simple-stream/tls').TlsContextRef | undefined} */
let tlsRef;
let tlsModule;
if (wantsTls) {
  tlsModule = await import('@simple-stream/tls');
  try {
    tlsRef = new tlsModule.TlsContextRef(loadContext());
  } catch (err) {
    fail(`TLS: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The server context from the files named by --cert, --key and --ca. */
function loadContext() {
  const ca = values.ca === undefined ? undefined : readFileSync(values.ca);
  return tlsModule.TlsContext.server({ cert: readFileSync(values.cert), key: readFileSync(values.key), ca, requireCert: ca !== undefined });
}

/** @type {Array<{ server: any, label: string }>} */
const servers = [];
try {
  if (command === 'echo') {
    const { startWebSocketEcho } = websocket ? await import('./websocket-echo/server.mjs') : {};
    const echo = (p, tls) =>
      processes !== undefined
        ? startEchoProcesses(p, tls)
        : websocket
        ? startWebSocketEcho({ host: values.host, port: p, tls, handshakeTimeoutMs, deflate: values.deflate })
        : startEcho({
            host: values.host,
            port: p,
            threads,
            framing: values.framing,
            // A context does not cross threads: each worker reads the PEM files itself.
            ...(threads > 1 && tls !== undefined ? { tlsFiles: { cert: values.cert, key: values.key, ca: values.ca } } : { tls }),
            handshakeTimeoutMs,
            statsRequests: values.stats,
            proxyProtocol,
          });
    servers.push({ server: await echo(port, values.tls ? tlsRef : undefined), label: values.tls ? ' (TLS)' : '' });
    if (tlsPort !== undefined) servers.push({ server: await echo(tlsPort, tlsRef), label: ' (TLS)' });
  } else if (command === 'http-mock') servers.push({ server: await startHttpMock({ host: values.host, port }), label: '' });
  else fail(`unknown command ${command}\n${USAGE}`);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

const scale = [processes === undefined ? '' : `${processes} process${processes > 1 ? 'es' : ''}`, threads > 1 ? `${threads} worker threads` : ''].filter(Boolean).join(' × ');
const what = command !== 'echo' ? 'http-mock' : websocket ? `echo (WebSocket messages${values.deflate ? ', permessage-deflate' : ''})` : `echo (${values.framing} frames${scale === '' ? '' : `, ${scale}`})`;
for (const { server, label } of servers) {
  console.log(`simple-stream ${what} listening on ${server.address}:${server.port}${label}`);
  if (server.pids !== undefined) console.log(`  server processes (pid): ${server.pids.join(', ')}`);
}

if (tlsRef !== undefined) {
  process.on('SIGHUP', () => {
    if (threads > 1 || processes !== undefined) {
      console.error('SIGHUP: certificate not reloaded: with --threads or --processes, restart to change it');
      return;
    }
    try {
      tlsRef.replace(loadContext());
      console.log('SIGHUP: certificate reloaded; new connections use it');
    } catch (err) {
      console.error(`SIGHUP: certificate not reloaded: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

if (values.counters) {
  // Live counters (all listeners together), one line a second, only when something changed.
  let last = '';
  setInterval(async () => {
    const s = { connections: 0, accepted: 0, messagesReceived: 0, messagesSent: 0, bytesReceived: 0, bytesSent: 0 };
    // A worker pool's stats() is a promise (each worker answers); a one-thread server's is not.
    for (const stats of await Promise.all(servers.map(({ server }) => server.stats()))) for (const [k, v] of Object.entries(stats)) if (k in s) s[k] += v;
    const line = `connections ${s.connections}  accepted ${s.accepted}  msgs in ${s.messagesReceived} out ${s.messagesSent}  bytes in ${s.bytesReceived} out ${s.bytesSent}`;
    if (line !== last) console.log(line);
    last = line;
  }, 1000).unref();
}

// (A second signal while closing, e.g. Ctrl-C reaching npm start's wrapper and us, is ignored.)
let closing = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    console.log(`\n${signal}: closing`);
    Promise.all(servers.map(({ server }) => server.close())).then(() => process.exit(0));
  });
}

/**
 * The frame echo in `processes` server processes sharing port `p` (beginProcesses), each
 * running examples/echo/worker.mjs on `threads` threads; TLS from the PEM files, which
 * every process reads itself (a context does not cross processes).
 */
async function startEchoProcesses(p, tls) {
  const { beginProcesses } = await import('@simple-stream/epoll-server');
  const tlsFiles = tls === undefined ? undefined : { cert: values.cert, key: values.key, ca: values.ca };
  const group = await beginProcesses(new URL('./echo/worker.mjs', import.meta.url), {
    addr: values.host,
    port: p,
    processes,
    maxThreads: threads,
    workerData: { framing: values.framing, tlsFiles },
    handshakeTimeoutMs,
    statsRequests: values.stats,
    proxyProtocol,
  });
  group.on('exit', ({ index, pid, code, signal }) => console.error(`simple-stream: server process ${index} (pid ${pid}) ended (${signal ?? `code ${code}`})`));
  return group;
}

function fail(message) {
  console.error(`simple-stream: ${message}`);
  process.exit(2);
}
