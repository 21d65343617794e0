/*
 * http-mock.c: the C peer of examples/http-mock: every request head (bytes up to
 * "\r\n\r\n") gets the same fixed keep-alive 200 with body "hello\n". Pipelined heads
 * get their responses in one send(2). Single-threaded epoll, level-triggered.
 *
 *   http-mock [PORT]     prints "PORT <n>" once listening on 127.0.0.1
 */
#include "common.h"

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n";

int main(int argc, char **argv) {
  int lfd = listen_on(argc > 1 ? atoi(argv[1]) : 0);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  static char buf[64 * 1024];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      conn_t *c = evs[i].data.ptr;
      if (c == NULL) { accept_all(ep, lfd); continue; }
      int waiting = c->len > 0;
      if (!waiting) {
        ssize_t r = read(c->fd, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { drop(c); continue; }
        /* c->state = how much of "\r\n\r\n" the previous bytes ended with (heads may split). */
        for (ssize_t k = 0; k < r; k++) {
          char b = buf[k];
          if (b == "\r\n\r\n"[c->state]) {
            if (++c->state == 4) { c->state = 0; queue(c, RESPONSE, sizeof RESPONSE - 1); }
          } else {
            c->state = b == '\r';
          }
        }
      }
      if (c->len > 0 && flush_out(ep, c, waiting) < 0) drop(c);
    }
  }
}
