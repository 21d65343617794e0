import { STATUS_CODES } from 'node:http';
import type { Frame } from '@simple-stream/frames';
import { isToken } from './http-head.js';

/** Header fields to send: a record, or name/value pairs (for repeated names). */
export type HeaderFields = Readonly<Record<string, string | number>> | ReadonlyArray<readonly [string, string | number]>;

/** An HTTP response a hook answers with (a refused upgrade, a plain HTTP request). */
export interface HttpResponse {
  /** The status code (100-599; not 101). */
  status: number;
  /** Extra fields. `Content-Length` and `Connection` are set by the server. */
  headers?: HeaderFields;
  /** The body (a string is sent as UTF-8); none by default. */
  body?: string | Uint8Array;
}

/** Bytes to send as they are: an HTTP head or response, inside a stream of frames. */
export class RawFrame implements Frame {
  readonly payload: Uint8Array;
  readonly byteLength: number;

  constructor(payload: Uint8Array) {
    this.payload = payload;
    this.byteLength = payload.length;
  }

  toBytes(): Uint8Array {
    return this.payload;
  }

  encodeInto(target: Uint8Array, offset: number): number {
    target.set(this.payload, offset);
    return this.payload.length;
  }
}

/** Appends `fields` as header lines, refusing names and values that would break the head. */
export function headerLines(fields: HeaderFields | undefined): string {
  if (fields === undefined) return '';
  const pairs: ReadonlyArray<readonly [string, string | number]> = Array.isArray(fields) ? fields : Object.entries(fields);
  let out = '';
  for (const [name, raw] of pairs) {
    const value = String(raw);
    if (!isToken(name)) throw new TypeError(`a bad header name: ${JSON.stringify(name)}`);
    if (/[\0-\x08\x0a-\x1f\x7f]/.test(value)) throw new TypeError(`a control character in header ${name}`);
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

/** The names a response's own `Content-Length`/`Connection` framing fields would clash with. */
function withoutFraming(fields: HeaderFields | undefined): HeaderFields | undefined {
  if (fields === undefined) return undefined;
  const pairs: ReadonlyArray<readonly [string, string | number]> = Array.isArray(fields) ? fields : Object.entries(fields);
  return pairs.filter(([name]) => {
    const lower = name.toLowerCase();
    return lower !== 'content-length' && lower !== 'connection' && lower !== 'transfer-encoding';
  });
}

/**
 * The bytes of a complete response: status line, `fields`, `Content-Length`, `Connection`
 * (`keep-alive` or `close`), then the body (left out for a HEAD request, as RFC 9110 9.3.2
 * wants, its length still announced).
 * @throws TypeError for a bad status, header name or value
 */
export function encodeResponse(response: HttpResponse, keepAlive: boolean, headRequest = false): Uint8Array {
  const status = response.status;
  if (!Number.isInteger(status) || status < 100 || status > 599 || status === 101) {
    throw new TypeError(`a response status must be 100-599 and not 101, got ${status}`);
  }
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : (response.body ?? new Uint8Array(0));
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n` +
    headerLines(withoutFraming(response.headers)) +
    `Content-Length: ${body.length}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
  const headBytes = Buffer.from(head, 'latin1');
  if (headRequest || body.length === 0) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes, 0);
  out.set(body, headBytes.length);
  return out;
}

/** A plain-text error response (what the server answers to requests it refuses). */
export function errorResponse(status: number, message: string, fields?: HeaderFields): HttpResponse {
  const pairs: Array<readonly [string, string | number]> = [['Content-Type', 'text/plain; charset=utf-8']];
  if (fields !== undefined) pairs.push(...(Array.isArray(fields) ? fields : Object.entries(fields)));
  return { status, headers: pairs, body: `${message}\n` };
}
