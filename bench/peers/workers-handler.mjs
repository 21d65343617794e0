// The handler module of the worker pool peers (bench/peers/workers-echo.mjs), loaded by
// every worker: a Simple-frame echo that, with `hash: K` in the worker data, first runs
// SHA-256 K times over each payload (each digest hashed again): a CPU-heavy handler, so
// that the work spent per message is the handler's and workers can show parallelism.
import { createHash } from 'node:crypto';
import { FdTransport } from '@simple-stream/epoll-server';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { Plain } from '@simple-stream/stream';

/** @param {import('@simple-stream/epoll-server').WorkerContext} context */
export default function benchHandler(context) {
  const rounds = context.data?.hash ?? 0;
  const builder = new SimpleFrameBuilder();
  return {
    onNewConnection: (fd) => new Plain(new FdTransport(fd), builder),
    onDataReceived(socket, payload) {
      if (rounds > 0) {
        let digest = payload;
        for (let k = 0; k < rounds; k++) digest = createHash('sha256').update(digest).digest();
        // The echo must not change: only its cost does. Touching the digest keeps the
        // work from being optimized away.
        if (digest.length !== 32) throw new Error('sha256 gave a wrong length');
      }
      socket.send(payload);
    },
  };
}
