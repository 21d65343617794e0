import type { TlsContext } from './context.js';

/** Host name → server context, as a Map or a plain record. */
export type SniContexts = ReadonlyMap<string, TlsContext> | Readonly<Record<string, TlsContext>>;

/**
 * A server's SNI choices: exact host names first, then `*.parent` wildcards (one label,
 * as certificates match), then the callback. Names compare case-insensitively, without
 * a trailing dot.
 */
export class SniTable {
  readonly #exact = new Map<string, TlsContext>();
  readonly #wildcard = new Map<string, TlsContext>();
  readonly #choose: ((servername: string) => TlsContext | null | undefined) | undefined;

  constructor(contexts: SniContexts | undefined, choose: ((servername: string) => TlsContext | null | undefined) | undefined) {
    const entries = contexts === undefined ? [] : contexts instanceof Map ? [...contexts] : Object.entries(contexts);
    for (const [name, context] of entries) {
      if (!context.isServer) throw new TypeError(`sniContexts['${name}'] is not a server context`);
      const host = normalize(name);
      if (host.startsWith('*.')) this.#wildcard.set(host.slice(2), context);
      else this.#exact.set(host, context);
    }
    this.#choose = choose;
  }

  /** The context for `servername`, or undefined for the default. */
  lookup(servername: string): TlsContext | undefined {
    const host = normalize(servername);
    const exact = this.#exact.get(host);
    if (exact !== undefined) return exact;
    const dot = host.indexOf('.');
    if (dot > 0) {
      const parent = this.#wildcard.get(host.slice(dot + 1));
      if (parent !== undefined) return parent;
    }
    return this.#choose?.(servername) ?? undefined;
  }
}

function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
