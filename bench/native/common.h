/* common.h: what the C peer servers share: a non-blocking listener on 127.0.0.1 that
 * prints its port, per-connection output that is written in one send(2) and kept, with
 * EPOLLOUT armed, only while the peer is slow (then input is not read), and the event
 * loop around a server's own handling of readable connections. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "clock.h" /* die() */

typedef struct {
  int fd;
  char *out;
  size_t off, len, cap;
  int state; /* free for the server's own use (the HTTP mock's "\r\n\r\n" matcher) */
  char *in; /* input kept between reads by servers that parse (the WebSocket echo) */
  size_t inlen, incap;
} conn_t;


/* Listens on 127.0.0.1:port (0 = any), prints "PORT <n>" on stdout for the parent. */
static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  if (fd < 0) die("socket");
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) die("listen");
  getsockname(fd, (struct sockaddr *)&sa, &len);
  printf("PORT %d\n", ntohs(sa.sin_port));
  fflush(stdout);
  signal(SIGPIPE, SIG_IGN);
  return fd;
}

static void accept_all(int ep, int lfd) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
    if (fd < 0) return;
    conn_t *c = calloc(1, sizeof *c);
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
}

static void drop(conn_t *c) {
  close(c->fd); /* also removes it from the epoll set */
  free(c->out);
  free(c->in);
  free(c);
}

/* Appends n bytes to the connection's output. */
static void queue(conn_t *c, const void *p, size_t n) {
  if (c->len + n > c->cap) {
    c->cap = (c->len + n) * 2;
    if ((c->out = realloc(c->out, c->cap)) == NULL) die("realloc");
  }
  memcpy(c->out + c->len, p, n);
  c->len += n;
}

/* Writes queued output; returns 0 when all of it is out, 1 while some waits, -1 on error.
 * Level-triggered: while output waits, watch EPOLLOUT instead of EPOLLIN (backpressure). */
static int flush_out(int ep, conn_t *c, int was_waiting) {
  while (c->off < c->len) {
    ssize_t w = send(c->fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return -1;
      break;
    }
    c->off += (size_t)w;
  }
  int waiting = c->off < c->len;
  if (!waiting) c->off = c->len = 0;
  if (waiting != was_waiting) {
    struct epoll_event ev = {.events = waiting ? EPOLLOUT : EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  }
  return waiting;
}

/*
 * Runs a peer server: listens on 127.0.0.1 (port argv[1], else any), then forever accepts,
 * writes what waits for a slow peer once it reads again, and hands every other readable
 * connection to on_readable, which returns -1 to drop it.
 */
static void serve(int argc, char **argv, int (*on_readable)(int ep, conn_t *c)) {
  int lfd = listen_on(argc > 1 ? atoi(argv[1]) : 0);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      conn_t *c = evs[i].data.ptr;
      if (c == NULL) { accept_all(ep, lfd); continue; }
      if (c->len > 0) { /* EPOLLOUT: the peer is reading again */
        if (flush_out(ep, c, 1) < 0) drop(c);
        continue;
      }
      if (on_readable(ep, c) < 0) drop(c);
    }
  }
}
