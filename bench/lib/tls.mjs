// Helpers for bench/tls.mjs: building the OpenSSL-linked load generator
// (native/tls-loadgen.c) and making the one certificate every TLS server uses.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildNative, haveCommand } from './processes.mjs';

/**
 * Compiles native/tls-loadgen.c with buildNative, linked with -lssl -lcrypto.
 * Headers: the system's (libssl-dev) if present, else the ones Node ships (include/node/
 * openssl, the same 3.0 API); libraries: the system's libssl.so.3 (a separate process, so a
 * second OpenSSL next to Node's is fine).
 */
export function buildTlsLoadgen() {
  const includes = existsSync('/usr/include/openssl/ssl.h') ? [] : ['-I', join(dirname(dirname(process.execPath)), 'include/node')];
  const libDir = '/usr/lib/x86_64-linux-gnu';
  const libs = existsSync(join(libDir, 'libssl.so')) || !existsSync(join(libDir, 'libssl.so.3')) ? ['-lssl', '-lcrypto'] : ['-l:libssl.so.3', '-l:libcrypto.so.3'];
  return buildNative('tls-loadgen', [...includes, ...libs], "libssl3; headers from libssl-dev or Node's include/node");
}

/**
 * A self-signed certificate for 127.0.0.1/localhost in a new temporary directory, made
 * with the openssl CLI: ECDSA P-256 (default) or RSA-2048. Returns { dir, cert, key, type,
 * remove() } with the paths of the PEM files.
 */
export function makeCert(type = 'ec') {
  if (!haveCommand('openssl')) {
    console.error('bench: the openssl CLI is needed to make the test certificate');
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-tls-'));
  const newkey = type === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=localhost', '-days', '2', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', remove);
  return { dir, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), type: type === 'rsa' ? 'RSA-2048' : 'ECDSA P-256', remove };
}
