import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { Plain } from '@simple-stream/stream';
import { FdTransport, begin, getNoDelay } from '@simple-stream/epoll-server';

/** Accepts one connection and resolves with TCP_NODELAY as onNewConnection saw it. */
async function noDelayOfAccepted(config: { noDelay?: boolean }): Promise<boolean> {
  let seen: boolean | undefined;
  let accepted: () => void = () => {};
  const done = new Promise<void>((resolve) => (accepted = resolve));
  const server = await begin(
    {
      onNewConnection(fd) {
        seen = getNoDelay(fd);
        accepted();
        return new Plain(new FdTransport(fd), new SimpleFrameBuilder());
      },
      onDataReceived() {},
    },
    { addr: '127.0.0.1', port: 0, ...config },
  );
  const client = net.connect(server.port, '127.0.0.1');
  await once(client, 'connect');
  await done;
  client.destroy();
  await server.close();
  return seen!;
}

describe('TCP_NODELAY on accepted sockets', () => {
  it('is on by default: writes already leave once per batch, Nagle would only delay them', async () => {
    expect(await noDelayOfAccepted({})).toBe(true);
  });

  it('stays off with noDelay: false', async () => {
    expect(await noDelayOfAccepted({ noDelay: false })).toBe(false);
  });
});
