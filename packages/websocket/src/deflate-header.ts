/**
 * The Sec-WebSocket-Extensions header grammar (RFC 6455 9.1, with the list and quoting
 * rules of RFC 9110 5.6): `ext; param; param=value, ext2; param="value"`.
 */
import { DeflateNegotiationError, DeflateNegotiationErrorCode } from './deflate-errors.js';

/** One `name[=value]` of an extension; `value` null when the parameter has none. */
export interface ExtensionParam {
  readonly name: string;
  readonly value: string | null;
}

/** One extension of the list, with its parameters in header order. */
export interface Extension {
  readonly name: string;
  readonly params: readonly ExtensionParam[];
}

// RFC 9110 tchar: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Whether `s` is a non-empty RFC 9110 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

function malformed(header: string, at: number, what: string): DeflateNegotiationError {
  return new DeflateNegotiationError(
    DeflateNegotiationErrorCode.MalformedHeader,
    `Sec-WebSocket-Extensions: ${what} at offset ${at} of ${JSON.stringify(header.slice(0, 200))}`,
  );
}

/** A cursor over one header value. */
class Scanner {
  readonly text: string;
  #pos = 0;

  constructor(text: string) {
    this.text = text;
  }

  get done(): boolean {
    return this.#pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.#pos] ?? '';
  }

  skip(): void {
    this.#pos++;
  }

  /** Optional whitespace: SP and HTAB. */
  ows(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.#pos++;
  }

  token(what: string): string {
    const start = this.#pos;
    while (this.#pos < this.text.length) {
      const c = this.text.charCodeAt(this.#pos);
      if (c >= 128 || TCHAR[c] === 0) break;
      this.#pos++;
    }
    if (this.#pos === start) throw this.error(`expected ${what}`);
    return this.text.slice(start, this.#pos);
  }

  /** A quoted-string, unescaped; the opening quote is the current character. */
  quoted(): string {
    const start = this.#pos++;
    let value = '';
    for (;;) {
      if (this.done) throw malformed(this.text, start, 'an unterminated quoted string');
      const ch = this.text[this.#pos++];
      if (ch === '"') return value;
      if (ch === '\\') {
        if (this.done) throw malformed(this.text, start, 'an unterminated quoted string');
        value += this.text[this.#pos++];
      } else {
        const c = ch.charCodeAt(0);
        if (c < 0x20 && c !== 0x09) throw this.error('a control character in a quoted string');
        if (c === 0x7f) throw this.error('a control character in a quoted string');
        value += ch;
      }
    }
  }

  error(what: string): DeflateNegotiationError {
    return malformed(this.text, this.#pos, what);
  }
}

function param(s: Scanner): ExtensionParam {
  const name = s.token('a parameter name');
  s.ows();
  if (s.peek() !== '=') return { name, value: null };
  s.skip();
  s.ows();
  if (s.peek() !== '"') return { name, value: s.token('a parameter value') };
  const value = s.quoted();
  // RFC 6455 9.1: a quoted value must still be a token once unescaped.
  if (!isToken(value)) throw s.error(`the quoted value ${JSON.stringify(value)} is not a token`);
  return { name, value };
}

/**
 * Parses a Sec-WebSocket-Extensions value (several header lines joined with `,` are one
 * list). Empty list elements are skipped, as RFC 9110 5.6.1 asks of recipients.
 * @throws DeflateNegotiationError (MALFORMED_EXTENSIONS_HEADER) for anything else.
 */
export function parseExtensions(header: string): Extension[] {
  const s = new Scanner(header);
  const list: Extension[] = [];
  for (;;) {
    s.ows();
    if (s.done) return list;
    if (s.peek() === ',') {
      s.skip();
      continue;
    }
    const name = s.token('an extension name');
    const params: ExtensionParam[] = [];
    s.ows();
    while (s.peek() === ';') {
      s.skip();
      s.ows();
      params.push(param(s));
      s.ows();
    }
    list.push({ name, params });
    if (s.done) return list;
    if (s.peek() !== ',') throw s.error("expected ',' or ';'");
    s.skip();
  }
}
