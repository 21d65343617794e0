/*
 * loadgen.c: a lean, single-threaded epoll load generator for Simple-frame echo servers.
 *
 *   loadgen HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS
 *
 * Opens CONNS connections and keeps INFLIGHT frames of SIZE payload bytes in flight on
 * each (a new frame leaves as soon as one comes back). Every echoed byte is checked: the
 * 0x01 guard, the u16 BE length, the payload, the 0x17 trailer, in order. Payload of the
 * frame number `seq` on connection `c` = seq as u32 LE, then a slice of a 251-periodic
 * pattern starting at (seq * 7 + c) % 251, so a lost, duplicated, reordered or
 * cross-connection frame never matches. Any mismatch aborts (exit 2).
 *
 * It shares 2 cores with the server, so it stays cheap: one read buffer for all
 * connections, frames built and checked with memcpy/memcmp against the pattern, one
 * write per connection per event, one clock_gettime per connection event (the same
 * timestamp stamps the receipt of the frames read and the sending of their successors).
 * Latency = time from a frame's write to the read that completed its echo.
 *
 * Prints one JSON object on stdout; cpu_pct (user+sys over wall, measured window only)
 * shows whether the generator itself was the bottleneck (near 100 = it was).
 */
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

#define PERIOD 251
#define HDR 7 /* 0x01, u16 BE length, seq u32 LE (payloads of 4+ bytes) */
#define RBUF (256 * 1024)
/* Latency histogram: 64 sub-buckets per power of two of nanoseconds (~1.1% wide). */
#define SUB 64
#define NBUCKETS (40 * SUB)

typedef struct {
  int fd, id;
  uint32_t send_seq, recv_seq;
  uint32_t pos; /* bytes of the current incoming frame already checked */
  uint8_t hdr[HDR]; /* expected first bytes of the current incoming frame */
  uint8_t *tx;
  size_t txoff, txlen;
  int out_armed;
  uint64_t *sent_at; /* ring of INFLIGHT send timestamps, by seq */
} conn_t;

static int ep, inflight;
static uint32_t size;
static uint8_t pattern[PERIOD + 65536];
static int measuring;
static uint64_t msgs, hist[NBUCKETS], lat_sum;

static void die(const char *what) { perror(what); exit(1); }

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int bucket(uint64_t ns) {
  if (ns < SUB) return (int)ns;
  int e = 63 - __builtin_clzll(ns); /* ns in [2^e, 2^(e+1)) */
  int b = (e - 5) * SUB + (int)((ns >> (e - 6)) & (SUB - 1));
  return b < NBUCKETS ? b : NBUCKETS - 1;
}

static double bucket_mid(int b) { /* the middle of the bucket, in ns */
  if (b < SUB) return b;
  int e = b / SUB + 5, m = b % SUB;
  return ((double)(SUB + m) + 0.5) * (double)(1ull << (e - 6));
}

static double percentile(double p) {
  uint64_t total = 0, acc = 0;
  for (int i = 0; i < NBUCKETS; i++) total += hist[i];
  if (total == 0) return 0;
  uint64_t rank = (uint64_t)(p * (double)total);
  if (rank >= total) rank = total - 1;
  for (int i = 0; i < NBUCKETS; i++)
    if ((acc += hist[i]) > rank) return bucket_mid(i);
  return 0;
}

/* The first HDR bytes of frame `seq` (only the first size+3 of them when size < 4). */
static void frame_header(uint8_t *h, uint32_t seq) {
  h[0] = 0x01;
  h[1] = (uint8_t)(size >> 8);
  h[2] = (uint8_t)size;
  memcpy(h + 3, &seq, 4); /* x86-64/arm64: little-endian */
}

static const uint8_t *frame_pattern(conn_t *c, uint32_t seq) {
  return pattern + (seq * 7u + (uint32_t)c->id) % PERIOD;
}

/* Appends frame send_seq to the connection's output and stamps it. */
static void queue_frame(conn_t *c, uint64_t t) {
  uint8_t *p = c->tx + c->txlen;
  uint32_t seq = c->send_seq++;
  uint8_t h[HDR];
  frame_header(h, seq);
  uint32_t head = size + 3 < HDR ? size + 3 : HDR;
  memcpy(p, h, head);
  if (size + 3 > HDR) memcpy(p + HDR, frame_pattern(c, seq), size + 3 - HDR);
  p[size + 3] = 0x17;
  c->txlen += size + 4;
  c->sent_at[seq % (uint32_t)inflight] = t;
}

static void mismatch(conn_t *c, uint32_t at, uint8_t got, uint8_t want) {
  fprintf(stderr, "loadgen: MISMATCH on connection %d, frame %u, byte %u of the frame: got 0x%02x, want 0x%02x\n",
          c->id, c->recv_seq, at, got, want);
  exit(2);
}

/* Checks `n` echoed bytes against the expected stream; sends a successor per frame done. */
static void check(conn_t *c, const uint8_t *b, size_t n, uint64_t t) {
  const uint32_t flen = size + 4;
  while (n > 0) {
    if (c->pos == 0) frame_header(c->hdr, c->recv_seq);
    uint32_t take = flen - c->pos < n ? flen - c->pos : (uint32_t)n;
    for (uint32_t i = 0; i < take; i++) { /* per-byte compare only in the header and trailer */
      uint32_t at = c->pos + i;
      if (at < HDR && at < size + 3) {
        if (b[i] != c->hdr[at]) mismatch(c, at, b[i], c->hdr[at]);
      } else if (at == size + 3) {
        if (b[i] != 0x17) mismatch(c, at, b[i], 0x17);
      } else { /* a run of pattern bytes: memcmp it whole */
        uint32_t run = (size + 3 - at) < (take - i) ? size + 3 - at : take - i;
        const uint8_t *want = frame_pattern(c, c->recv_seq) + (at - HDR);
        if (memcmp(b + i, want, run) != 0) {
          uint32_t k = 0;
          while (b[i + k] == want[k]) k++;
          mismatch(c, at + k, b[i + k], want[k]);
        }
        i += run - 1;
      }
    }
    c->pos += take;
    b += take;
    n -= take;
    if (c->pos == flen) { /* a whole frame came back */
      c->pos = 0;
      if (measuring) {
        uint64_t ns = t - c->sent_at[c->recv_seq % (uint32_t)inflight];
        msgs++;
        lat_sum += ns;
        hist[bucket(ns)]++;
      }
      c->recv_seq++;
      queue_frame(c, t);
    }
  }
}

static void set_events(conn_t *c, int out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
  c->out_armed = out;
}

static void flush(conn_t *c) {
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
  else if (c->txoff > 0) { /* keep room at the end for the next frames */
    memmove(c->tx, c->tx + c->txoff, c->txlen - c->txoff);
    c->txlen -= c->txoff;
    c->txoff = 0;
  }
  int pending = c->txlen > 0;
  if (pending != c->out_armed) set_events(c, pending);
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: loadgen HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS\n");
    return 1;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]), nconns = atoi(argv[3]);
  inflight = atoi(argv[4]);
  size = (uint32_t)atoi(argv[5]);
  double seconds = atof(argv[6]), warmup = atof(argv[7]);
  if (nconns < 1 || inflight < 1 || size > 65535 || seconds <= 0) {
    fprintf(stderr, "loadgen: bad arguments\n");
    return 1;
  }
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (uint8_t)((i % PERIOD) * 13 + 5);

  ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  conn_t *conns = calloc((size_t)nconns, sizeof *conns);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) die("inet_pton");
  uint64_t t0 = now_ns();
  for (int i = 0; i < nconns; i++) {
    conn_t *c = &conns[i];
    c->id = i;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect");
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->tx = malloc((size_t)inflight * (size + 4));
    c->sent_at = calloc((size_t)inflight, sizeof *c->sent_at);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
    for (int k = 0; k < inflight; k++) queue_frame(c, t0);
    flush(c);
  }

  static uint8_t rbuf[RBUF];
  struct epoll_event evs[256];
  uint64_t start = now_ns(), measure_at = start + (uint64_t)(warmup * 1e9), end = measure_at + (uint64_t)(seconds * 1e9);
  struct rusage ru0, ru1;
  if (warmup <= 0) { measuring = 1; getrusage(RUSAGE_SELF, &ru0); }
  for (;;) {
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      conn_t *c = evs[i].data.ptr;
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ssize_t r;
        uint64_t t = 0;
        do {
          r = read(c->fd, rbuf, RBUF);
          if (r == 0) { fprintf(stderr, "loadgen: server closed connection %d\n", c->id); return 2; }
          if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            die("read");
          }
          if (t == 0) t = now_ns();
          check(c, rbuf, (size_t)r, t);
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
  double wall = (double)(now_ns() - measure_at) / 1e9;
  double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
  printf("{\"conns\":%d,\"inflight\":%d,\"size\":%u,\"seconds\":%.3f,\"msgs\":%llu,"
         "\"msgs_per_s\":%.1f,\"bytes_per_s\":%.1f,\"lat_mean_us\":%.2f,\"lat_p50_us\":%.2f,"
         "\"lat_p99_us\":%.2f,\"cpu_pct\":%.1f}\n",
         nconns, inflight, size, wall, (unsigned long long)msgs, (double)msgs / wall,
         (double)msgs * size / wall, msgs ? (double)lat_sum / (double)msgs / 1e3 : 0.0,
         percentile(0.50) / 1e3, percentile(0.99) / 1e3, 100.0 * cpu / wall);
  return 0;
}
