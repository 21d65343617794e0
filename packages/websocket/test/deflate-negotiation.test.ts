// Negotiating permessage-deflate (RFC 7692 5, 7.1): the header grammar, the server's
// choice among offers, the client's offer and its checks of the response, and both
// directions against the `ws` package's negotiation.
import { describe, expect, it } from 'vitest';
import {
  acceptOffer,
  DeflateNegotiationError,
  DeflateNegotiationErrorCode,
  makeOffer,
  parseResponse,
  type DeflateOptions,
  type DeflateParams,
} from '../src/permessage-deflate.js';
import { parseExtensions } from '../src/deflate-header.js';
import { WsPerMessageDeflate, extension } from './ws-deflate.js';

const DEFAULTS: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

function negotiationError(run: () => unknown): DeflateNegotiationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DeflateNegotiationError);
    return error as DeflateNegotiationError;
  }
  throw new Error('expected a DeflateNegotiationError');
}

describe('parseExtensions', () => {
  it('reads extensions, parameters, values and quoted values in order', () => {
    expect(parseExtensions('a; x; y=1, b ;z = "q\\9" ,c')).toEqual([
      { name: 'a', params: [{ name: 'x', value: null }, { name: 'y', value: '1' }] },
      { name: 'b', params: [{ name: 'z', value: 'q9' }] },
      { name: 'c', params: [] },
    ]);
  });

  it('skips empty list elements and whitespace (RFC 9110 5.6.1)', () => {
    expect(parseExtensions(' , a,\t, b ,')).toEqual([
      { name: 'a', params: [] },
      { name: 'b', params: [] },
    ]);
    expect(parseExtensions('')).toEqual([]);
  });

  it.each([
    ['a parameter without a name', 'permessage-deflate;'],
    ['a list element starting with ;', '; permessage-deflate'],
    ['an unterminated quoted value', 'permessage-deflate; server_max_window_bits="10'],
    ['a quoted value that is not a token', 'permessage-deflate; server_max_window_bits="1 0"'],
    ['an empty quoted value', 'a; b=""'],
    ['a missing value after =', 'permessage-deflate; server_max_window_bits='],
    ['two tokens without a separator', 'permessage-deflate foo'],
    ['a value followed by junk', 'a; b=1 2'],
    ['a non-token character', 'permessage-deflate; server_max_window_bits=1/0'],
    ['a non-ASCII name', 'permessage-déflate'],
    ['a control character in quotes', 'a; b="1\u0001"'],
  ])('refuses %s', (_, header) => {
    expect(negotiationError(() => parseExtensions(header)).code).toBe(DeflateNegotiationErrorCode.MalformedHeader);
  });
});

describe('acceptOffer (server)', () => {
  it('accepts a bare offer with the defaults', () => {
    expect(acceptOffer('permessage-deflate', {})).toEqual({ params: DEFAULTS, response: 'permessage-deflate' });
  });

  it.each<[string, string, Partial<DeflateParams>, string]>([
    ['server_no_context_takeover', 'server_no_context_takeover', { serverNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover'],
    ['client_no_context_takeover', 'client_no_context_takeover', { clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover'],
    ['server_max_window_bits', 'server_max_window_bits=10', { serverMaxWindowBits: 10 }, 'permessage-deflate; server_max_window_bits=10'],
    ['server_max_window_bits of 8', 'server_max_window_bits=8', { serverMaxWindowBits: 8 }, 'permessage-deflate; server_max_window_bits=8'],
    ['server_max_window_bits of 15', 'server_max_window_bits=15', {}, 'permessage-deflate; server_max_window_bits=15'],
    ['client_max_window_bits without a value', 'client_max_window_bits', {}, 'permessage-deflate'],
    ['client_max_window_bits with a value', 'client_max_window_bits=9', { clientMaxWindowBits: 9 }, 'permessage-deflate; client_max_window_bits=9'],
    ['a quoted value', 'server_max_window_bits="12"', { serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=12'],
    ['a quoted value with escapes', 'server_max_window_bits="\\1\\1"', { serverMaxWindowBits: 11 }, 'permessage-deflate; server_max_window_bits=11'],
  ])('accepts %s and says so in the response', (_, param, params, response) => {
    expect(acceptOffer(`permessage-deflate; ${param}`, {})).toEqual({ params: { ...DEFAULTS, ...params }, response });
  });

  it('accepts every parameter at once', () => {
    const offer = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10';
    expect(acceptOffer(offer, {})).toEqual({
      params: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
      response: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10',
    });
  });

  it('imposes its own options within what the offer allows', () => {
    const options: DeflateOptions = { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 12 };
    expect(acceptOffer('permessage-deflate; client_max_window_bits', options)).toEqual({
      params: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 12 },
      response: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12',
    });
    // The smaller of the offer's and the option's window wins, in both directions.
    expect(acceptOffer('permessage-deflate; server_max_window_bits=9; client_max_window_bits=10', options)?.params).toMatchObject({
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 10,
    });
  });

  it('declines an offer whose client window it must limit but cannot', () => {
    expect(acceptOffer('permessage-deflate', { clientMaxWindowBits: 10 })).toBeNull();
    expect(acceptOffer('permessage-deflate, permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })).toEqual({
      params: { ...DEFAULTS, clientMaxWindowBits: 10 },
      response: 'permessage-deflate; client_max_window_bits=10',
    });
  });

  it.each([
    ['an unknown parameter', 'permessage-deflate; foo'],
    ['a repeated parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    ['a repeated window parameter', 'permessage-deflate; client_max_window_bits=9; client_max_window_bits=9'],
    ['a flag with a value', 'permessage-deflate; server_no_context_takeover=1'],
    ['server_max_window_bits without a value', 'permessage-deflate; server_max_window_bits'],
    ['server_max_window_bits of 7', 'permessage-deflate; server_max_window_bits=7'],
    ['server_max_window_bits of 16', 'permessage-deflate; server_max_window_bits=16'],
    ['a leading zero', 'permessage-deflate; server_max_window_bits=09'],
    ['client_max_window_bits of 0', 'permessage-deflate; client_max_window_bits=0'],
    ['a non-numeric window', 'permessage-deflate; client_max_window_bits=ten'],
  ])('declines an offer with %s (RFC 7692 5), and takes the next valid one', (_, bad) => {
    expect(acceptOffer(bad, {})).toBeNull();
    expect(acceptOffer(`${bad}, permessage-deflate; client_no_context_takeover`, {})).toEqual({
      params: { ...DEFAULTS, clientNoContextTakeover: true },
      response: 'permessage-deflate; client_no_context_takeover',
    });
  });

  it("takes the first acceptable offer, in the client's order of preference", () => {
    const header = 'permessage-deflate; server_max_window_bits=10, permessage-deflate; server_max_window_bits=12';
    expect(acceptOffer(header, {})?.params.serverMaxWindowBits).toBe(10);
  });

  it('ignores other extensions and compares names without case', () => {
    expect(acceptOffer('x-webkit-deflate-frame; no_context_takeover, Permessage-Deflate; Client_Max_Window_Bits=11', {})?.params).toEqual({
      ...DEFAULTS,
      clientMaxWindowBits: 11,
    });
    expect(acceptOffer('x-webkit-deflate-frame, foo; bar=1', {})).toBeNull();
    expect(acceptOffer('', {})).toBeNull();
  });

  it('throws for a malformed header (the server answers 400), even with a valid offer in it', () => {
    const error = negotiationError(() => acceptOffer('permessage-deflate, permessage-deflate; x="', {}));
    expect(error.code).toBe(DeflateNegotiationErrorCode.MalformedHeader);
  });

  it('refuses bad options', () => {
    expect(() => acceptOffer('permessage-deflate', { serverMaxWindowBits: 16 })).toThrow(RangeError);
    expect(() => acceptOffer('permessage-deflate', { clientMaxWindowBits: 7 })).toThrow(RangeError);
    expect(() => acceptOffer('permessage-deflate', { level: 10 })).toThrow(RangeError);
    expect(() => acceptOffer('permessage-deflate', { memLevel: 0 })).toThrow(RangeError);
    expect(() => acceptOffer('permessage-deflate', { threshold: -1 })).toThrow(RangeError);
    expect(() => acceptOffer('permessage-deflate', { serverMaxWindowBits: 10.5 })).toThrow(RangeError);
  });
});

describe('makeOffer (client)', () => {
  it('always offers client_max_window_bits, so that the server may limit our window', () => {
    expect(makeOffer({})).toBe('permessage-deflate; client_max_window_bits');
  });

  it('asks for every option', () => {
    expect(makeOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 })).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    );
  });

  it('offers what our own server accepts as offered', () => {
    const options: DeflateOptions = { serverNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 11 };
    const accepted = acceptOffer(makeOffer(options), {})!;
    expect(accepted.params).toEqual({ serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 12, clientMaxWindowBits: 11 });
    expect(parseResponse(accepted.response, options)).toEqual(accepted.params);
  });
});

describe('parseResponse (client)', () => {
  it('reads the defaults from a bare response', () => {
    expect(parseResponse('permessage-deflate', {})).toEqual(DEFAULTS);
  });

  it('reads every parameter', () => {
    const response = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9';
    expect(parseResponse(response, {})).toEqual({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 });
  });

  it('keeps what we offered to do ourselves when the server does not repeat it', () => {
    expect(parseResponse('permessage-deflate', { clientNoContextTakeover: true, clientMaxWindowBits: 12 })).toEqual({
      ...DEFAULTS,
      clientNoContextTakeover: true,
      clientMaxWindowBits: 12,
    });
  });

  it('accepts a server window at or under what we asked for', () => {
    expect(parseResponse('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 10 }).serverMaxWindowBits).toBe(10);
    expect(parseResponse('permessage-deflate; server_max_window_bits=8', { serverMaxWindowBits: 10 }).serverMaxWindowBits).toBe(8);
  });

  it.each<[string, string, DeflateOptions, string]>([
    ['client_max_window_bits without a value', 'permessage-deflate; client_max_window_bits', {}, DeflateNegotiationErrorCode.InvalidParameter],
    ['an unknown parameter', 'permessage-deflate; foo=1', {}, DeflateNegotiationErrorCode.InvalidParameter],
    ['a repeated parameter', 'permessage-deflate; client_no_context_takeover; client_no_context_takeover', {}, DeflateNegotiationErrorCode.InvalidParameter],
    ['a window of 16', 'permessage-deflate; server_max_window_bits=16', {}, DeflateNegotiationErrorCode.InvalidParameter],
    ['a server window over the offered one', 'permessage-deflate; server_max_window_bits=11', { serverMaxWindowBits: 10 }, DeflateNegotiationErrorCode.NotAccepted],
    ['no server window when one was asked for', 'permessage-deflate', { serverMaxWindowBits: 10 }, DeflateNegotiationErrorCode.NotAccepted],
    ['no server_no_context_takeover when asked for', 'permessage-deflate', { serverNoContextTakeover: true }, DeflateNegotiationErrorCode.NotAccepted],
    ['a client window over the offered one', 'permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 11 }, DeflateNegotiationErrorCode.NotAccepted],
    ['another extension', 'x-webkit-deflate-frame', {}, DeflateNegotiationErrorCode.UnexpectedExtension],
    ['two extensions', 'permessage-deflate, permessage-deflate', {}, DeflateNegotiationErrorCode.UnexpectedExtension],
    ['an empty header', '', {}, DeflateNegotiationErrorCode.UnexpectedExtension],
    ['a malformed header', 'permessage-deflate; ', {}, DeflateNegotiationErrorCode.MalformedHeader],
  ])('fails the connection on %s', (_, response, options, code) => {
    expect(negotiationError(() => parseResponse(response, options)).code).toBe(code);
  });
});

/** ws's params object as ours: it names the same four RFC parameters. */
function fromWs(params: Record<string, unknown>): DeflateParams {
  const bits = (v: unknown) => (typeof v === 'number' ? v : 15);
  return {
    serverNoContextTakeover: params.server_no_context_takeover === true,
    clientNoContextTakeover: params.client_no_context_takeover === true,
    serverMaxWindowBits: bits(params.server_max_window_bits),
    clientMaxWindowBits: bits(params.client_max_window_bits),
  };
}

describe('against ws', () => {
  const wsOptions = [
    {},
    { serverNoContextTakeover: true },
    { clientNoContextTakeover: true },
    { serverMaxWindowBits: 10 },
    { clientMaxWindowBits: 9 },
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 11 },
  ];

  it.each(wsOptions)('our server and a ws client agree on the same params (ws client %o)', (options) => {
    const client = new WsPerMessageDeflate({ ...options });
    const offer = extension.format({ 'permessage-deflate': [client.offer()] });
    const accepted = acceptOffer(offer, {})!;
    expect(accepted).not.toBeNull();
    const wsParams = client.accept(extension.parse(accepted.response)['permessage-deflate']);
    expect(fromWs(wsParams)).toEqual(accepted.params);
  });

  it.each(wsOptions)('our client and a ws server agree on the same params (our options %o)', (options) => {
    const server = new WsPerMessageDeflate({ isServer: true });
    const wsParams = server.accept(extension.parse(makeOffer(options))['permessage-deflate']);
    const response = extension.format({ 'permessage-deflate': [wsParams] });
    const ours = parseResponse(response, options);
    // ws leaves client_max_window_bits out of its response when the offer had no value.
    expect(ours).toEqual({ ...fromWs(wsParams), clientMaxWindowBits: ours.clientMaxWindowBits });
    expect(ours.clientMaxWindowBits).toBe(typeof wsParams.client_max_window_bits === 'number' ? wsParams.client_max_window_bits : (options.clientMaxWindowBits ?? 15));
  });
});
