/*
 * echo-server.c: the "limit" peer: a minimal single-threaded epoll echo server.
 * Simple framing survives a byte-for-byte echo, so it does not parse frames at all: one
 * read(2) of up to 256 KiB per readable event and one send(2) of what it read.
 *
 *   echo-server [PORT]     prints "PORT <n>" once listening on 127.0.0.1
 */
#include "common.h"

/* One read(2) and one send(2) of what it read; -1 to drop the connection. */
static int on_readable(int ep, conn_t *c) {
  static char buf[256 * 1024];
  ssize_t r = read(c->fd, buf, sizeof buf);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return -1;
  if (r < 0) return 0;
  /* Send straight from the read buffer; copy only what the kernel did not take. */
  ssize_t w = send(c->fd, buf, (size_t)r, MSG_NOSIGNAL);
  if (w < 0 && errno != EAGAIN) return -1;
  if (w < 0) w = 0;
  if (w == r) return 0;
  queue(c, buf + w, (size_t)(r - w));
  return flush_out(ep, c, 0) < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
  serve(argc, argv, on_readable);
}
