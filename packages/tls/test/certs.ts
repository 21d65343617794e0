// Test certificates, made at test time with the openssl CLI into a temporary directory
// (never committed): EC P-256 keys, so that making them and handshaking are fast.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** A certificate and its key, as PEM. */
export interface Pair {
  cert: string;
  key: string;
}

/** Everything the tests need. */
export interface Certs {
  dir: string;
  /** The CA that signs the good certificates. */
  ca: Pair;
  /** localhost, 127.0.0.1 (signed by ca). */
  server: Pair;
  /** The same names with a new key: a "renewed" certificate. */
  renewed: Pair;
  /** other.test and *.wild.test, for SNI. */
  other: Pair;
  /** localhost, valid in 2020 only. */
  expired: Pair;
  /** localhost, self-signed. */
  selfSigned: Pair;
  /** Another CA, and localhost signed by it. */
  otherCa: Pair;
  wrongCa: Pair;
  /** A client certificate for mTLS (signed by ca). */
  client: Pair;
  /** server's key encrypted with the passphrase 'secret'. */
  encryptedKey: string;
  /** Removes the directory. */
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function selfSigned(dir: string, name: string, subject: string, ca: boolean): Pair {
  const ext = ca ? ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'] : ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', subject, '-days', '30', ...ext]);
  return read(dir, name);
}

function signed(dir: string, name: string, subject: string, san: string | null, ca: string, extra: string[] = []): Pair {
  const addext = san === null ? [] : ['-addext', `subjectAltName=${san}`];
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, ...addext]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-days', '30', '-copy_extensions', 'copy', '-out', `${name}.crt`, ...extra]);
  return read(dir, name);
}

/** `openssl ca` sets explicit dates: a certificate that expired in 2020. */
function expired(dir: string, ca: string): Pair {
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db/index.txt'), '');
  writeFileSync(join(dir, 'db/serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    '[ca]\ndefault_ca = x\n[x]\ndatabase = db/index.txt\nnew_certs_dir = db\nserial = db/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\ncopy_extensions = copy\n[p]\ncommonName = supplied\n',
  );
  openssl(dir, ['req', ...EC, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  openssl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', `${ca}.crt`, '-keyfile', `${ca}.key`, '-in', 'expired.csr', '-out', 'expired.crt', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext']);
  return read(dir, 'expired');
}

function read(dir: string, name: string): Pair {
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

/** Makes every test certificate (about half a second). */
export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'ss-tls-'));
  const ca = selfSigned(dir, 'ca', '/CN=simple-stream test CA', true);
  const otherCa = selfSigned(dir, 'other-ca', '/CN=another CA', true);
  const server = signed(dir, 'server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1', 'ca');
  openssl(dir, ['pkey', '-in', 'server.key', '-aes256', '-passout', 'pass:secret', '-out', 'server-enc.key']);
  return {
    dir,
    ca,
    server,
    renewed: signed(dir, 'renewed', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1', 'ca'),
    other: signed(dir, 'other', '/CN=other.test', 'DNS:other.test,DNS:*.wild.test', 'ca'),
    expired: expired(dir, 'ca'),
    selfSigned: selfSigned(dir, 'self', '/CN=localhost', false),
    otherCa,
    wrongCa: signed(dir, 'wrong', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1', 'other-ca'),
    client: signed(dir, 'client', '/CN=test client/O=simple-stream', null, 'ca'),
    encryptedKey: readFileSync(join(dir, 'server-enc.key'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The certificates of a test file: made before its tests, removed after them. The object
 * is filled in place by the beforeAll this registers, so tests and later hooks read it.
 */
export function fileCerts(): Certs {
  const certs = {} as Certs;
  beforeAll(() => void Object.assign(certs, makeCerts()));
  afterAll(() => certs.remove?.());
  return certs;
}
