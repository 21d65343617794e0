// The builders the CLI knows by name, and loading a user's builder from a module path.
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Checksum32FrameBuilder,
  Rsv,
  SimpleFrameBuilder,
  WebSocketFrame,
  WebSocketFrameBuilder,
} from '@simple-stream/frames';
import { BrokenLengthFramer } from './examples/broken-length-framer.mjs';

// Small enough that a mutated length field is often over it (PAYLOAD_TOO_LARGE), large
// enough for the 65,536-byte payloads that take the 64-bit WebSocket length.
const MAX_PAYLOAD = 1 << 17;

/**
 * @typedef {import('@simple-stream/frames').FrameBuilder} FrameBuilder
 * @typedef {{ description: string, create: () => FrameBuilder, frameFor?: import('./inputs.mjs').MakeFrame,
 *   peer?: () => FrameBuilder, expectFailure?: boolean }} NamedBuilder
 */

/**
 * Every kind of frame a WebSocket peer may send: data and control frames, fragments,
 * allowed RSV bits, masked as the role requires (mask keys from the fuzzer's seeded PRNG,
 * so failures reproduce).
 * @param {boolean | 'either'} masked @param {number} allowedRsv
 * @returns {import('./inputs.mjs').MakeFrame}
 */
function webSocketFrames(masked, allowedRsv) {
  return (payload, rng) => {
    const mask = (masked === 'either' ? rng.chance(0.5) : masked) ? (rng.chance(0.05) ? 0 : rng.u32()) : false;
    const options = { mask, rsv: allowedRsv !== 0 && rng.chance(0.3) ? allowedRsv : 0 };
    const control = payload.length <= 125;
    switch (rng.int(10)) {
      case 0: if (control) return WebSocketFrame.ping(payload, options); break;
      case 1: if (control) return WebSocketFrame.pong(payload, options); break;
      case 2: return rng.chance(0.5) ? WebSocketFrame.close(undefined, '', options) : WebSocketFrame.close(1000 + rng.int(4), 'bye', options);
      case 3: return WebSocketFrame.text(payload, options);
      case 4: return WebSocketFrame.continuation(payload, { ...options, fin: rng.chance(0.5) });
    }
    return WebSocketFrame.binary(payload, { ...options, fin: rng.chance(0.8) });
  };
}

/** @type {Record<string, NamedBuilder>} */
export const namedBuilders = {
  simple: {
    description: 'SimpleFrameBuilder: 0x01, u16 length, payload, 0x17',
    create: () => new SimpleFrameBuilder(),
  },
  checksum32: {
    description: `Checksum32FrameBuilder({ maxPayload: ${MAX_PAYLOAD} })`,
    create: () => new Checksum32FrameBuilder({ maxPayload: MAX_PAYLOAD }),
  },
  websocket: {
    description: `WebSocketFrameBuilder({ maxPayload: ${MAX_PAYLOAD}, allowedRsv: RSV1 }), no role: masked and unmasked frames`,
    create: () => new WebSocketFrameBuilder({ maxPayload: MAX_PAYLOAD, allowedRsv: Rsv.Rsv1 }),
    frameFor: webSocketFrames('either', Rsv.Rsv1),
  },
  'websocket-server': {
    description: 'WebSocketFrameBuilder({ role: "server" }): receives masked frames, builds unmasked ones',
    create: () => new WebSocketFrameBuilder({ role: 'server', maxPayload: MAX_PAYLOAD }),
    frameFor: webSocketFrames(true, 0),
    peer: () => new WebSocketFrameBuilder({ role: 'client', maxPayload: MAX_PAYLOAD }),
  },
  'websocket-client': {
    description: 'WebSocketFrameBuilder({ role: "client" }): receives unmasked frames, builds masked ones',
    create: () => new WebSocketFrameBuilder({ role: 'client', maxPayload: MAX_PAYLOAD }),
    frameFor: webSocketFrames(false, 0),
    peer: () => new WebSocketFrameBuilder({ role: 'server', maxPayload: MAX_PAYLOAD }),
  },
  broken: {
    description: 'examples/broken-length-framer.mjs: a deliberately broken u8-length text framer',
    create: () => new BrokenLengthFramer(),
    expectFailure: true,
  },
};

/** What `all` runs: every real builder (not the broken example). */
export const REAL_BUILDERS = Object.keys(namedBuilders).filter((name) => !namedBuilders[name].expectFailure);

/**
 * An instance from a module export: an instance, a factory function, or a class.
 * @param {unknown} value
 */
function instantiate(value) {
  if (typeof value !== 'function') return value;
  const isClass = /^class\b/.test(Function.prototype.toString.call(value));
  return isClass ? new /** @type {any} */ (value)() : /** @type {any} */ (value)();
}

/**
 * A builder by name, or from a module: `default` or `builder` (an instance, a factory, or a
 * class), and optionally `frameFor(payload, rng)` (valid frames to decode, when build()
 * does not make them) and `peer` (the builder that decodes what build() makes).
 * @param {string} spec
 * @returns {Promise<{ name: string, description: string, builder: FrameBuilder, frameFor?: import('./inputs.mjs').MakeFrame,
 *   peer?: FrameBuilder, expectFailure: boolean }>}
 */
export async function loadBuilder(spec) {
  if (Object.hasOwn(namedBuilders, spec)) {
    const e = namedBuilders[spec];
    return { name: spec, description: e.description, builder: e.create(), frameFor: e.frameFor, peer: e.peer?.(), expectFailure: e.expectFailure ?? false };
  }
  if (!/[\\/]|\.[cm]?js$/.test(spec)) {
    throw new Error(`unknown builder "${spec}": use one of ${Object.keys(namedBuilders).join(', ')}, all, or a path to a module`);
  }
  const path = resolve(spec);
  const mod = await import(pathToFileURL(path).href);
  const exported = mod.builder ?? mod.default;
  if (exported === undefined) throw new Error(`${spec} exports neither "builder" nor a default`);
  return {
    name: basename(path, extname(path)),
    description: path,
    builder: /** @type {FrameBuilder} */ (instantiate(exported)),
    frameFor: mod.frameFor,
    peer: mod.peer === undefined ? undefined : /** @type {FrameBuilder} */ (instantiate(mod.peer)),
    expectFailure: false,
  };
}
