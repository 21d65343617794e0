// The client's side of the opening handshake (RFC 6455 4.1): the upgrade request, and
// the checks of the server's answer that decide whether the connection is a WebSocket.
import { randomBytes } from 'node:crypto';
import type { HttpResponseHead } from './http-head.js';
import { headerLines, type HeaderFields } from './http-response.js';
import { makeOffer, parseResponse, type DeflateOptions } from './permessage-deflate.js';
import { WEBSOCKET_VERSION, acceptKey, type Agreement } from './server-handshake.js';
import type { HeadFrame } from './upgrade-builder.js';
import { WebSocketError, WebSocketErrorCode } from './websocket-error.js';

/** What the upgrade request says. */
export interface UpgradeRequestOptions {
  /** The Host field (and the default TLS server name): 'example.com', 'localhost:8080'. */
  host: string;
  /** The request target; default '/'. */
  path?: string;
  /** Subprotocols to offer, most preferred first. */
  protocols?: readonly string[];
  /** The Origin field, as browsers send it. */
  origin?: string;
  /** Extra fields (authorization, cookies…). */
  headers?: HeaderFields;
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. */
export function makeKey(): string {
  return randomBytes(16).toString('base64');
}

/** The bytes of the upgrade request. */
export function upgradeRequest(options: UpgradeRequestOptions, key: string, deflate: DeflateOptions | null): Uint8Array {
  const path = options.path ?? '/';
  if (!/^[\x21-\x7e]+$/.test(path)) throw new TypeError(`a request path must be visible ASCII, got ${JSON.stringify(path)}`);
  const fields: Array<readonly [string, string]> = [
    ['Host', options.host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', WEBSOCKET_VERSION],
  ];
  if (options.protocols !== undefined && options.protocols.length > 0) fields.push(['Sec-WebSocket-Protocol', options.protocols.join(', ')]);
  if (deflate !== null) fields.push(['Sec-WebSocket-Extensions', makeOffer(deflate)]);
  if (options.origin !== undefined) fields.push(['Origin', options.origin]);
  const head = `GET ${path} HTTP/1.1\r\n${headerLines(fields)}${headerLines(options.headers)}\r\n`;
  return Buffer.from(head, 'latin1');
}

/**
 * RFC 6455 4.1's checks of the server's answer (a head frame) to our request.
 * @returns what was agreed
 * @throws WebSocketError `WS_HANDSHAKE_FAILED` naming the first rule broken
 */
export function checkAnswer(frame: HeadFrame, key: string, protocols: readonly string[] | undefined, deflate: DeflateOptions | null): Agreement {
  const response = frame.head as HttpResponseHead | null;
  try {
    if (response === null) throw frame.error!;
    return agreement(response, key, protocols, deflate);
  } catch (err) {
    throw new WebSocketError(WebSocketErrorCode.HandshakeFailed, `upgrade failed: ${(err as Error).message}`, 1006, { status: response?.status ?? 0, cause: err });
  }
}

function agreement(response: HttpResponseHead, key: string, protocols: readonly string[] | undefined, deflate: DeflateOptions | null): Agreement {
  if (response.status !== 101) throw new Error(`the server answered ${response.status} ${response.statusText}`.trimEnd());
  if (!response.hasToken('upgrade', 'websocket')) throw new Error('the 101 has no Upgrade: websocket');
  if (!response.hasToken('connection', 'upgrade')) throw new Error('the 101 has no Connection: upgrade');
  const accepts = response.headerValues('sec-websocket-accept');
  if (accepts.length !== 1 || accepts[0] !== acceptKey(key)) throw new Error('Sec-WebSocket-Accept does not match our key');
  const chosen = response.headerValues('sec-websocket-protocol');
  if (chosen.length > 1) throw new Error('several Sec-WebSocket-Protocol fields');
  const protocol = chosen.length === 1 ? chosen[0] : null;
  if (protocol !== null && !(protocols ?? []).includes(protocol)) throw new Error(`the server chose the subprotocol ${protocol}, which was not offered`);
  const extensions = response.headerValues('sec-websocket-extensions');
  if (extensions.length === 0) return { protocol, extensions: null, deflate: null, head: response };
  if (deflate === null) throw new Error(`the server answered extensions that were not offered: ${extensions.join(', ')}`);
  const value = extensions.join(', ');
  // A DeflateNegotiationError says what is wrong with the answer: it becomes the cause.
  return { protocol, extensions: value, deflate: parseResponse(value, deflate), head: response };
}
