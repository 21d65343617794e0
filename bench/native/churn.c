/*
 * churn.c: connection churn against a Simple-frame echo server.
 *
 *   churn HOST PORT CLIENTS SECONDS WARMUP_SECONDS [rst|fin]
 *
 * Keeps CLIENTS connections going at once, each one cycle of: a non-blocking connect, one
 * Simple frame with a 32-byte payload, its echo (checked byte for byte), close(2) by the
 * client; the next cycle starts at once. Reports completed cycles per second, the time of
 * a whole cycle (connect to echo), failures by kind, and the generator's own CPU as JSON
 * on stdout. A wrong echo aborts (exit 2).
 *
 * The client closes with an RST (SO_LINGER 0; the default, `rst`) or a FIN (`fin`). With
 * FIN, every closed connection leaves a TIME_WAIT socket on this one client host: tens of
 * thousands a second overflow the kernel's table, and that kernel work, paid alike for
 * every server, fills the machine (every server then measures ~14 k/s here). Real clients
 * are spread over many hosts; the TLS handshake bench closes with RST for the same reason.
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
#include <sys/socket.h>
#include <unistd.h>
#include "latency.h"
#include "timed-loop.h"

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
static uint64_t cycles, connect_errors, io_errors, early_closes;

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
static int close_with_rst = 1;

static void restart(client_t *c) {
  if (close_with_rst) { /* see the header comment */
    struct linger lg = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
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

static void on_event(struct epoll_event *ev) {
  client_t *c = ev->data.ptr;
  if (c->connecting) on_writable(c);
  else on_readable(c);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: churn HOST PORT CLIENTS SECONDS WARMUP_SECONDS\n");
    return 1;
  }
  int nclients = atoi(argv[3]);
  double seconds = atof(argv[4]), warmup = atof(argv[5]);
  if (argc > 6) close_with_rst = strcmp(argv[6], "fin") != 0;
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
  timed_loop(ep, warmup, seconds, on_event);
  double wall = measured_wall;
  printf("{\"clients\":%d,\"seconds\":%.3f,\"conns\":%llu,\"conns_per_s\":%.1f,\"lat_mean_us\":%.2f,"
         "\"lat_p50_us\":%.2f,\"lat_p99_us\":%.2f,\"connect_errors\":%llu,\"io_errors\":%llu,"
         "\"early_closes\":%llu,\"cpu_pct\":%.1f}\n",
         nclients, wall, (unsigned long long)cycles, (double)cycles / wall, mean_latency() / 1e3, percentile(0.50) / 1e3,
         percentile(0.99) / 1e3, (unsigned long long)connect_errors, (unsigned long long)io_errors,
         (unsigned long long)early_closes, 100.0 * measured_cpu / wall);
  return 0;
}
