// The handler module of the worker pool tests, loaded by every worker (plain Node: it
// imports the built packages). Simple frames; a payload's first byte says what to do:
//   e…            echo the whole payload
//   w             answer "w<worker> <id> <fd>": which worker holds the connection, its id and fd
//   s<topic>      subscribe to topic, answer "s<topic>" once subscribed
//   p<topic>\n<m> publish m to topic
//   t<id>\n<m>    send m to connection id (on whichever worker)
//   b<n>,<size>   send n frames of size bytes at once (byte i of frame k: (k + i) & 255)
//   x             throw outside any callback (an uncaught exception: the worker dies)
//   q             process.exit(7) on this worker
// Every removal is told to the test on the BroadcastChannel named by context.data.channel.
import { BroadcastChannel } from 'node:worker_threads';
import { FdTransport } from '@simple-stream/epoll-server';
import { SimpleFrameBuilder } from '@simple-stream/frames';
import { Plain } from '@simple-stream/stream';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** @param {import('@simple-stream/epoll-server').WorkerContext} context */
export default function workersHandler(context) {
  const events = new BroadcastChannel(context.data.channel);
  // Unref'd: the channel must not keep a closed worker alive.
  events.unref();
  const builder = new SimpleFrameBuilder();
  return {
    onNewConnection: (fd) => new Plain(new FdTransport(fd), builder),
    onDataReceived(socket, payload) {
      const text = () => decoder.decode(payload.subarray(1));
      switch (payload[0]) {
        case 0x77: // w
          socket.send(encoder.encode(`w${context.worker} ${socket.id} ${socket.fd}`));
          break;
        case 0x73: // s
          socket.subscribe(text());
          socket.send(payload);
          break;
        case 0x70: {
          // p
          const [topic, message] = split(text());
          socket.server.publish(topic, encoder.encode(message));
          break;
        }
        case 0x74: {
          // t
          const [id, message] = split(text());
          socket.server.send(Number(id), encoder.encode(message));
          break;
        }
        case 0x62: {
          // b
          const [n, size] = text().split(',').map(Number);
          for (let k = 0; k < n; k++) socket.send(Uint8Array.from({ length: size }, (_, i) => (k + i) & 255));
          break;
        }
        case 0x78: // x
          setImmediate(() => {
            throw new Error(`worker ${context.worker} told to die`);
          });
          break;
        case 0x71: // q
          process.exit(7);
          break;
        default:
          socket.send(payload);
      }
    },
    onConnectionRemoved(fd, reason) {
      events.postMessage({ worker: context.worker, fd, code: reason?.code ?? null, message: reason?.message ?? null });
    },
  };
}

function split(s) {
  const at = s.indexOf('\n');
  return [s.slice(0, at), s.slice(at + 1)];
}
