// What a server answers to each request head it reads: a plain HTTP response (keep-alive
// or not), a refusal that ends the connection, or the 101 that makes it a WebSocket.
import type { WebSocket } from './websocket.js';
import type { HttpRequest } from './http-head.js';
import { encodeResponse, errorResponse, type HttpResponse } from './http-response.js';
import { DeflateNegotiationError, acceptOffer, type DeflateOptions, type DeflateParams } from './permessage-deflate.js';
import { checkUpgrade, chooseProtocol, keepsAlive, switchingProtocols, type Agreement, type UpgradeAccept } from './server-handshake.js';
import type { HeadFrame } from './upgrade-builder.js';
import type { WebSocketServerOptions } from './options.js';
import { WebSocketError, WebSocketErrorCode, type WebSocketErrorCodeValue } from './websocket-error.js';

/** A refusal: send `bytes`, then fail the connection with `error`. */
export interface Refusal {
  readonly kind: 'refuse';
  readonly bytes: Uint8Array;
  readonly error: WebSocketError;
}

/** The answer to one request head. */
export type RequestAnswer =
  /** A plain HTTP response; the connection reads the next head if `keepAlive`, else ends. */
  | { readonly kind: 'http'; readonly bytes: Uint8Array; readonly keepAlive: boolean }
  | Refusal
  /** The 101: send `bytes`, then speak WebSocket with what was agreed. */
  | { readonly kind: 'upgrade'; readonly bytes: Uint8Array; readonly agreement: Agreement; readonly data: unknown };

/** A refusal answering `response` (the connection closes after it). */
export function refusal(response: HttpResponse, code: WebSocketErrorCodeValue, message: string, cause?: unknown): Refusal {
  const error = new WebSocketError(code, `${message} (answered ${response.status})`, 1006, { status: response.status, cause });
  let bytes: Uint8Array;
  try {
    bytes = encodeResponse(response, false);
  } catch (err) {
    // A hook's own refusal with bad headers: answer 500 rather than nothing.
    bytes = encodeResponse(errorResponse(500, 'internal error'), false);
    return { kind: 'refuse', bytes, error: new WebSocketError(WebSocketErrorCode.HandlerThrew, 'a hook answered a malformed response', 1006, { status: 500, cause: err }) };
  }
  return { kind: 'refuse', bytes, error };
}

/** A 500 for a hook that threw. */
function hookThrew(hook: string, cause: unknown): Refusal {
  return refusal(errorResponse(500, 'internal error'), WebSocketErrorCode.HandlerThrew, `the ${hook} hook threw`, cause);
}

/**
 * The answer to a request head. `upgrade` says whether it asks for a WebSocket (the
 * framing has switched to frames); `ws` is handed to the hooks.
 */
export function answerRequest(frame: HeadFrame, upgrade: boolean, options: WebSocketServerOptions, deflate: DeflateOptions | null, ws: WebSocket): RequestAnswer {
  if (frame.head === null) return refusal(errorResponse(frame.error!.status, frame.error!.message), WebSocketErrorCode.BadRequest, 'a malformed request head');
  const request = frame.head as HttpRequest;
  // A body would have to be read to find the next head: refused, and the connection closed.
  if (request.headerValues('transfer-encoding').length > 0) {
    return refusal(errorResponse(501, 'request bodies are not supported'), WebSocketErrorCode.BadRequest, 'a request with Transfer-Encoding');
  }
  const lengths = request.headerValues('content-length');
  if (lengths.length > 0) {
    if (lengths.length > 1 || !/^\d+$/.test(lengths[0])) {
      return refusal(errorResponse(400, 'a bad Content-Length'), WebSocketErrorCode.BadRequest, 'a bad Content-Length');
    }
    if (Number(lengths[0]) > 0) return refusal(errorResponse(413, 'request bodies are not supported'), WebSocketErrorCode.BadRequest, 'a request with a body');
  }
  return upgrade ? answerUpgrade(request, options, deflate, ws) : answerHttp(request, options, ws);
}

function answerHttp(request: HttpRequest, options: WebSocketServerOptions, ws: WebSocket): RequestAnswer {
  if (options.http === undefined) {
    return refusal(
      errorResponse(426, 'this is a WebSocket endpoint', { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' }),
      WebSocketErrorCode.BadRequest,
      `a plain HTTP ${request.method} request`,
    );
  }
  let response: HttpResponse | undefined | void;
  try {
    response = options.http(request, ws);
  } catch (err) {
    return hookThrew('http', err);
  }
  const keepAlive = keepsAlive(request);
  try {
    return { kind: 'http', bytes: encodeResponse(response ?? errorResponse(404, 'not found'), keepAlive, request.method === 'HEAD'), keepAlive };
  } catch (err) {
    return hookThrew('http', err);
  }
}

function answerUpgrade(request: HttpRequest, options: WebSocketServerOptions, deflate: DeflateOptions | null, ws: WebSocket): RequestAnswer {
  const refused = checkUpgrade(request);
  if (refused !== null) return refusal(refused, WebSocketErrorCode.BadRequest, 'a bad upgrade request');
  let answer: unknown;
  try {
    answer = options.upgrade?.(request, ws);
  } catch (err) {
    return hookThrew('upgrade', err);
  }
  // An async hook's promise would read as "accept": refuse instead, loudly.
  if (typeof (answer as Partial<PromiseLike<unknown>> | null)?.then === 'function') {
    return hookThrew('upgrade', new TypeError('the upgrade hook returned a promise: it must decide synchronously'));
  }
  if (answer === false) return refusal(errorResponse(403, 'forbidden'), WebSocketErrorCode.UpgradeRefused, 'the upgrade hook refused');
  if (typeof answer === 'object' && answer !== null && 'status' in answer) {
    return refusal(answer as HttpResponse, WebSocketErrorCode.UpgradeRefused, 'the upgrade hook refused');
  }
  const accept: UpgradeAccept = typeof answer === 'object' && answer !== null ? answer : {};
  let agreed: { params: DeflateParams; response: string } | null = null;
  const offers = request.headerValues('sec-websocket-extensions');
  if (deflate !== null && offers.length > 0) {
    try {
      agreed = acceptOffer(offers.join(', '), deflate);
    } catch (err) {
      if (!(err instanceof DeflateNegotiationError)) throw err;
      return refusal(errorResponse(400, err.message), WebSocketErrorCode.BadRequest, 'a malformed Sec-WebSocket-Extensions', err);
    }
  }
  try {
    const protocol = chooseProtocol(request, options.protocols, accept.protocol);
    const extensions = agreed === null ? null : agreed.response;
    const bytes = switchingProtocols(request, protocol, extensions, accept.headers);
    const agreement: Agreement = { protocol, extensions, deflate: agreed === null ? null : agreed.params, head: request };
    return { kind: 'upgrade', bytes, agreement, data: accept.data };
  } catch (err) {
    return hookThrew('upgrade', err);
  }
}
