// 19,000 concurrent connections held by one server process. Open files are capped at
// 20,000 per process here, so the server runs in a process of its own (beginProcesses
// with one process: nothing else of the test's shares its fds) and the clients in two
// more (bench/native/hold-client.c, 9,500 connections each). Every connection echoes one
// message, all are held at once, then each client closes its connections first and waits
// for the server's FIN on every one: the server must be back to the fds it started with.
import { beginProcesses, type ProcessGroup } from '@simple-stream/epoll-server';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHoldClient, HoldClient, openFds, waitFor } from './hold-clients.js';

const ECHO = new URL('../examples/echo/worker.mjs', import.meta.url);
const CLIENTS = 2;
const PER_CLIENT = 9_500;
const TOTAL = CLIENTS * PER_CLIENT;

let group: ProcessGroup | undefined;
const clients: HoldClient[] = [];
let serverPid: number | undefined;

afterAll(async () => {
  for (const client of clients) client.kill();
  await group?.close({ timeoutMs: 1000 });
  // close() kills a server process that lingers; this one is only for a failed close().
  if (serverPid !== undefined) {
    try {
      process.kill(serverPid, 'SIGKILL');
    } catch {
      // Ended already, as it should have.
    }
  }
});

describe('one server process', () => {
  it(`holds ${TOTAL} connections at once, echoes one message on each, and closes them all cleanly`, async () => {
    const binary = buildHoldClient();
    const t0 = performance.now();
    group = await beginProcesses(ECHO, { processes: 1, addr: '127.0.0.1', port: 0, workerData: { framing: 'simple' } });
    [serverPid] = group.pids;
    const pid = serverPid!;
    const baseline = openFds(pid);

    for (let i = 0; i < CLIENTS; i++) clients.push(new HoldClient(binary, group.port, PER_CLIENT));
    const ready = await Promise.all(clients.map((c) => c.ready(40_000)));
    for (const r of ready) {
      expect(r).toMatchObject({ connections: PER_CLIENT, connect_errors: 0, io_errors: 0, early_closes: 0 });
    }
    const opened = performance.now();

    // All of them at once, in the one server process: counted by the server and by the kernel.
    const held = await group.stats();
    expect(held).toMatchObject({ connections: TOTAL, accepted: TOTAL, removed: 0, messagesReceived: TOTAL, messagesSent: TOTAL });
    expect(held.bytesReceived).toBe(TOTAL * 36);
    expect(openFds(pid)).toBe(baseline + TOTAL);

    const closed = await Promise.all(clients.map((c) => c.close(20_000)));
    for (const c of closed) expect(c).toMatchObject({ resets: 0, unclosed: 0, io_errors: 0, early_closes: 0 });
    // The clients saw the server's FIN on every connection; its fds go with its close(2)s.
    await waitFor(() => openFds(pid) === baseline, 10_000, `server back to ${baseline} fds (has ${openFds(pid)})`);
    expect(await group.stats()).toMatchObject({ connections: 0, accepted: TOTAL, removed: TOTAL });
    const done = performance.now();

    await group.close();
    expect(group.pids).toEqual([]);
    console.log(`${TOTAL} connections: opened and echoed in ${((opened - t0) / 1000).toFixed(1)} s, closed in ${((done - opened) / 1000).toFixed(1)} s`);
  }, 60_000);
});
