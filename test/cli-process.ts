// The simple-stream CLI (examples/cli.mjs) as the tests run it: a child process that
// prints the port it listens on.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';

/** A CLI process once it listens: its port, and the line that said so. */
export interface CliProcess {
  child: ChildProcess;
  port: number;
  line: string;
}

/**
 * A function that starts the CLI with `args` (from the repository's root) and resolves once
 * it listens. Registers an afterEach that kills (SIGKILL) every such process still running.
 */
export function cliStarter(): (args: string[]) => Promise<CliProcess> {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  return async (args) => {
    const child = spawn(process.execPath, ['examples/cli.mjs', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    for await (const chunk of child.stdout!) {
      out += chunk;
      const m = /^.*listening on [\d.]+:(\d+).*$/m.exec(out);
      if (m) return { child, port: Number(m[1]), line: m[0] };
    }
    throw new Error(`the CLI exited before listening: ${out}`);
  };
}
