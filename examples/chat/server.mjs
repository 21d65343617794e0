// The chat of `npm start`: one port serves the page (GET /, examples/chat/index.html) and
// its WebSocket (/chat). Every line a client sends goes to everyone connected, framed (and
// compressed, where it can be shared) once for all of them: server.broadcast().
import { readFileSync } from 'node:fs';
import { serve } from '@simple-stream/websocket';

const PAGE = readFileSync(new URL('./index.html', import.meta.url));
const PAGE_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' };
/** The longest name and line kept, in characters: the rest is cut. */
const MAX_NAME = 32;
const MAX_TEXT = 1000;
const decoder = new TextDecoder();

/** A client's line, `{ name, text }` as JSON text; null when it is anything else. */
function readLine(data) {
  let value;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    return null;
  }
  if (typeof value?.name !== 'string' || typeof value.text !== 'string') return null;
  const text = value.text.slice(0, MAX_TEXT);
  if (text.trim() === '') return null;
  return { name: value.name.trim().slice(0, MAX_NAME) || 'anonymous', text };
}

/**
 * Pages of other sites may not join: a browser always sends Origin, and it must name the
 * host the request came to (clients that send no Origin, not being browsers, may).
 */
function sameOrigin(request) {
  const origin = request.header('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.header('host');
  } catch {
    return false;
  }
}

/**
 * Starts the chat server. Clients send `{ name, text }`; everyone gets `{ from, text, at }`
 * for each line and `{ notice }` when someone joins or leaves. Anything else (binary, bad
 * JSON) closes that client's connection with 1003.
 * @param {{ host?: string, port?: number, deflate?: boolean,
 *   tls?: import('@simple-stream/tls').TlsContext | import('@simple-stream/tls').TlsContextRef }} options
 * @returns {Promise<import('@simple-stream/websocket').WebSocketServer>}
 */
export async function startChat({ host = '127.0.0.1', port = 0, deflate = true, tls } = {}) {
  /** @type {import('@simple-stream/websocket').WebSocketServer} */
  let server;
  const tell = (item) => server.broadcast(JSON.stringify(item));
  server = await serve(
    { addr: host, port, tls, deflate, maxMessage: 16 * 1024 },
    {
      http: (request) => (request.path === '/' ? { status: 200, headers: PAGE_HEADERS, body: PAGE } : undefined),
      upgrade: (request) => {
        if (request.path !== '/chat') return { status: 404, body: 'the chat is at /chat\n' };
        return sameOrigin(request);
      },
      open: () => tell({ notice: `someone joined (${server.clients.size} here)` }),
      message: (ws, data, isBinary) => {
        const line = isBinary ? null : readLine(data);
        if (line === null) return ws.end(1003, 'send {"name","text"} as JSON text');
        tell({ from: line.name, text: line.text, at: Date.now() });
      },
      close: () => tell({ notice: `someone left (${server.clients.size} here)` }),
    },
  );
  return server;
}
