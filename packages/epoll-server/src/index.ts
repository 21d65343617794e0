/**
 * @simple-stream/epoll-server: hydrogen's epoll server for Node.js. For now, the native
 * layer: the epoll loop, socket syscalls and socket options (the server comes on top).
 */
export * from './native.js';
export * from './socket-options.js';
