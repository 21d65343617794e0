// A Simple-frame echo as users write it with node:net or node:tls, shared by the `net` and
// `tls` peers: frames parsed from 'data' events (the leftover of the previous chunk joined
// with Buffer.concat), each written back on its own; with `cork`, the writes of one 'data'
// event are corked and leave together on the next tick (the usual remedy).

/** 0x01, u16 BE length, payload, 0x17: a fresh buffer per frame, as users write it. */
function encode(payload) {
  const frame = Buffer.allocUnsafe(payload.length + 4);
  frame[0] = 0x01;
  frame.writeUInt16BE(payload.length, 1);
  payload.copy(frame, 3);
  frame[payload.length + 3] = 0x17;
  return frame;
}

/** Echoes the Simple frames of `socket` (a net.Socket or tls.TLSSocket). */
export function userEcho(socket, { cork = false } = {}) {
  let leftover = null;
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    const buf = leftover === null ? chunk : Buffer.concat([leftover, chunk]);
    let off = 0;
    if (cork) socket.cork();
    while (buf.length - off >= 3) {
      if (buf[off] !== 0x01) return socket.destroy(new Error('bad frame guard'));
      const length = buf.readUInt16BE(off + 1);
      if (buf.length - off < length + 4) break;
      if (buf[off + 3 + length] !== 0x17) return socket.destroy(new Error('bad frame trailer'));
      socket.write(encode(buf.subarray(off + 3, off + 3 + length)));
      off += length + 4;
    }
    leftover = off < buf.length ? buf.subarray(off) : null;
    if (cork) process.nextTick(() => socket.uncork());
  });
}
