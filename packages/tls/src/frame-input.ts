import { FrameError, FrameErrorCode, FrameReader, type Frame, type FrameBuilder } from '@simple-stream/frames';
import type { ReadArena } from '@simple-stream/stream';
import type { CipherOutput } from './cipher-output.js';
import type { Engine } from './engine.js';
import { TlsError } from './errors.js';
import { C } from './native.js';

const F_CONTINUE = C.F_MORE_IN | C.F_MORE_OUT;

/**
 * A Secure stream's receiving half: ciphertext into the engine, plaintext into the
 * arena (where frames stay valid views), frames out of the FrameReader into a batch that
 * the stream hands out. Also what follows each engine call: its output, the SNI choice,
 * the peer's close_notify.
 */
export class FrameInput<F extends Frame> {
  readonly #engine: Engine;
  readonly #output: CipherOutput;
  readonly #reader: FrameReader<F>;
  readonly #arena: ReadArena;
  #batch: F[] = [];
  /** True once the peer has finished sending. */
  ended = false;
  /** True once the engine was called (a client's first call sends its ClientHello). */
  started = false;

  constructor(engine: Engine, output: CipherOutput, builder: FrameBuilder<F>, arena: ReadArena, maxFrameSize: number | undefined) {
    this.#engine = engine;
    this.#output = output;
    this.#reader = new FrameReader(builder, { maxFrameSize });
    this.#arena = arena;
  }

  /** Bytes of an incomplete received frame. */
  get buffered(): number {
    return this.#reader.buffered;
  }

  /**
   * Feeds `input[0, length)` (null: none; fd mode reads the socket) and decrypts all it
   * can. `shortReadDrains`: see Engine.recv.
   */
  decrypt(input: Uint8Array | null, length: number, shortReadDrains = false): void {
    const engine = this.#engine;
    const arena = this.#arena;
    this.started = true;
    for (;;) {
      const bytes = arena.bytes;
      const got = engine.recv(input, length, bytes, arena.offset, arena.room, shortReadDrains);
      input = null;
      this.#output.deliver(got);
      if (got > 0) {
        const frames = this.#reader.push(arena.commit(got));
        if (frames.length > 0) this.#batch = this.#batch.length === 0 ? frames : this.#batch.concat(frames);
      }
      const flags = engine.flags;
      if ((flags & C.F_PEER_CLOSED) !== 0) return this.#end();
      if ((flags & C.F_NEED_CONTEXT) !== 0) engine.chooseContext();
      else if ((flags & F_CONTINUE) === 0) return;
    }
  }

  /** The transport ended: a clean end, or a truncation (TlsError). */
  endOfInput(): void {
    this.#engine.eof();
    this.decrypt(null, 0);
    if (!this.ended) throw this.#engine.fail(new TlsError('UNEXPECTED_EOF', 'the transport ended inside the TLS stream'));
  }

  /** The frames received since the last call. */
  take(): F[] {
    const frames = this.#batch;
    this.#batch = [];
    return frames;
  }

  /** Puts frames back in front of the batch (read while waiting for something else). */
  hold(frames: F[]): void {
    if (frames.length > 0) this.#batch = frames.concat(this.#batch);
  }

  /** Runs `receive`; a FrameError carries the frames received before it. */
  guard(receive: () => void): void {
    try {
      receive();
    } catch (err) {
      const before = this.take();
      if (err instanceof FrameError && before.length > 0) err.frames = before.concat(err.frames as F[]);
      throw err;
    }
  }

  #end(): void {
    this.ended = true;
    const held = this.#reader.buffered;
    if (held > 0) throw new FrameError(FrameErrorCode.Truncated, `the stream ended inside a frame, ${held} bytes in`, held);
  }
}
