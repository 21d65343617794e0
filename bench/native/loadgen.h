/* loadgen.h: the skeleton of the echo load generators (loadgen.c for Simple frames,
 * ws-loadgen.c for WebSocket): arguments, connections, the payload pattern, output
 * buffers, the timed epoll loop and the JSON report. A generator includes it, defines
 * on_bytes() (check echoed bytes; queue a successor per message done) and builds its
 * messages with stamp()/message_body(), calling echoed() when one has come back.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "latency.h"

#define PERIOD 251
#define RBUF (256 * 1024)

/* What every generator keeps per connection; a generator's own state embeds it first. */
typedef struct {
  int fd, id;
  uint32_t send_seq, recv_seq;
  uint8_t *tx;
  size_t txoff, txlen;
  int out_armed;
  uint64_t *sent_at; /* ring of INFLIGHT send timestamps, by seq */
} lg_conn_t;

/* The positional arguments HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS. */
static const char *host;
static int port, nconns, inflight;
static uint32_t size;
static double seconds, warmup;

static int ep = -1, measuring;
static uint8_t pattern[PERIOD + 65536];
static double measured_wall, measured_cpu;

/* Defined by the generator: n echoed bytes arrived on c at time t. */
static void on_bytes(lg_conn_t *c, const uint8_t *b, size_t n, uint64_t t);

static void die(const char *what) { perror(what); exit(1); }

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

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
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (uint8_t)((i % PERIOD) * 13 + 5);
  return nconns >= 1 && inflight >= 1 && size >= min_size && size <= 65535 && seconds > 0;
}

/* Where message `seq` of connection c starts in the 251-periodic pattern, so a lost,
 * duplicated, reordered or cross-connection message never matches. */
static const uint8_t *message_pattern(const lg_conn_t *c, uint32_t seq) {
  return pattern + (seq * 7u + (uint32_t)c->id) % PERIOD;
}

/* Takes the next sequence number of c and stamps its send time. */
static uint32_t stamp(lg_conn_t *c, uint64_t t) {
  uint32_t seq = c->send_seq++;
  c->sent_at[seq % (uint32_t)inflight] = t;
  return seq;
}

/* The echo of message recv_seq is complete at time t. */
static void echoed(lg_conn_t *c, uint64_t t) {
  if (measuring) record_latency(t - c->sent_at[c->recv_seq % (uint32_t)inflight]);
  c->recv_seq++;
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

static double rusage_seconds(const struct rusage *r) {
  return (double)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) + (double)(r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e6;
}

/* Runs the attached connections for WARMUP then SECONDS; measures only the latter. */
static void run_loop(void) {
  static uint8_t rbuf[RBUF];
  struct epoll_event evs[256];
  uint64_t start = now_ns(), measure_at = start + (uint64_t)(warmup * 1e9), end = measure_at + (uint64_t)(seconds * 1e9);
  struct rusage ru0, ru1;
  if (warmup <= 0) { measuring = 1; getrusage(RUSAGE_SELF, &ru0); }
  for (;;) {
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      lg_conn_t *c = evs[i].data.ptr;
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
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
    uint64_t t = now_ns();
    if (!measuring && t >= measure_at) {
      measuring = 1;
      measure_at = t;
      getrusage(RUSAGE_SELF, &ru0);
    }
    if (measuring && t >= end) break;
  }
  getrusage(RUSAGE_SELF, &ru1);
  measured_wall = (double)(now_ns() - measure_at) / 1e9;
  measured_cpu = rusage_seconds(&ru1) - rusage_seconds(&ru0);
}

/* Prints the JSON report on stdout; `extra` ("" or ",\"key\":value...") adds fields. */
static void report(const char *extra) {
  double wall = measured_wall;
  printf("{\"conns\":%d,\"inflight\":%d,\"size\":%u,\"seconds\":%.3f,\"msgs\":%llu,"
         "\"msgs_per_s\":%.1f,\"bytes_per_s\":%.1f,\"lat_mean_us\":%.2f,\"lat_p50_us\":%.2f,"
         "\"lat_p99_us\":%.2f,\"cpu_pct\":%.1f%s}\n",
         nconns, inflight, size, wall, (unsigned long long)lat_count, (double)lat_count / wall,
         (double)lat_count * size / wall, mean_latency() / 1e3, percentile(0.50) / 1e3, percentile(0.99) / 1e3,
         100.0 * measured_cpu / wall, extra);
}
#endif
