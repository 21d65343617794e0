// The echo server's handler module for worker threads (startEcho with threads above 1):
// every worker loads it and makes the same Handler as the one-thread echo, its TLS
// context (if any) from the PEM files named in the worker data.
import { readFileSync } from 'node:fs';
import { echoHandler, framings } from './server.mjs';

/** @param {import('@simple-stream/epoll-server').WorkerContext} context */
export default async function echoWorker({ data }) {
  const { framing, tlsFiles } = /** @type {{ framing: keyof typeof framings, tlsFiles?: { cert: string, key: string, ca?: string } }} */ (data);
  let tls;
  if (tlsFiles !== undefined) {
    const { TlsContext } = await import('@simple-stream/tls');
    const ca = tlsFiles.ca === undefined ? undefined : readFileSync(tlsFiles.ca);
    tls = TlsContext.server({ cert: readFileSync(tlsFiles.cert), key: readFileSync(tlsFiles.key), ca, requireCert: ca !== undefined });
  }
  return echoHandler(framings[framing](), tls);
}
