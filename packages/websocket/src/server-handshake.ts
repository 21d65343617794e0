// The server's side of the opening handshake (RFC 6455 4.2): checking an upgrade request,
// choosing a subprotocol, and the 101 response. Once per connection: clarity over speed.
import { createHash } from 'node:crypto';
import { isToken, type HttpRequest, type HttpResponseHead } from './http-head.js';
import { errorResponse, headerLines, type HeaderFields, type HttpResponse } from './http-response.js';
import type { DeflateParams } from './permessage-deflate.js';

/** The GUID RFC 6455 1.3 appends to a key before hashing it. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Base64 of 16 bytes: 22 characters, then '=='. */
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** The version of the protocol this server speaks. */
export const WEBSOCKET_VERSION = '13';

/** What an opening handshake agreed on. */
export interface Agreement {
  /** The subprotocol; null when none. */
  readonly protocol: string | null;
  /** The Sec-WebSocket-Extensions value answered; null when none. */
  readonly extensions: string | null;
  /** The permessage-deflate parameters; null when not compressing. */
  readonly deflate: DeflateParams | null;
  /** Server: the upgrade request (path, headers, origin…); client: the server's 101. */
  readonly head: HttpRequest | HttpResponseHead;
}

/** An upgrade hook's "yes": what to answer with, and the connection's own data. */
export interface UpgradeAccept {
  /** The subprotocol to speak (one the client offered); default: chosen by `protocols`. */
  protocol?: string | null;
  /** Extra fields for the 101 response (cookies…). */
  headers?: HeaderFields;
  /** The connection's application data (`ws.data`). */
  data?: unknown;
}

/**
 * What an upgrade hook returns: to accept, nothing, `true` or an {@link UpgradeAccept};
 * to refuse, `false` (403) or an HTTP response (`{ status: 401, headers, body }`).
 */
export type UpgradeAnswer = UpgradeAccept | HttpResponse | boolean | undefined | void;

/** How a server picks a subprotocol: the ones it speaks, or a function of the offers. */
export type ProtocolChoice = readonly string[] | ((offered: readonly string[], request: HttpRequest) => string | null | undefined);

/** The Sec-WebSocket-Accept value for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/**
 * RFC 6455 4.2.1's checks of a request asking for a WebSocket (`Upgrade: websocket`).
 * @returns the refusal to answer (400, 405, 426), or null when the request is good.
 */
export function checkUpgrade(request: HttpRequest): HttpResponse | null {
  if (request.method !== 'GET') return errorResponse(405, 'a WebSocket upgrade is a GET request', { Allow: 'GET' });
  if (request.version !== 'HTTP/1.1') return errorResponse(400, 'a WebSocket upgrade needs HTTP/1.1');
  if (request.headerValues('host').length !== 1) return errorResponse(400, 'one Host field is needed');
  if (!request.hasToken('connection', 'upgrade')) return errorResponse(400, 'Connection must hold the token upgrade');
  const keys = request.headerValues('sec-websocket-key');
  if (keys.length !== 1 || !KEY.test(keys[0])) return errorResponse(400, 'Sec-WebSocket-Key must be one base64 value of 16 bytes');
  const versions = request.headerValues('sec-websocket-version');
  if (versions.length !== 1 || versions[0] !== WEBSOCKET_VERSION) {
    return errorResponse(426, 'only WebSocket version 13 is spoken', { 'Sec-WebSocket-Version': WEBSOCKET_VERSION });
  }
  const offered = request.list('sec-websocket-protocol');
  if (!offered.every(isToken) || new Set(offered).size !== offered.length) {
    return errorResponse(400, 'Sec-WebSocket-Protocol must be distinct tokens');
  }
  return null;
}

/**
 * The subprotocol to answer with: the hook's choice when it made one (it must be among
 * the client's offers), else the first offer the server speaks (the client's order of
 * preference, as `ws` does), else null (none: the client decides whether that will do).
 * @throws TypeError when the choice was not offered (a bug on this side: answered 500)
 */
export function chooseProtocol(request: HttpRequest, choice: ProtocolChoice | undefined, chosen: string | null | undefined): string | null {
  const offered = request.list('sec-websocket-protocol');
  let protocol = chosen;
  if (protocol === undefined && choice !== undefined) {
    protocol = typeof choice === 'function' ? choice(offered, request) : offered.find((p) => choice.includes(p));
  }
  if (protocol === undefined || protocol === null) return null;
  if (!offered.includes(protocol)) throw new TypeError(`the subprotocol ${JSON.stringify(protocol)} was not offered by the client`);
  return protocol;
}

/** The 101 response accepting `request`. */
export function switchingProtocols(request: HttpRequest, protocol: string | null, extensions: string | null, fields?: HeaderFields): Uint8Array {
  const head =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(request.headerValues('sec-websocket-key')[0])}\r\n` +
    (protocol === null ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
    (extensions === null ? '' : `Sec-WebSocket-Extensions: ${extensions}\r\n`) +
    headerLines(fields) +
    '\r\n';
  return Buffer.from(head, 'latin1');
}

/**
 * Whether a request's connection stays open after its response (RFC 9112 9.3): HTTP/1.1
 * unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
 */
export function keepsAlive(request: HttpRequest): boolean {
  if (request.hasToken('connection', 'close')) return false;
  return request.version === 'HTTP/1.1' || request.hasToken('connection', 'keep-alive');
}
