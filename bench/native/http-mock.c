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

/* Reads what came and queues a response per complete head; -1 to drop the connection. */
static int on_readable(int ep, conn_t *c) {
  static char buf[64 * 1024];
  ssize_t r = read(c->fd, buf, sizeof buf);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return -1;
  /* c->state = how much of "\r\n\r\n" the previous bytes ended with (heads may split). */
  for (ssize_t k = 0; k < r; k++) {
    char b = buf[k];
    if (b == "\r\n\r\n"[c->state]) {
      if (++c->state == 4) { c->state = 0; queue(c, RESPONSE, sizeof RESPONSE - 1); }
    } else {
      c->state = b == '\r';
    }
  }
  return c->len > 0 && flush_out(ep, c, 0) < 0 ? -1 : 0;
}

int main(int argc, char **argv) {
  serve(argc, argv, on_readable);
}
