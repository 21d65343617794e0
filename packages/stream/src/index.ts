/**
 * @simple-stream/stream: the Transport under every stream, its in-memory and Node
 * Duplex implementations, and Plain, simple-stream's non-blocking framed stream.
 */
export { type Transport, WOULD_BLOCK, END, TransportError, closedError } from './transport.js';
export { MemoryTransport, memoryPair, type MemoryPairOptions } from './memory-transport.js';
export { DuplexTransport, type DuplexTransportOptions } from './duplex-transport.js';
export { ReadArena, sharedReadArena, rewindBatchArenas } from './read-arena.js';
export { Plain, type PlainOptions } from './plain.js';
export { takeBuffer, giveBuffer, uninitialized, KEEP_OUTPUT } from './spare-buffers.js';
export type { Stream } from './stream.js';
export { Waiters } from './waiters.js';
