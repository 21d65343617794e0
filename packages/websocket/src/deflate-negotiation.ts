/**
 * Negotiating permessage-deflate (RFC 7692 5 and 7.1) in Sec-WebSocket-Extensions.
 *
 * Server: the client's offers are tried in its order of preference and the first one
 * this server can honour is accepted. An offer with an unknown, repeated or badly valued
 * parameter is declined, as RFC 7692 5 requires ("MUST decline"), and the next one tried;
 * only a header that breaks the grammar of RFC 6455 9.1 throws (the server answers 400).
 * `ws` answers 400 for bad parameters too; declining instead lets the connection go on
 * uncompressed, which is what the RFC wants.
 *
 * Client: the response must accept exactly the one offer makeOffer() made; anything else
 * throws, and the client fails the connection (RFC 7692 5, "MUST _Fail_").
 */
import { DeflateNegotiationError, DeflateNegotiationErrorCode } from './deflate-errors.js';
import { type ExtensionParam, parseExtensions } from './deflate-header.js';
import { checkDeflateOptions, type CheckedDeflateOptions, type DeflateOptions, type DeflateParams } from './deflate-options.js';

/** The extension's registered name. */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** RFC 7692 7.1.2: a decimal 8 to 15 without leading zeroes. */
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/** One offer or response, as its parameters say; null members are absent. */
interface Terms {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | null;
  /** `true`: present without a value (allowed in an offer only). */
  clientMaxWindowBits: number | true | null;
}

/**
 * Reads the parameters of one offer (`response` false) or response.
 * @returns the terms, or why they are invalid.
 */
function readTerms(params: readonly ExtensionParam[], response: boolean): Terms | string {
  const terms: Terms = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: null, clientMaxWindowBits: null };
  const seen = new Set<string>();
  for (const { name: rawName, value } of params) {
    const name = rawName.toLowerCase();
    if (seen.has(name)) return `the parameter ${name} is repeated`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== null) return `${name} takes no value`;
        if (name === 'server_no_context_takeover') terms.serverNoContextTakeover = true;
        else terms.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        if (value === null || !WINDOW_BITS.test(value)) return `${name} must be 8 to 15`;
        terms.serverMaxWindowBits = Number(value);
        break;
      case 'client_max_window_bits':
        if (value === null && !response) terms.clientMaxWindowBits = true;
        else if (value === null || !WINDOW_BITS.test(value)) return `${name} must be 8 to 15${response ? '' : ' or have no value'}`;
        else terms.clientMaxWindowBits = Number(value);
        break;
      default:
        return `unknown parameter ${rawName}`;
    }
  }
  return terms;
}

/** The header value for agreed params; window bits are stated when under 15 or asked. */
function format(params: DeflateParams, askedServerBits: boolean): string {
  let s = PERMESSAGE_DEFLATE;
  if (params.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (params.clientNoContextTakeover) s += '; client_no_context_takeover';
  if (askedServerBits || params.serverMaxWindowBits < 15) s += `; server_max_window_bits=${params.serverMaxWindowBits}`;
  if (params.clientMaxWindowBits < 15) s += `; client_max_window_bits=${params.clientMaxWindowBits}`;
  return s;
}

/** The params this server agrees to for one valid offer, or null if it cannot. */
function agree(offer: Terms, o: CheckedDeflateOptions): DeflateParams | null {
  const clientLimit = o.clientMaxWindowBits ?? 15;
  // Without client_max_window_bits in the offer the server cannot limit the client's
  // window (7.1.2.2), so a server that must, declines (as `ws` does).
  if (offer.clientMaxWindowBits === null && clientLimit < 15) return null;
  const clientOffered = offer.clientMaxWindowBits === null || offer.clientMaxWindowBits === true ? 15 : offer.clientMaxWindowBits;
  return {
    serverNoContextTakeover: offer.serverNoContextTakeover || o.serverNoContextTakeover,
    clientNoContextTakeover: offer.clientNoContextTakeover || o.clientNoContextTakeover,
    // Every window from 8 to 15 can be honoured (8 deflates with 9: native/deflate.c).
    serverMaxWindowBits: Math.min(offer.serverMaxWindowBits ?? 15, o.serverMaxWindowBits ?? 15),
    clientMaxWindowBits: Math.min(clientOffered, clientLimit),
  };
}

/**
 * Server: chooses among the client's offers in a Sec-WebSocket-Extensions value (several
 * extensions and several permessage-deflate offers, comma separated; parameters after
 * `;`; quoted values allowed).
 * @returns the agreed params and the response header value, or null to decline (no
 * offer is both valid and acceptable with these options).
 * @throws DeflateNegotiationError for a header that breaks the grammar: answer 400.
 * @throws RangeError for bad options.
 */
export function acceptOffer(header: string, options: DeflateOptions = {}): { params: DeflateParams; response: string } | null {
  const o = checkDeflateOptions(options);
  for (const extension of parseExtensions(header)) {
    if (extension.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    const offer = readTerms(extension.params, false);
    if (typeof offer === 'string') continue;
    const params = agree(offer, o);
    if (params !== null) return { params, response: format(params, offer.serverMaxWindowBits !== null) };
  }
  return null;
}

/**
 * Client: the Sec-WebSocket-Extensions value offering permessage-deflate with `options`.
 * client_max_window_bits is always offered (with a value when set), so that a server
 * may limit our window.
 */
export function makeOffer(options: DeflateOptions = {}): string {
  const o = checkDeflateOptions(options);
  let s = PERMESSAGE_DEFLATE;
  if (o.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (o.clientNoContextTakeover) s += '; client_no_context_takeover';
  if (o.serverMaxWindowBits !== null) s += `; server_max_window_bits=${o.serverMaxWindowBits}`;
  s += o.clientMaxWindowBits !== null ? `; client_max_window_bits=${o.clientMaxWindowBits}` : '; client_max_window_bits';
  return s;
}

function refuse(code: keyof typeof DeflateNegotiationErrorCode, message: string): DeflateNegotiationError {
  return new DeflateNegotiationError(DeflateNegotiationErrorCode[code], `permessage-deflate response: ${message}`);
}

/**
 * Client: checks the server's Sec-WebSocket-Extensions response to makeOffer(options)
 * and returns the agreed params.
 * @throws DeflateNegotiationError when the client must fail the connection: a malformed
 * header, another extension or several, a bad parameter, or terms beyond the offer.
 */
export function parseResponse(header: string, options: DeflateOptions = {}): DeflateParams {
  const o = checkDeflateOptions(options);
  const extensions = parseExtensions(header);
  if (extensions.length !== 1 || extensions[0].name.toLowerCase() !== PERMESSAGE_DEFLATE) {
    const names = extensions.map((e) => e.name).join(', ') || 'none';
    throw refuse('UnexpectedExtension', `expected ${PERMESSAGE_DEFLATE} alone, got ${names}`);
  }
  const terms = readTerms(extensions[0].params, true);
  if (typeof terms === 'string') throw refuse('InvalidParameter', terms);
  // 7.1.1.1 and 7.1.2.1: the server accepts what we asked for by repeating it.
  if (o.serverNoContextTakeover && !terms.serverNoContextTakeover) {
    throw refuse('NotAccepted', 'server_no_context_takeover was offered but not accepted');
  }
  if (o.serverMaxWindowBits !== null && (terms.serverMaxWindowBits === null || terms.serverMaxWindowBits > o.serverMaxWindowBits)) {
    throw refuse('NotAccepted', `server_max_window_bits must be at most the offered ${o.serverMaxWindowBits}`);
  }
  const clientBits = terms.clientMaxWindowBits === true ? null : terms.clientMaxWindowBits;
  if (clientBits !== null && o.clientMaxWindowBits !== null && clientBits > o.clientMaxWindowBits) {
    throw refuse('NotAccepted', `client_max_window_bits ${clientBits} is over the offered ${o.clientMaxWindowBits}`);
  }
  return {
    serverNoContextTakeover: terms.serverNoContextTakeover,
    clientNoContextTakeover: terms.clientNoContextTakeover || o.clientNoContextTakeover,
    serverMaxWindowBits: terms.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: clientBits ?? o.clientMaxWindowBits ?? 15,
  };
}
