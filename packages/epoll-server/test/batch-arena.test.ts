// Streams reading into an arena that is reused after every batch of events
// (ReadArena reuseAfterBatch): echo over many connections and batches loses nothing.
import { afterEach, expect, it } from 'vitest';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { Plain, ReadArena } from '@simple-stream/stream';
import { FdTransport } from '@simple-stream/epoll-server';
import { FrameClient, payloadFor, prng, seqOf, startServer, type TestServer } from './helpers.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.server.close();
  t = undefined;
});

it('echoes every frame intact when the read arena is rewound after each batch', async () => {
  const arena = new ReadArena(16 * 1024, 1024, { reuseAfterBatch: true });
  const builder = new SimpleFrameBuilder();
  t = await startServer({ onNewConnection: (fd) => new Plain(new FdTransport(fd), builder, { arena }) });
  const clients = await Promise.all([0, 1, 2, 3].map(() => FrameClient.connect(t!.port)));
  const random = prng(7);
  const rounds = 40;
  const perRound = 25;
  const sent: Uint8Array[][] = clients.map(() => []);
  try {
    for (let r = 0; r < rounds; r++) {
      // Each round waits for its echoes, so many batches reuse the same arena memory;
      // sizes up to 4 KiB fill it in a few reads and make frames straddle reads.
      clients.forEach((client, c) => {
        const payloads = Array.from({ length: perRound }, (_, k) => payloadFor(c, r * perRound + k, 4 + random(4096)));
        sent[c].push(...payloads);
        client.send(...payloads);
      });
      await Promise.all(clients.map((client, c) => client.receive(sent[c].length)));
    }
    clients.forEach((client, c) => {
      expect(client.frames.length).toBe(rounds * perRound);
      client.frames.forEach((got, i) => {
        expect(seqOf(got)).toBe(i);
        expect(Buffer.compare(got, sent[c][i])).toBe(0);
      });
    });
  } finally {
    await Promise.all(clients.map((client) => client.destroy()));
  }
});
