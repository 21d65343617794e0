// The `ws` package's permessage-deflate and extension-header modules, typed: the peer
// our negotiation and compression are checked against.
import { createRequire } from 'node:module';

/** The parts of ws's (untyped) PerMessageDeflate used by the tests. */
export interface WsPerMessageDeflate {
  offer(): Record<string, unknown>;
  accept(configurations: unknown[]): Record<string, unknown>;
  compress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void;
  decompress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void;
  cleanup(): void;
}

const wsModule = createRequire(import.meta.url)('ws') as {
  PerMessageDeflate: new (options?: Record<string, unknown>) => WsPerMessageDeflate;
  extension: { parse(header: string): Record<string, unknown[]>; format(extensions: Record<string, unknown>): string };
};

/** ws's PerMessageDeflate class. */
export const WsPerMessageDeflate = wsModule.PerMessageDeflate;
/** ws's Sec-WebSocket-Extensions parser and formatter. */
export const extension = wsModule.extension;
