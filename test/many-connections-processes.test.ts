// Past one process: beginProcesses (and the CLI's --processes) runs server processes that
// share one port with SO_REUSEPORT. The kernel spreads connections over them, each may hold
// as many fds as the hard limit allows, close() ends them all, and one that dies is
// reported (and replaced with `restart`) while the others keep serving.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginProcesses, type ProcessExit, type ProcessGroup } from '@simple-stream/epoll-server';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHoldClient, fdLimits, HoldClient, waitFor } from './hold-clients.js';

const ECHO = new URL('../examples/echo/worker.mjs', import.meta.url);
const groups: ProcessGroup[] = [];
const clients: HoldClient[] = [];
const children: ChildProcess[] = [];
/** Server processes seen during a test, killed afterwards if one outlived its group. */
const pids = new Set<number>();

afterEach(async () => {
  for (const client of clients.splice(0)) client.kill();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(groups.splice(0).map((g) => g.close({ timeoutMs: 500 })));
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  pids.clear();
});

async function start(processes: number, restart = false): Promise<ProcessGroup> {
  const group = await beginProcesses(ECHO, { processes, restart, addr: '127.0.0.1', port: 0, workerData: { framing: 'simple' } });
  groups.push(group);
  for (const pid of group.pids) pids.add(pid);
  return group;
}

/** Opens `count` connections with one echo each (checked by the client), then closes them. */
async function echoOver(port: number, count: number): Promise<void> {
  const client = new HoldClient(buildHoldClient(), port, count);
  clients.push(client);
  expect(await client.ready(10_000)).toMatchObject({ connections: count, connect_errors: 0, io_errors: 0, early_closes: 0 });
  expect(await client.close(10_000)).toMatchObject({ resets: 0, unclosed: 0 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('beginProcesses', () => {
  it('spreads connections over the processes by the kernel, and sums their figures', async () => {
    const group = await start(3);
    expect(group.pids).toHaveLength(3);
    expect(new Set(group.pids).size).toBe(3);
    expect(group.pids).not.toContain(process.pid);
    for (const pid of group.pids) {
      const { soft, hard } = fdLimits(pid);
      expect(soft).toBe(hard);
    }
    await echoOver(group.port, 300);
    const each = await group.processStats();
    // A hash of the client's ports, not turns: uneven, but 300 never all miss a process.
    for (const stats of each) expect(stats!.accepted).toBeGreaterThan(0);
    expect(each.reduce((n, s) => n + s!.accepted, 0)).toBe(300);
    await waitFor(async () => (await group.stats()).removed === 300, 5000, 'every connection removed');
    expect(await group.stats()).toMatchObject({ connections: 0, accepted: 300, messagesReceived: 300, messagesSent: 300, bytesReceived: 300 * 36 });
  });

  it('close() ends every process and frees the port', async () => {
    const group = await start(2);
    const [a, b] = group.pids;
    await echoOver(group.port, 20);
    await group.close();
    expect(group.pids).toEqual([]);
    expect(alive(a)).toBe(false);
    expect(alive(b)).toBe(false);
    const socket = net.connect(group.port, '127.0.0.1');
    const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('reports a process that dies; with restart, a new one takes its index and serves', async () => {
    const group = await start(2, true);
    const [victim, survivor] = group.pids;
    const exited = once(group, 'exit') as Promise<[ProcessExit]>;
    process.kill(victim, 'SIGKILL');
    const [exit] = await exited;
    expect(exit).toEqual({ index: 0, pid: victim, code: null, signal: 'SIGKILL', replaced: true });
    // The replacement answers stats once its server runs.
    await waitFor(async () => (await group.processStats()).every((s) => s !== null), 10_000, 'the replacement running');
    const [replacement] = group.pids;
    pids.add(replacement);
    expect(replacement).not.toBe(victim);
    expect(group.pids).toEqual([replacement, survivor]);
    await echoOver(group.port, 200);
    for (const stats of await group.processStats()) expect(stats!.accepted).toBeGreaterThan(0);
  });

  it('SIGTERM to one process closes it gently (exit 0); with restart it is replaced', async () => {
    const group = await start(2, true);
    const [renewed] = group.pids;
    const exited = once(group, 'exit') as Promise<[ProcessExit]>;
    process.kill(renewed, 'SIGTERM');
    expect((await exited)[0]).toEqual({ index: 0, pid: renewed, code: 0, signal: null, replaced: true });
    await waitFor(async () => (await group.processStats()).every((s) => s !== null), 10_000, 'the replacement running');
    for (const pid of group.pids) pids.add(pid);
    await echoOver(group.port, 50);
  });

  it('without restart, the other processes go on serving the port alone', async () => {
    const group = await start(2);
    const [victim, survivor] = group.pids;
    const exited = once(group, 'exit') as Promise<[ProcessExit]>;
    process.kill(victim, 'SIGKILL');
    expect((await exited)[0]).toMatchObject({ index: 0, pid: victim, replaced: false });
    expect(group.pids).toEqual([survivor]);
    await echoOver(group.port, 100);
    const [gone, left] = await group.processStats();
    expect(gone).toBeNull();
    expect(left!.accepted).toBe(100);
  });

  it('rejects when a process cannot start its server, leaving none running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'processes-'));
    try {
      const broken = join(dir, 'broken.mjs');
      writeFileSync(broken, "export default () => { throw new Error('no handler today'); };\n");
      await expect(beginProcesses(broken, { processes: 2, addr: '127.0.0.1', port: 0 })).rejects.toThrow(/server process 0 of 2: no handler today/);
      await expect(beginProcesses(ECHO, { processes: 0 })).rejects.toThrow(RangeError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('simple-stream echo --processes', () => {
  it('serves from every process, each with the hard fd limit, and exits 0 on SIGTERM', async () => {
    // A soft limit lowered below what a busy server needs: each server process must still
    // have the hard one.
    const cli = spawn('/bin/sh', ['-c', 'ulimit -Sn 256; exec "$0" "$@"', process.execPath, 'examples/cli.mjs', 'echo', '--port', '0', '--processes', '2', '--threads', '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(cli);
    let out = '';
    cli.stdout!.on('data', (chunk) => (out += chunk));
    await waitFor(() => /server processes \(pid\): .*\n/.test(out) || cli.exitCode !== null, 10_000, 'the CLI listening');
    expect(out).toMatch(/echo \(simple frames, 2 processes × 2 worker threads\) listening on 127\.0\.0\.1:\d+/);
    const port = Number(/listening on [\d.]+:(\d+)/.exec(out)![1]);
    const servers = /server processes \(pid\): (.*)\n/.exec(out)![1].split(', ').map(Number);
    expect(servers).toHaveLength(2);
    for (const pid of servers) pids.add(pid);
    for (const pid of servers) expect(fdLimits(pid).soft).toBe(fdLimits(pid).hard);
    await echoOver(port, 200);
    cli.kill('SIGTERM');
    const [code] = await once(cli, 'exit');
    expect(code).toBe(0);
    for (const pid of servers) expect(alive(pid)).toBe(false);
  });

  it('leaves no server process behind when it is killed', async () => {
    const cli = spawn(process.execPath, ['examples/cli.mjs', 'echo', '--port', '0', '--processes', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(cli);
    let out = '';
    cli.stdout!.on('data', (chunk) => (out += chunk));
    await waitFor(() => /server processes \(pid\): .*\n/.test(out) || cli.exitCode !== null, 10_000, 'the CLI listening');
    const servers = /server processes \(pid\): (.*)\n/.exec(out)![1].split(', ').map(Number);
    for (const pid of servers) pids.add(pid);
    cli.kill('SIGKILL');
    // Their IPC channel closes with the supervisor: each closes its server and ends.
    await waitFor(() => servers.every((pid) => !alive(pid)), 10_000, 'the server processes ending');
  });
});
