// Headless Chromium (Debian's /usr/bin/chromium) driven over the DevTools protocol, with
// the `ws` package as the protocol's client: no browser download, no driver. A fresh
// profile directory per launch; close() ends the browser it started (Browser.close, then
// SIGKILL by its PID if it lingers) and removes the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { bounded } from '../websocket-wire.js';

/** Debian's launcher, which execs the browser (so its PID is the browser's). */
export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--remote-debugging-port=0',
];
/** Chromium starts in 1-2 s; a loaded CI machine gets more. */
const LAUNCH_MS = 20_000;

type Listener = (params: Record<string, unknown>) => void;

/** A running browser and its DevTools connection. */
export class Chromium {
  readonly #process: ChildProcess;
  readonly #dir: string;
  readonly #cdp: WebSocket;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  /** Event listeners by `${sessionId}:${method}`. */
  readonly #listeners = new Map<string, Set<Listener>>();

  private constructor(child: ChildProcess, dir: string, cdp: WebSocket) {
    this.#process = child;
    this.#dir = dir;
    this.#cdp = cdp;
    cdp.on('message', (data) => this.#receive(JSON.parse(data.toString()) as Record<string, unknown>));
    cdp.on('close', () => {
      for (const call of this.#pending.values()) call.reject(new Error(`the DevTools connection closed during ${call.method}`));
      this.#pending.clear();
    });
  }

  /**
   * Starts Chromium with the flags every test uses and `extraFlags`, and connects to its
   * DevTools endpoint (found in DevToolsActivePort in the profile directory).
   * @throws an Error saying what to install when there is no /usr/bin/chromium.
   */
  static async launch(extraFlags: string[] = []): Promise<Chromium> {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (CI does, see .ci/run)`);
    const dir = mkdtempSync(join(tmpdir(), 'ss-chromium-'));
    const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${dir}`, ...extraFlags, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      // The line it prints once the endpoint listens; DevToolsActivePort follows it closely.
      await bounded(
        new Promise<void>((resolve, reject) => {
          let err = '';
          // Read to the end (the pipe must not fill up), keeping only what precedes the line.
          child.stderr!.on('data', (chunk) => {
            if (err.includes('DevTools listening on')) return;
            err += chunk;
            if (err.includes('DevTools listening on')) resolve();
          });
          child.once('error', reject);
          child.once('exit', (code) => reject(new Error(`chromium exited (${code}) before listening: ${err}`)));
        }),
        'chromium to listen for DevTools',
        LAUNCH_MS,
      );
      const [port, path] = await activePort(dir);
      const cdp = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false });
      await bounded(once(cdp, 'open'), 'the DevTools connection');
      return new Chromium(child, dir, cdp);
    } catch (err) {
      // Removed once the browser is gone, or it would write its profile back.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await bounded(exited, 'chromium to die', 5_000).catch(() => {});
      }
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Sends a DevTools command (to a page when `sessionId` is given) and resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => this.#pending.set(id, { resolve, reject, method }));
    this.#cdp.send(JSON.stringify({ id, method, params, ...(sessionId === undefined ? {} : { sessionId }) }));
    return bounded(reply, `the answer to ${method}`);
  }

  /** Resolves with the params of the next event `method` of page `sessionId`. */
  event(sessionId: string, method: string): Promise<Record<string, unknown>> {
    const key = `${sessionId}:${method}`;
    return bounded(
      new Promise((resolve) => {
        const set = this.#listeners.get(key) ?? new Set<Listener>();
        this.#listeners.set(key, set);
        const once: Listener = (params) => {
          set.delete(once);
          resolve(params);
        };
        set.add(once);
      }),
      `the event ${method}`,
    );
  }

  /** Opens a tab, loads `url` in it, and resolves once its load event fired. */
  async open(url: string): Promise<Page> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    await this.send('Page.enable', {}, sessionId);
    const loaded = this.event(sessionId, 'Page.loadEventFired');
    const navigation = (await this.send('Page.navigate', { url }, sessionId)) as { errorText?: string };
    if (navigation.errorText !== undefined) throw new Error(`loading ${url}: ${navigation.errorText}`);
    await loaded;
    return new Page(this, targetId, sessionId);
  }

  /** Closes the browser (SIGKILL by PID if it does not exit) and removes its profile. */
  async close(): Promise<void> {
    const exited = new Promise((resolve) => (this.#process.exitCode !== null || this.#process.signalCode !== null ? resolve(null) : this.#process.once('exit', resolve)));
    try {
      if (this.#cdp.readyState === WebSocket.OPEN) await this.send('Browser.close').catch(() => {});
      await bounded(exited, 'chromium to exit', 5_000);
    } catch {
      this.#process.kill('SIGKILL');
      await bounded(exited, 'chromium to die', 5_000).catch(() => {});
    } finally {
      this.#cdp.terminate();
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }

  #receive(message: Record<string, unknown>): void {
    if (typeof message.id === 'number') {
      const call = this.#pending.get(message.id);
      if (call === undefined) return;
      this.#pending.delete(message.id);
      const error = message.error as { message: string } | undefined;
      if (error !== undefined) call.reject(new Error(`${call.method}: ${error.message}`));
      else call.resolve(message.result as Record<string, unknown>);
      return;
    }
    const set = this.#listeners.get(`${String(message.sessionId)}:${String(message.method)}`);
    for (const listener of set ?? []) listener(message.params as Record<string, unknown>);
  }
}

/**
 * The port and path of the DevTools endpoint, from DevToolsActivePort in the profile: its
 * two lines, once Chromium has written them (it may do so just after saying it listens).
 */
async function activePort(dir: string): Promise<[string, string]> {
  const file = join(dir, 'DevToolsActivePort');
  const deadline = Date.now() + LAUNCH_MS;
  for (;;) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
    if (lines.length >= 2 && /^\d+$/.test(lines[0]) && lines[1].startsWith('/devtools/browser/')) return [lines[0], lines[1].trim()];
    if (Date.now() > deadline) throw new Error(`no DevToolsActivePort in ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One tab. */
export class Page {
  readonly #browser: Chromium;
  readonly targetId: string;
  readonly sessionId: string;

  constructor(browser: Chromium, targetId: string, sessionId: string) {
    this.#browser = browser;
    this.targetId = targetId;
    this.sessionId = sessionId;
  }

  /** Closes the tab (its WebSockets close as the page goes away). */
  async close(): Promise<void> {
    await this.#browser.send('Target.closeTarget', { targetId: this.targetId });
  }

  /**
   * Evaluates `expression` in the page (a promise is awaited) and returns its value as
   * JSON brings it back; an exception in the page rejects with its text.
   */
  async evaluate<T>(expression: string): Promise<T> {
    const out = (await this.#browser.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, this.sessionId)) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (out.exceptionDetails !== undefined) throw new Error(`in the page: ${out.exceptionDetails.exception?.description ?? out.exceptionDetails.text}`);
    return out.result.value as T;
  }
}
