#!/usr/bin/env node
// simple-stream: start the example servers.
//   simple-stream echo --port P [--host H] [--threads N] [--framing simple|checksum32] [--counters]
//   simple-stream http-mock --port P [--host H]
import { parseArgs } from 'node:util';
import { framings, startEcho } from './echo/server.mjs';
import { startHttpMock } from './http-mock/server.mjs';

const USAGE = `usage:
  simple-stream echo --port P [--host H] [--threads N] [--framing ${Object.keys(framings).join('|')}] [--counters]
  simple-stream http-mock --port P [--host H] [--counters]`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '1337' },
    host: { type: 'string', default: '127.0.0.1' },
    threads: { type: 'string', default: '1' },
    framing: { type: 'string', default: 'simple' },
    counters: { type: 'boolean', default: false },
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

let server;
try {
  if (command === 'echo') server = await startEcho({ host: values.host, port, threads, framing: values.framing });
  else if (command === 'http-mock') server = await startHttpMock({ host: values.host, port });
  else fail(`unknown command ${command}\n${USAGE}`);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

const what = command === 'echo' ? `echo (${values.framing} frames)` : 'http-mock';
console.log(`simple-stream ${what} listening on ${server.address}:${server.port}`);

if (values.counters) {
  // Live counters, one line a second, only when something changed.
  let last = '';
  setInterval(() => {
    const s = server.stats();
    const line = `connections ${s.connections}  accepted ${s.accepted}  msgs in ${s.messagesReceived} out ${s.messagesSent}  bytes in ${s.bytesReceived} out ${s.bytesSent}`;
    if (line !== last) console.log(line);
    last = line;
  }, 1000).unref();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.log(`\n${signal}: closing`);
    server.close().then(() => process.exit(0));
  });
}

function fail(message) {
  console.error(`simple-stream: ${message}`);
  process.exit(2);
}
