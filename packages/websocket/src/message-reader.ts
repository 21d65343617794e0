import { isUtf8 } from 'node:buffer';
import { Opcode, Rsv, isValidCloseCode, type WebSocketFrame } from '@simple-stream/frames';
import { MessageAssembler } from './assembler.js';
import { Message } from './message.js';
import type { PerMessageDeflate } from './permessage-deflate.js';
import { ticker } from './ticker.js';
import { WebSocketError, WebSocketErrorCode } from './websocket-error.js';

/** The close frame the peer sent: its code (1005 when it had none) and reason. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** What a received frame asks of its connection, besides the messages it completes. */
export const FrameAction = {
  /** Nothing. */
  None: 0,
  /** A ping: answer with a pong carrying its payload. */
  Pong: 1,
  /** The peer's close frame (valid; see `peerClose`): the closing handshake. */
  Close: 2,
} as const;

const decoder = new TextDecoder();

/**
 * The receiving rules of RFC 6455 (and RFC 7692's RSV1) applied to each frame of an open
 * connection: which frames may come when, text checked as UTF-8 (a whole message through
 * Node's `isUtf8`, fragments incrementally), fragments and compressed messages assembled,
 * pongs recorded, close frames checked. A broken rule throws a WebSocketError with the
 * close code it calls for.
 */
export class MessageReader {
  readonly #assembler: MessageAssembler;
  readonly #deliverPings: boolean;
  #compression = false;
  /** When the last pong arrived (the ticker's clock); 0 if none has. */
  lastPong = 0;
  /** The peer's close frame, once it arrived. */
  peerClose: CloseInfo | null = null;

  /**
   * @param maxMessage the largest message assembled
   * @param deliverPings whether pings and pongs are returned as messages too
   */
  constructor(maxMessage: number, deliverPings: boolean) {
    this.#assembler = new MessageAssembler(maxMessage);
    this.#deliverPings = deliverPings;
  }

  /** The negotiated permessage-deflate: RSV1 marks its messages from now on. */
  set inflater(inflater: PerMessageDeflate | null) {
    this.#compression = inflater !== null;
    this.#assembler.inflater = inflater;
  }

  /** Drops a message in progress (the connection is closing or failed). */
  reset(): void {
    this.#assembler.reset();
  }

  /**
   * Takes one frame: pushes the message it completes (if any) to `out` and says what
   * else it asks for (a {@link FrameAction}).
   */
  read(f: WebSocketFrame, out: Message[]): number {
    const opcode = f.opcode;
    const assembler = this.#assembler;
    if (opcode === Opcode.Binary || opcode === Opcode.Text) {
      if (assembler.inProgress) throw protocolError('a new message began inside a fragmented one');
      if (f.rsv !== 0) {
        if (!this.#compression || f.rsv !== Rsv.Rsv1) throw protocolError('RSV bits set without a negotiated extension');
        if (f.fin) out.push(assembler.inflateWhole(opcode, f.payload));
        else assembler.begin(opcode, true, f.payload);
      } else if (!f.fin) {
        assembler.begin(opcode, false, f.payload);
      } else if (opcode === Opcode.Binary || isUtf8(f.payload)) {
        out.push(new Message(f.payload, opcode));
      } else {
        throw new WebSocketError(WebSocketErrorCode.InvalidUtf8, 'a text message that is not UTF-8', 1007);
      }
      return FrameAction.None;
    }
    if (opcode === Opcode.Continuation) {
      if (!assembler.inProgress) throw protocolError('a continuation frame without a message to continue');
      if (f.rsv !== 0) throw protocolError('RSV bits on a continuation frame');
      const message = assembler.continue(f.payload, f.fin);
      if (message !== null) out.push(message);
      return FrameAction.None;
    }
    if (f.rsv !== 0) throw protocolError('RSV bits on a control frame');
    if (opcode === Opcode.Close) {
      this.peerClose = closeInfo(f.payload);
      assembler.reset();
      return FrameAction.Close;
    }
    if (this.#deliverPings) out.push(new Message(f.payload, opcode));
    if (opcode === Opcode.Ping) return FrameAction.Pong;
    this.lastPong = ticker.now;
    return FrameAction.None;
  }
}

/** The code and reason of a close frame's body, checked (RFC 6455 5.5.1, 7.4). */
function closeInfo(p: Uint8Array): CloseInfo {
  if (p.length === 0) return { code: 1005, reason: '' };
  if (p.length === 1) throw new WebSocketError(WebSocketErrorCode.InvalidCloseFrame, 'a close frame with a 1-byte body', 1002);
  const code = (p[0] << 8) | p[1];
  if (!isValidCloseCode(code)) throw new WebSocketError(WebSocketErrorCode.InvalidCloseFrame, `close code ${code} may not be sent`, 1002);
  const text = p.subarray(2);
  if (!isUtf8(text)) throw new WebSocketError(WebSocketErrorCode.InvalidUtf8, 'a close reason that is not UTF-8', 1007);
  return { code, reason: decoder.decode(text) };
}

function protocolError(message: string): WebSocketError {
  return new WebSocketError(WebSocketErrorCode.ProtocolError, message, 1002);
}
