// HTTP/1.1 heads as the WebSocket server and client read them: fields by name in any case,
// repeated fields, comma lists and tokens, the target's path and query, and the malformed
// heads that must be refused.
import { describe, expect, it } from 'vitest';
import { HttpHeadError, parseRequestHead, parseResponseHead } from '../src/http-head.js';

const head = (text: string): Uint8Array => Buffer.from(text, 'latin1');

describe('request heads', () => {
  it('reads the request line, fields in any case, repeated fields and lists', () => {
    const r = parseRequestHead(head('GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-List: a, b\r\nx-list:  c ,,d \r\nEmpty:'));
    expect([r.method, r.target, r.path, r.query, r.version]).toEqual(['GET', '/a/b?x=1&y=2', '/a/b', 'x=1&y=2', 'HTTP/1.1']);
    expect(r.header('HOST')).toBe('h');
    expect(r.header('x-list')).toBe('a, b, c ,,d');
    expect(r.headerValues('X-List')).toEqual(['a, b', 'c ,,d']);
    expect(r.list('x-list')).toEqual(['a', 'b', 'c', 'd']);
    expect(r.hasToken('X-LIST', 'C')).toBe(true);
    expect(r.hasToken('x-list', 'e')).toBe(false);
    expect(r.header('empty')).toBe('');
    expect(r.header('missing')).toBeUndefined();
    expect(r.headers).toMatchObject({ host: 'h', empty: '' });
  });

  it('keeps latin1 bytes of values as they are', () => {
    expect(parseRequestHead(head('GET / HTTP/1.1\r\nX-Name: caf\xe9')).header('x-name')).toBe('caf\xe9');
  });

  const malformed: Array<[string, string, number]> = [
    ['a bare LF', 'GET / HTTP/1.1\nHost: h', 400],
    ['a CR inside a line', 'GET / HTTP/1.1\r\nHost: a\rb', 400],
    ['no target', 'GET HTTP/1.1', 400],
    ['two spaces', 'GET  / HTTP/1.1', 400],
    ['a lowercase version', 'GET / http/1.1', 400],
    ['HTTP/2.0', 'GET / HTTP/2.0', 505],
    ['a control character in a value', 'GET / HTTP/1.1\r\nX: a\x01b', 400],
    ['a field without a name', 'GET / HTTP/1.1\r\n: value', 400],
    ['a bad character in a name', 'GET / HTTP/1.1\r\nX(y): 1', 400],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nX: a\r\n  b', 400],
  ];

  it.each(malformed)('refuses %s', (_, text, status) => {
    let err: unknown;
    try {
      parseRequestHead(head(text));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpHeadError);
    expect((err as HttpHeadError).status).toBe(status);
  });
});

describe('response heads', () => {
  it('reads the status line, with or without a reason phrase', () => {
    const r = parseResponseHead(head('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket'));
    expect([r.status, r.statusText, r.header('upgrade')]).toEqual([101, 'Switching Protocols', 'websocket']);
    expect(parseResponseHead(head('HTTP/1.1 404')).status).toBe(404);
    expect(() => parseResponseHead(head('HTTP/2 200 OK'))).toThrow(HttpHeadError);
    expect(() => parseResponseHead(head('SSH-2.0-OpenSSH'))).toThrow(HttpHeadError);
  });
});
