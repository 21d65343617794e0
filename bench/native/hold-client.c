/*
 * hold-client.c: many concurrent connections to a Simple-frame echo server, held open.
 *
 *   hold-client HOST PORT COUNT [SOURCE]
 *
 * Opens COUNT connections (at most WINDOW connecting or awaiting their first echo at a
 * time, so the server's accept queue never overflows), from source address SOURCE if
 * given (one (source, destination, port) has only ~28k ephemeral ports: 60k connections
 * need several loopback sources), and sends one Simple frame of 32 bytes on each, its echo
 * checked byte for byte. Then it prints one line, `READY {json}`, and obeys commands read
 * from stdin, one a line:
 *
 *   run SECONDS   every connection sends one frame a second for SECONDS (connection i at
 *                 i % 100 hundredths of each second), whether or not the previous echo
 *                 is back (a slow server makes echoes late, not frames fewer); every
 *                 echo is checked, in order, and timed from when its frame left; then
 *                 waits for the last echoes (bounded) and prints `DONE {json}`
 *   close         half-closes every connection (shutdown(SHUT_WR)), waits for the
 *                 server's FIN on each (bounded), closes them; prints `CLOSED {json}`, exits 0
 *
 * End of input is `close`. Errors are counted, not hidden: failed connects, resets and
 * closes by the server, echoes never answered, connections the server did not close.
 * A wrong echo aborts (exit 2).
 *
 * Single-threaded, level-triggered epoll. A connection is 20 bytes here: the frames are
 * made again from (connection, sequence number) to check the echoes, not kept.
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
#include "clock.h"
#include "latency.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define PAYLOAD 32
#define FRAME (PAYLOAD + 4)
#define WINDOW 128        /* connections connecting or awaiting their first echo */
#define SLOTS 100         /* a second is dealt in 10 ms slots */
#define CLOSE_WAIT_S 15.0 /* how long `close` waits for the server's FINs */
#define DRAIN_WAIT_S 30.0 /* how long `run` waits for the last echoes */
#define STDIN_TAG UINT64_MAX

enum { IDLE, CONNECTING, OPEN, CLOSING, CLOSED };

typedef struct {
  int fd;
  uint8_t state;
  uint8_t got;    /* bytes of frame `acked + 1`'s echo received so far */
  uint32_t seq;   /* the last frame sent */
  uint32_t acked; /* the last frame whose echo came back whole */
  uint32_t seq0;  /* `seq` when the current run started */
} conn_t;

static struct sockaddr_in server, source;
static int have_source, ep, count;
static conn_t *conns;
static uint64_t connect_errors, io_errors, early_closes, sent, echoed, over_1s, resets, unclosed;
/* When each slot of the current run sent its frames (ns), to time their echoes. */
static uint64_t *tick_at, slot_ns = 1000000000u / SLOTS;
/* Connections whose first echo came back, while opening; echoes timed after that. */
static int opening = 1, opened;

static void watch(int fd, int op, uint32_t events, uint64_t tag) {
  struct epoll_event ev = {.events = events, .data.u64 = tag};
  if (epoll_ctl(ep, op, fd, &ev) != 0) die("epoll_ctl");
}

/* Frame `seq` of connection `id`: 0x01, u16 BE length, id, seq, a pattern of both, 0x17. */
static void make_frame(uint8_t *f, int id, uint32_t seq) {
  f[0] = 0x01;
  f[1] = 0;
  f[2] = PAYLOAD;
  memcpy(f + 3, &id, 4);
  memcpy(f + 7, &seq, 4);
  for (int i = 8; i < PAYLOAD; i++) f[3 + i] = (uint8_t)(id * 31 + seq * 7 + i);
  f[FRAME - 1] = 0x17;
}

static int send_frame(conn_t *c, int id) {
  uint8_t f[FRAME];
  make_frame(f, id, c->seq + 1);
  if (send(c->fd, f, FRAME, MSG_NOSIGNAL) != FRAME) return -1; /* a 36-byte frame is never cut short but by a dead socket */
  c->seq++;
  sent++;
  return 0;
}

/* A non-blocking connect; refused or out of ports counts an error, and is tried again
 * (boundedly: a server that refuses everything ends the run). */
static void start(conn_t *c, int id) {
  for (;;) {
    if (connect_errors > (uint64_t)count + 1000) {
      fprintf(stderr, "hold-client: %llu failed connects, giving up\n", (unsigned long long)connect_errors);
      exit(1);
    }
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    if (have_source) {
      int one = 1;
      /* The port is chosen at connect(2), per destination, not at bind(2) for all. */
      setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      if (bind(c->fd, (struct sockaddr *)&source, sizeof source) != 0) die("bind");
    }
    if (connect(c->fd, (struct sockaddr *)&server, sizeof server) == 0 || errno == EINPROGRESS) break;
    connect_errors++;
    close(c->fd);
  }
  c->state = CONNECTING;
  watch(c->fd, EPOLL_CTL_ADD, EPOLLOUT, (uint64_t)id);
}

/* A connection the server closed or reset while it should be open: counted, then gone. */
static void lost(conn_t *c, ssize_t r) {
  if (r == 0) early_closes++;
  else io_errors++;
  close(c->fd);
  c->state = CLOSED;
}

static void on_connected(conn_t *c, int id) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    connect_errors++;
    close(c->fd);
    start(c, id);
    return;
  }
  if (send_frame(c, id) != 0) {
    lost(c, -1);
    return;
  }
  c->state = OPEN;
  watch(c->fd, EPOLL_CTL_MOD, EPOLLIN, (uint64_t)id);
}

/* An echo came back whole: counted, and while running timed from when its frame left. */
static void echo_done(conn_t *c, int id) {
  c->acked++;
  echoed++;
  if (opening) {
    if (c->acked == 1) opened++;
    return;
  }
  if (c->acked <= c->seq0) return; /* a frame of an earlier run */
  uint64_t left = tick_at[(uint64_t)(id % SLOTS) + (uint64_t)(c->acked - c->seq0 - 1) * SLOTS];
  uint64_t t = now_ns(), latency = t > left ? t - left : 0;
  record_latency(latency);
  if (latency > 1000000000u) over_1s++;
}

/* Reads what the server sent and checks it against the frames awaited, in order. */
static void on_readable(conn_t *c, int id) {
  uint8_t buf[4096], want[FRAME];
  ssize_t r = read(c->fd, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (c->state == CLOSING) {
    if (r > 0) return; /* echoes of a run cut short: nothing is owed any more */
    if (r < 0) resets++;
    close(c->fd);
    c->state = CLOSED;
    return;
  }
  if (r <= 0) {
    lost(c, r);
    return;
  }
  for (ssize_t off = 0; off < r;) {
    if (c->acked == c->seq) {
      fprintf(stderr, "hold-client: MISMATCH on connection %d: %zd bytes nobody asked for\n", id, r - off);
      exit(2);
    }
    make_frame(want, id, c->acked + 1);
    size_t n = (size_t)(r - off) < (size_t)(FRAME - c->got) ? (size_t)(r - off) : (size_t)(FRAME - c->got);
    if (memcmp(buf + off, want + c->got, n) != 0) {
      fprintf(stderr, "hold-client: MISMATCH on connection %d, frame %u, bytes %u..%zu of the echo\n", id,
              c->acked + 1, c->got, c->got + n);
      exit(2);
    }
    c->got += (uint8_t)n;
    off += (ssize_t)n;
    if (c->got == FRAME) {
      c->got = 0;
      echo_done(c, id);
    }
  }
}

/* Input from stdin not yet taken as commands; end of input reads as `close`. */
static char input[1024], line[256];
static size_t input_len;
static int input_ended;

static void read_input(void) {
  ssize_t r = read(0, input + input_len, sizeof input - 1 - input_len);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL); /* else an ended input wakes every wait */
    input_ended = 1;
    return;
  }
  input_len += (size_t)r;
  if (input_len == sizeof input - 1 && memchr(input, '\n', input_len) == NULL) input_len = 0; /* overlong: dropped */
}

/* Takes the next command line into `line`; returns 0 if none is complete yet. */
static int next_command(void) {
  char *nl = memchr(input, '\n', input_len);
  if (nl == NULL) {
    if (!input_ended) return 0;
    strcpy(line, "close");
    return 1;
  }
  size_t n = (size_t)(nl - input);
  if (n >= sizeof line) n = sizeof line - 1;
  memcpy(line, input, n);
  line[n] = 0;
  input_len -= (size_t)(nl + 1 - input);
  memmove(input, nl + 1, input_len);
  return 1;
}

/* One round of events, waiting at most `timeout_ms`. */
static void poll_once(int timeout_ms) {
  struct epoll_event evs[512];
  int n = epoll_wait(ep, evs, 512, timeout_ms);
  if (n < 0 && errno != EINTR) die("epoll_wait");
  for (int i = 0; i < n; i++) {
    if (evs[i].data.u64 == STDIN_TAG) {
      read_input();
      continue;
    }
    int id = (int)evs[i].data.u64;
    conn_t *c = &conns[id];
    if (c->state == CONNECTING) on_connected(c, id);
    else if (c->state != CLOSED) on_readable(c, id);
  }
}

/* Opens every connection, WINDOW at a time, each with its first echo. */
static void open_all(void) {
  int next = 0;
  for (;;) {
    int failed = (int)(io_errors + early_closes); /* lost after connecting: not retried */
    if (opened + failed >= count) break;
    while (next < count && next - opened - failed < WINDOW) start(&conns[next], next), next++;
    poll_once(100);
  }
  opening = 0;
}

/* Frames sent and not yet echoed, over every open connection. */
static uint64_t outstanding(void) {
  uint64_t n = 0;
  for (int id = 0; id < count; id++)
    if (conns[id].state == OPEN) n += conns[id].seq - conns[id].acked;
  return n;
}

/* `run SECONDS`: one frame a second on every open connection, connection i in slot i % SLOTS. */
static void run(double seconds) {
  uint64_t sent0 = sent, echoed0 = echoed, over0 = over_1s;
  uint64_t ticks = (uint64_t)(seconds * SLOTS), tick = 0, max_behind = 0;
  double cpu0 = cpu_seconds();
  memset(hist, 0, sizeof hist);
  lat_count = lat_sum = 0;
  free(tick_at);
  if ((tick_at = calloc(ticks + 1, sizeof *tick_at)) == NULL) die("calloc");
  uint64_t run_t0 = now_ns();
  for (int id = 0; id < count; id++) conns[id].seq0 = conns[id].seq;
  while (tick < ticks) {
    uint64_t t = now_ns();
    if (run_t0 + tick * slot_ns <= t) {
      uint64_t behind = t - (run_t0 + tick * slot_ns);
      if (behind > max_behind) max_behind = behind;
      tick_at[tick] = t;
      for (int id = (int)(tick % SLOTS); id < count; id += SLOTS) {
        conn_t *c = &conns[id];
        if (c->state == OPEN && send_frame(c, id) != 0) lost(c, -1);
      }
      tick++;
      continue;
    }
    poll_once((int)((run_t0 + tick * slot_ns - t) / 1000000u) + 1);
  }
  uint64_t sending_ended = now_ns(), drain_end = sending_ended + (uint64_t)(DRAIN_WAIT_S * 1e9);
  while (outstanding() > 0 && now_ns() < drain_end) poll_once(50);
  double wall = (double)(now_ns() - run_t0) / 1e9; /* the drain included: echoes per second of the whole run */
  printf("DONE {\"seconds\":%.3f,\"sent\":%llu,\"echoed\":%llu,\"msgs_per_s\":%.1f,\"unanswered\":%llu,"
         "\"over_1s\":%llu,\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_mean_us\":%.1f,\"max_behind_us\":%.1f,"
         "\"drain_s\":%.3f,\"io_errors\":%llu,\"early_closes\":%llu,\"cpu_pct\":%.1f}\n",
         (double)(sending_ended - run_t0) / 1e9, (unsigned long long)(sent - sent0), (unsigned long long)(echoed - echoed0),
         (double)(echoed - echoed0) / wall, (unsigned long long)outstanding(), (unsigned long long)(over_1s - over0),
         percentile(0.50) / 1e3, percentile(0.99) / 1e3, mean_latency() / 1e3, (double)max_behind / 1e3,
         (double)(now_ns() - sending_ended) / 1e9, (unsigned long long)io_errors, (unsigned long long)early_closes,
         100.0 * (cpu_seconds() - cpu0) / wall);
  fflush(stdout);
}

/* `close`: FIN from us first (so TIME_WAIT stays on this side), then the server's FIN. */
static void close_all(void) {
  uint64_t t0 = now_ns(), end = t0 + (uint64_t)(CLOSE_WAIT_S * 1e9);
  int open = 0;
  for (int id = 0; id < count; id++) {
    conn_t *c = &conns[id];
    if (c->state == OPEN) {
      shutdown(c->fd, SHUT_WR);
      c->state = CLOSING;
      open++;
    }
  }
  while (open > 0 && now_ns() < end) {
    poll_once(50);
    open = 0;
    for (int id = 0; id < count; id++) open += conns[id].state == CLOSING;
  }
  for (int id = 0; id < count; id++)
    if (conns[id].state == CLOSING) {
      unclosed++;
      close(conns[id].fd);
      conns[id].state = CLOSED;
    }
  printf("CLOSED {\"seconds\":%.3f,\"resets\":%llu,\"unclosed\":%llu,\"io_errors\":%llu,\"early_closes\":%llu}\n",
         (double)(now_ns() - t0) / 1e9, (unsigned long long)resets, (unsigned long long)unclosed,
         (unsigned long long)io_errors, (unsigned long long)early_closes);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: hold-client HOST PORT COUNT [SOURCE]\n");
    return 1;
  }
  count = atoi(argv[3]);
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1 || count < 1) {
    fprintf(stderr, "hold-client: bad arguments\n");
    return 1;
  }
  if (argc > 4) {
    source.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[4], &source.sin_addr) != 1) {
      fprintf(stderr, "hold-client: bad source address %s\n", argv[4]);
      return 1;
    }
    have_source = 1;
  }
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < (rlim_t)count + 16) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < (rlim_t)count + 16) {
      fprintf(stderr, "hold-client: %d connections need more open files than the limit, %llu\n", count,
              (unsigned long long)lim.rlim_cur);
      return 1;
    }
  }
  if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
  if ((conns = calloc((size_t)count, sizeof *conns)) == NULL) die("calloc");
  struct epoll_event in = {.events = EPOLLIN, .data.u64 = STDIN_TAG};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in) != 0) input_ended = 1; /* a file, /dev/null: no commands */

  uint64_t t0 = now_ns();
  double cpu0 = cpu_seconds();
  open_all();
  double wall = (double)(now_ns() - t0) / 1e9;
  printf("READY {\"connections\":%d,\"seconds\":%.3f,\"connect_errors\":%llu,\"io_errors\":%llu,"
         "\"early_closes\":%llu,\"cpu_pct\":%.1f}\n",
         opened, wall, (unsigned long long)connect_errors, (unsigned long long)io_errors,
         (unsigned long long)early_closes, 100.0 * (cpu_seconds() - cpu0) / wall);
  fflush(stdout);

  for (;;) {
    if (!next_command()) {
      poll_once(-1);
      continue;
    }
    double seconds;
    if (sscanf(line, "run %lf", &seconds) == 1 && seconds > 0) run(seconds);
    else if (strcmp(line, "close") == 0) break;
    else fprintf(stderr, "hold-client: unknown command '%s'\n", line);
  }
  close_all();
  return 0;
}
