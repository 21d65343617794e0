/*
 * echo-server.c: the "limit" peer: a minimal single-threaded epoll echo server.
 * Simple framing survives a byte-for-byte echo, so it does not parse frames at all: one
 * read(2) of up to 256 KiB per readable event and one send(2) of what it read.
 *
 *   echo-server [PORT]     prints "PORT <n>" once listening on 127.0.0.1
 */
#include "common.h"

int main(int argc, char **argv) {
  int lfd = listen_on(argc > 1 ? atoi(argv[1]) : 0);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  static char buf[256 * 1024];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      conn_t *c = evs[i].data.ptr;
      if (c == NULL) { accept_all(ep, lfd); continue; }
      if (c->len > 0) { /* EPOLLOUT: the peer is reading again */
        if (flush_out(ep, c, 1) < 0) drop(c);
        continue;
      }
      ssize_t r = read(c->fd, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { drop(c); continue; }
      if (r < 0) continue;
      /* Send straight from the read buffer; copy only what the kernel did not take. */
      ssize_t w = send(c->fd, buf, (size_t)r, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN) { drop(c); continue; }
      if (w < 0) w = 0;
      if (w < r) {
        queue(c, buf + w, (size_t)(r - w));
        if (flush_out(ep, c, 0) < 0) drop(c);
      }
    }
  }
}
