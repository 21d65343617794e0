// No native memory left behind: 10,000 full handshakes (each with a little data and a
// close_notify) over memory pairs, and streams dropped without close().
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { TlsContext, tlsStats } from '../src/index.js';
import { fileCerts } from './certs.js';
import { drive, handshake, securePair } from './helpers.js';

// A gc() for this test only (vitest runs without --expose-gc).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const certs = fileCerts();

const builder = new SimpleFrameBuilder();
const data = new Uint8Array(1000);

function connections(server: TlsContext, client: TlsContext, count: number): void {
  for (let i = 0; i < count; i++) {
    const { server: s, client: c } = securePair(builder, server, client);
    c.nbSendPayload(data);
    drive(s, c, (got) => got.server.length === 1, 100);
    c.shutdown();
    s.nbRecv();
    s.close();
    c.close();
  }
}

/** RSS after a full collection, in MiB. */
function rss(): number {
  gc();
  gc();
  return process.memoryUsage().rss / 2 ** 20;
}

it('10,000 handshakes leave no native connection and no memory growth', { timeout: 180_000 }, () => {
  const server = TlsContext.server({ ...certs.server });
  const client = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' });
  const base = tlsStats().connections;
  connections(server, client, 1000); // warm up: allocator pools, JIT, session cache
  const before = rss();
  const external = process.memoryUsage().external;
  connections(server, client, 10_000);
  const after = rss();
  expect(tlsStats().connections).toBe(base);
  // A leaked SSL object is ~5 KiB or more (x 20,000 ends): hundreds of MiB. Allow noise.
  expect(after - before).toBeLessThan(24);
  expect(process.memoryUsage().external - external).toBeLessThan(16 * 2 ** 20);
});

it('streams dropped without close() are freed once collected', async () => {
  const server = TlsContext.server({ ...certs.server });
  const client = TlsContext.client({ ca: certs.ca.cert, servername: 'localhost' });
  const base = tlsStats().connections;
  (() => {
    for (let i = 0; i < 200; i++) {
      const { server: s, client: c } = securePair(builder, server, client);
      handshake(s, c);
    }
  })();
  expect(tlsStats().connections).toBeGreaterThan(base);
  for (let i = 0; i < 20 && tlsStats().connections > base; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(tlsStats().connections).toBe(base);
});
