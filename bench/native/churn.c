/*
 * churn.c: connection churn against a Simple-frame echo server.
 *
 *   churn HOST PORT CLIENTS SECONDS WARMUP_SECONDS
 *
 * Keeps CLIENTS connections going at once, each one cycle of: a non-blocking connect, one
 * Simple frame with a 32-byte payload, its echo (checked byte for byte), close(2) by the
 * client; the next cycle starts at once. Reports completed cycles per second, the time of
 * a whole cycle (connect to echo), failures by kind, and the generator's own CPU as JSON
 * on stdout. A wrong echo aborts (exit 2).
 *
 * Single-threaded and level-triggered: each cycle costs the generator a socket, a connect,
 * two epoll_ctl, one send, one read and a close, so on a 2-core machine its CPU share
 * (cpu_pct) tells how much of the machine the server had.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

#define PAYLOAD 32
#define FRAME (PAYLOAD + 4)

typedef struct {
  int fd, id;
  int connecting; /* 1 until the connect completes and the frame is sent */
  uint32_t seq, got;
  uint64_t started;
  uint8_t frame[FRAME]; /* what was sent, and so what must come back */
} client_t;

static struct sockaddr_in server;
static int ep;
static int measuring;
static uint64_t cycles, connect_errors, io_errors, early_closes;

static void die(const char *what) { perror(what); exit(1); }

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static double rusage_seconds(const struct rusage *r) {
  return (double)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) + (double)(r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e6;
}

static void watch(client_t *c, int op, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, op, c->fd, &ev) != 0) die("epoll_ctl");
}

/* The frame of cycle `seq` of client `id`: 0x01, u16 BE length, seq, a pattern, 0x17. */
static void make_frame(client_t *c) {
  uint8_t *f = c->frame;
  f[0] = 0x01;
  f[1] = 0;
  f[2] = PAYLOAD;
  memcpy(f + 3, &c->seq, 4);
  for (int i = 4; i < PAYLOAD; i++) f[3 + i] = (uint8_t)(c->id * 31 + c->seq * 7 + i);
  f[FRAME - 1] = 0x17;
}

/* Starts the client's next cycle: a new socket and a non-blocking connect. */
static void start(client_t *c) {
  for (int tries = 0;;) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    c->seq++;
    c->got = 0;
    c->connecting = 1;
    c->started = now_ns();
    make_frame(c);
    if (connect(c->fd, (struct sockaddr *)&server, sizeof server) == 0 || errno == EINPROGRESS) break;
    /* Refused, or out of local ports: count it and try again, a bounded number of times. */
    if (measuring) connect_errors++;
    close(c->fd);
    if (++tries == 10000) die("connect");
  }
  watch(c, EPOLL_CTL_ADD, EPOLLOUT);
}

/* Ends the current cycle (closing the socket) and starts the next. */
static void restart(client_t *c) {
  close(c->fd); /* also leaves the epoll set */
  start(c);
}

static void on_writable(client_t *c) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0 || send(c->fd, c->frame, FRAME, MSG_NOSIGNAL) != FRAME) {
    if (measuring) connect_errors++;
    restart(c);
    return;
  }
  c->connecting = 0;
  watch(c, EPOLL_CTL_MOD, EPOLLIN);
}

static void on_readable(client_t *c) {
  uint8_t buf[FRAME + 64];
  ssize_t r = read(c->fd, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    if (measuring) (r == 0 ? early_closes++ : io_errors++);
    restart(c);
    return;
  }
  if (c->got + (uint32_t)r > FRAME || memcmp(buf, c->frame + c->got, (size_t)r) != 0) {
    fprintf(stderr, "churn: MISMATCH on client %d, cycle %u, bytes %u..%u of the echo\n", c->id, c->seq, c->got,
            c->got + (unsigned)r);
    exit(2);
  }
  c->got += (uint32_t)r;
  if (c->got < FRAME) return;
  if (measuring) {
    cycles++;
    record_latency(now_ns() - c->started);
  }
  restart(c);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: churn HOST PORT CLIENTS SECONDS WARMUP_SECONDS\n");
    return 1;
  }
  int nclients = atoi(argv[3]);
  double seconds = atof(argv[4]), warmup = atof(argv[5]);
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 || nclients < 1 || seconds <= 0) {
    fprintf(stderr, "churn: bad arguments\n");
    return 1;
  }
  if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
  client_t *clients = calloc((size_t)nclients, sizeof *clients);
  if (clients == NULL) die("calloc");
  for (int i = 0; i < nclients; i++) {
    clients[i].id = i;
    start(&clients[i]);
  }
  struct epoll_event evs[256];
  uint64_t t0 = now_ns(), measure_at = t0 + (uint64_t)(warmup * 1e9), end = measure_at + (uint64_t)(seconds * 1e9);
  struct rusage ru0, ru1;
  if (warmup <= 0) {
    measuring = 1;
    getrusage(RUSAGE_SELF, &ru0);
  }
  for (;;) {
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      client_t *c = evs[i].data.ptr;
      if (c->connecting) on_writable(c);
      else on_readable(c);
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
  double wall = (double)(now_ns() - measure_at) / 1e9;
  printf("{\"clients\":%d,\"seconds\":%.3f,\"conns\":%llu,\"conns_per_s\":%.1f,\"lat_mean_us\":%.2f,"
         "\"lat_p50_us\":%.2f,\"lat_p99_us\":%.2f,\"connect_errors\":%llu,\"io_errors\":%llu,"
         "\"early_closes\":%llu,\"cpu_pct\":%.1f}\n",
         nclients, wall, (unsigned long long)cycles, (double)cycles / wall, mean_latency() / 1e3, percentile(0.50) / 1e3,
         percentile(0.99) / 1e3, (unsigned long long)connect_errors, (unsigned long long)io_errors,
         (unsigned long long)early_closes, 100.0 * (rusage_seconds(&ru1) - rusage_seconds(&ru0)) / wall);
  return 0;
}
