// HTTP/1.1 heads (RFC 9112): the request a WebSocket server reads and the response a
// client reads. Parsed once per connection (or per plain HTTP request), so clarity wins
// over speed here; the rules are strict, since what reaches a handler must be unambiguous.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/(\d)\.(\d)$/;
const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
// A field value: visible characters, spaces and tabs, no other control characters.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A head that cannot be understood, and the HTTP status that says so. */
export class HttpHeadError extends Error {
  /** The status a server answers (400, 431, 505…). */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpHeadError';
    this.status = status;
  }
}

/** The header fields of a head: names lowercased, values trimmed, in their order. */
export abstract class HttpHead {
  /** The HTTP version: 'HTTP/1.1', 'HTTP/1.0'. */
  readonly version: string;
  // name, value, name, value… as they came (names lowercased).
  readonly #fields: readonly string[];
  #record: Record<string, string> | null = null;

  protected constructor(version: string, fields: readonly string[]) {
    this.version = version;
    this.#fields = fields;
  }

  /** The fields as a record; repeated names are joined with ', ' (RFC 9110 5.3). */
  get headers(): Readonly<Record<string, string>> {
    if (this.#record === null) {
      const record: Record<string, string> = Object.create(null);
      const fields = this.#fields;
      for (let i = 0; i < fields.length; i += 2) {
        const name = fields[i];
        record[name] = name in record ? `${record[name]}, ${fields[i + 1]}` : fields[i + 1];
      }
      this.#record = record;
    }
    return this.#record;
  }

  /** The value of field `name` (any case), repeated fields joined with ', '; undefined if absent. */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  /** Every value of field `name`, one per field line. */
  headerValues(name: string): string[] {
    const lower = name.toLowerCase();
    const values: string[] = [];
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === lower) values.push(fields[i + 1]);
    return values;
  }

  /** The comma-separated elements of field `name` over all its lines, trimmed, empty ones dropped. */
  list(name: string): string[] {
    const out: string[] = [];
    for (const value of this.headerValues(name)) {
      for (const element of value.split(',')) {
        const trimmed = element.trim();
        if (trimmed !== '') out.push(trimmed);
      }
    }
    return out;
  }

  /** True when field `name`'s list holds `token`, compared case-insensitively. */
  hasToken(name: string, token: string): boolean {
    const lower = token.toLowerCase();
    return this.list(name).some((element) => element.toLowerCase() === lower);
  }
}

/** A request head: `GET /chat?room=1 HTTP/1.1` and its fields. */
export class HttpRequest extends HttpHead {
  /** The method, as sent ('GET'). */
  readonly method: string;
  /** The request target, as sent ('/chat?room=1'). */
  readonly target: string;

  constructor(method: string, target: string, version: string, fields: readonly string[]) {
    super(version, fields);
    this.method = method;
    this.target = target;
  }

  /** The target's path, without the query ('/chat'). */
  get path(): string {
    const q = this.target.indexOf('?');
    return q < 0 ? this.target : this.target.slice(0, q);
  }

  /** The target's query, without the '?' ('room=1'); '' when none. */
  get query(): string {
    const q = this.target.indexOf('?');
    return q < 0 ? '' : this.target.slice(q + 1);
  }
}

/** A response head: `HTTP/1.1 101 Switching Protocols` and its fields. */
export class HttpResponseHead extends HttpHead {
  readonly status: number;
  readonly statusText: string;

  constructor(status: number, statusText: string, version: string, fields: readonly string[]) {
    super(version, fields);
    this.status = status;
    this.statusText = statusText;
  }
}

/** Splits a head (its bytes up to and without the final CRLF CRLF) into lines. */
function linesOf(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const lines = text.split('\r\n');
  for (const line of lines) {
    if (line.includes('\n') || line.includes('\r')) throw new HttpHeadError(400, 'a bare CR or LF in the head');
  }
  return lines;
}

/** The fields of `lines[1..]`, as name, value pairs. */
function fieldsOf(lines: string[]): string[] {
  const fields: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    // No obsolete line folding, no space before the colon (RFC 9112 5.1, 5.2).
    if (colon <= 0) throw new HttpHeadError(400, `a field line without a name: ${JSON.stringify(line.slice(0, 40))}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpHeadError(400, `a bad field name: ${JSON.stringify(name.slice(0, 40))}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) throw new HttpHeadError(400, `a control character in field ${name}`);
    fields.push(name.toLowerCase(), value);
  }
  return fields;
}

/**
 * Parses a request head: `bytes` up to, and without, the CRLF CRLF that ends it.
 * @throws HttpHeadError (400; 505 for an HTTP version other than 1.x)
 */
export function parseRequestHead(bytes: Uint8Array): HttpRequest {
  const lines = linesOf(bytes);
  const match = REQUEST_LINE.exec(lines[0]);
  if (match === null) throw new HttpHeadError(400, `not an HTTP request line: ${JSON.stringify(lines[0].slice(0, 60))}`);
  if (match[3] !== '1') throw new HttpHeadError(505, `HTTP/${match[3]}.${match[4]} is not supported`);
  return new HttpRequest(match[1], match[2], `HTTP/1.${match[4]}`, fieldsOf(lines));
}

/**
 * Parses a response head: `bytes` up to, and without, the CRLF CRLF that ends it.
 * @throws HttpHeadError
 */
export function parseResponseHead(bytes: Uint8Array): HttpResponseHead {
  const lines = linesOf(bytes);
  const match = STATUS_LINE.exec(lines[0]);
  if (match === null || match[1] !== '1') throw new HttpHeadError(400, `not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 60))}`);
  return new HttpResponseHead(Number(match[3]), match[4] ?? '', `HTTP/1.${match[2]}`, fieldsOf(lines));
}

/** True for a valid HTTP token (a method, a field name, a subprotocol). */
export function isToken(s: string): boolean {
  return TOKEN.test(s);
}
