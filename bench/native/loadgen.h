/* loadgen.h: the skeleton of the plain-TCP echo load generators (loadgen.c for Simple
 * frames, ws-loadgen.c for WebSocket): the positional arguments, blocking connects, the
 * connections' output buffers and the loop's event handling; what any echo generator
 * shares (pattern, stamps, report) is echo-load.h's, the timed loop timed-loop.h's. A
 * generator includes it, defines on_bytes() (check echoed bytes; queue a successor per
 * message done) and builds its messages with stamp()/message_pattern(), calling echoed()
 * when one has come back.
 *
 * Stays cheap because it shares 2 cores with the server: one read buffer for all
 * connections, one write per connection per event, one clock_gettime per connection
 * event (the same timestamp stamps the receipt of the messages read and the sending of
 * their successors). Latency = time from a message's write to the read that completed
 * its echo. cpu_pct (user+sys over wall, measured window only) shows whether the
 * generator itself was the bottleneck (near 100 = it was). */
#ifndef LOADGEN_H
#define LOADGEN_H
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "echo-load.h"

#define RBUF (256 * 1024)

static int ep = -1;

/* Defined by the generator: n echoed bytes arrived on c at time t. */
static void on_bytes(lg_conn_t *c, const uint8_t *b, size_t n, uint64_t t);

/* Reads the 7 positional arguments (argv[1..7]) and fills the pattern; 0 if they are bad. */
static int parse_positional(int argc, char **argv, uint32_t min_size) {
  if (argc < 8) return 0;
  host = argv[1];
  port = atoi(argv[2]);
  nconns = atoi(argv[3]);
  inflight = atoi(argv[4]);
  size = (uint32_t)atoi(argv[5]);
  seconds = atof(argv[6]);
  warmup = atof(argv[7]);
  fill_pattern();
  return nconns >= 1 && inflight >= 1 && size >= min_size && size <= 65535 && seconds > 0;
}

/* A blocking TCP connection (TCP_NODELAY) to HOST:PORT, for the generator's handshake. */
static void connect_blocking(lg_conn_t *c, int id) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) die("inet_pton");
  c->id = id;
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect");
}

/* Makes c non-blocking, watched by the loop, with room for INFLIGHT messages of at most
 * max_message bytes on the wire (never more are unsent: one leaves per one echoed). */
static void attach(lg_conn_t *c, size_t max_message) {
  if (ep < 0 && (ep = epoll_create1(0)) < 0) die("epoll_create1");
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  c->tx = malloc((size_t)inflight * max_message);
  c->sent_at = calloc((size_t)inflight, sizeof *c->sent_at);
  if (c->tx == NULL || c->sent_at == NULL) die("malloc");
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
}

static void set_events(lg_conn_t *c, int out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
  c->out_armed = out;
}

/* Writes what is queued; arms EPOLLOUT only while some of it waits. */
static void flush(lg_conn_t *c) {
  while (c->txoff < c->txlen) {
    ssize_t w = send(c->fd, c->tx + c->txoff, c->txlen - c->txoff, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      die("send");
    }
    c->txoff += (size_t)w;
  }
  if (c->txoff == c->txlen) c->txoff = c->txlen = 0;
  else if (c->txoff > 0) { /* keep room at the end for the next messages */
    memmove(c->tx, c->tx + c->txoff, c->txlen - c->txoff);
    c->txlen -= c->txoff;
    c->txoff = 0;
  }
  int pending = c->txlen > 0;
  if (pending != c->out_armed) set_events(c, pending);
}

/* One event of the loop: reads and hands over all that came, then writes what waits. */
static void on_event(struct epoll_event *ev) {
  static uint8_t rbuf[RBUF];
  lg_conn_t *c = ev->data.ptr;
  if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    ssize_t r;
    uint64_t t = 0;
    do {
      r = read(c->fd, rbuf, RBUF);
      if (r == 0) { fprintf(stderr, "loadgen: server closed connection %d\n", c->id); exit(2); }
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        die("read");
      }
      if (t == 0) t = now_ns();
      on_bytes(c, rbuf, (size_t)r, t);
    } while (r == RBUF);
  }
  if (c->txlen > c->txoff) flush(c);
}

/* Runs the attached connections for WARMUP then SECONDS; measures only the latter. */
static void run_loop(void) { timed_loop(ep, warmup, seconds, on_event); }
#endif
