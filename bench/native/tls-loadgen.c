/*
 * tls-loadgen.c: loadgen.c over TLS (OpenSSL, non-blocking, epoll), single-threaded.
 *
 *   tls-loadgen echo HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS TLSVER
 *   tls-loadgen hs   HOST PORT CONNS SIZE SECONDS WARMUP_SECONDS TLSVER
 *
 * TLSVER is 1.3 (TLS_AES_128_GCM_SHA256) or 1.2 (ECDHE-ECDSA/RSA-AES128-GCM-SHA256).
 *
 * echo: CONNS connections (handshaken before the clock starts), INFLIGHT Simple frames of
 * SIZE payload bytes in flight on each, exactly as loadgen.c: every echoed byte is checked
 * (0x01 guard, u16 BE length, payload = seq u32 LE + a 251-periodic pattern starting at
 * (seq * 7 + conn) % 251, 0x17 trailer); any mismatch aborts (exit 2).
 *
 * hs: CONNS concurrent slots, each looping: TCP connect -> full TLS handshake (no session
 * resumption: the client never offers a session or ticket) -> one frame of SIZE bytes ->
 * its echo checked -> close_notify, close (SO_LINGER 0: an RST, so no TIME_WAIT piles up
 * in the client's port range). msgs_per_s = handshakes/s; latency = connect to echo.
 *
 * The server's certificate is not verified (no CA is given): the handshake still does the
 * full key exchange and checks the server's CertificateVerify signature.
 * Prints one JSON object (same fields as loadgen.c) on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <signal.h>
#include <openssl/ssl.h>
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
#define HDR 7
#define RBUF (256 * 1024)
/* TLS buffers: up to four records per read(2); the records of one flush leave in one
 * write(2) (OpenSSL would write each record on its own: two syscalls per 16 KiB frame).
 * The generator shares the CPUs with the server: every syscall it saves is the server's. */
#define TLS_RBUF (64 * 1024)
#define TLS_WBUF (256 * 1024)
#define SUB 64
#define NBUCKETS (40 * SUB)

typedef struct {
  int fd, id;
  SSL *ssl;
  int handshaking;
  uint32_t send_seq, recv_seq;
  uint32_t pos;
  uint8_t hdr[HDR];
  uint8_t *tx;
  size_t txoff, txlen;
  uint32_t events;
  uint64_t *sent_at;
  uint64_t started;
} conn_t;

static int ep, inflight, hs_mode;
static uint32_t size;
static uint8_t pattern[PERIOD + 65536];
static int measuring;
static uint64_t msgs, hist[NBUCKETS], lat_sum;
static SSL_CTX *ctx;
static struct sockaddr_in sa;

static void die(const char *what) { perror(what); exit(1); }
static void die_ssl(const char *what, conn_t *c, int err) {
  fprintf(stderr, "tls-loadgen: %s failed on connection %d (SSL error %d, errno %d)\n", what, c->id, err, errno);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int bucket(uint64_t ns) {
  if (ns < SUB) return (int)ns;
  int e = 63 - __builtin_clzll(ns);
  int b = (e - 5) * SUB + (int)((ns >> (e - 6)) & (SUB - 1));
  return b < NBUCKETS ? b : NBUCKETS - 1;
}

static double bucket_mid(int b) {
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

static void frame_header(uint8_t *h, uint32_t seq) {
  h[0] = 0x01;
  h[1] = (uint8_t)(size >> 8);
  h[2] = (uint8_t)size;
  memcpy(h + 3, &seq, 4);
}

static const uint8_t *frame_pattern(conn_t *c, uint32_t seq) {
  return pattern + (seq * 7u + (uint32_t)c->id) % PERIOD;
}

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
  fprintf(stderr, "tls-loadgen: MISMATCH on connection %d, frame %u, byte %u of the frame: got 0x%02x, want 0x%02x\n",
          c->id, c->recv_seq, at, got, want);
  exit(2);
}

/* Checks n echoed bytes; in echo mode sends a successor per frame done. */
static void check(conn_t *c, const uint8_t *b, size_t n, uint64_t t) {
  const uint32_t flen = size + 4;
  while (n > 0) {
    if (hs_mode && c->recv_seq >= 1) { fprintf(stderr, "tls-loadgen: more bytes than echoed\n"); exit(2); }
    if (c->pos == 0) frame_header(c->hdr, c->recv_seq);
    uint32_t take = flen - c->pos < n ? flen - c->pos : (uint32_t)n;
    for (uint32_t i = 0; i < take; i++) {
      uint32_t at = c->pos + i;
      if (at < HDR && at < size + 3) {
        if (b[i] != c->hdr[at]) mismatch(c, at, b[i], c->hdr[at]);
      } else if (at == size + 3) {
        if (b[i] != 0x17) mismatch(c, at, b[i], 0x17);
      } else {
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
    if (c->pos == flen) {
      c->pos = 0;
      if (!hs_mode && measuring) {
        uint64_t ns = t - c->sent_at[c->recv_seq % (uint32_t)inflight];
        msgs++;
        lat_sum += ns;
        hist[bucket(ns)]++;
      }
      c->recv_seq++;
      if (!hs_mode) queue_frame(c, t);
    }
  }
}

static void set_events(conn_t *c, uint32_t events) {
  if (events == c->events) return;
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
  c->events = events;
}

/* Writes pending output; returns 1 if the socket is full (wait for EPOLLOUT). */
static int flush(conn_t *c) {
  while (c->txoff < c->txlen) {
    int w = SSL_write(c->ssl, c->tx + c->txoff, (int)(c->txlen - c->txoff));
    if (w > 0) {
      c->txoff += (size_t)w;
      continue;
    }
    int err = SSL_get_error(c->ssl, w);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) break;
    die_ssl("SSL_write", c, err);
  }
  BIO *out = SSL_get_wbio(c->ssl);
  if (BIO_flush(out) <= 0) {
    if (!BIO_should_retry(out)) die("write");
    return 1;
  }
  if (c->txoff == c->txlen) {
    c->txoff = c->txlen = 0;
    return 0;
  }
  if (c->txoff > 0) { /* same bytes, moved: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER */
    memmove(c->tx, c->tx + c->txoff, c->txlen - c->txoff);
    c->txlen -= c->txoff;
    c->txoff = 0;
  }
  return 1;
}

/* Reads and checks all that is available; returns -1 when the peer closed. */
static int drain(conn_t *c) {
  static uint8_t rbuf[RBUF];
  uint64_t t = 0;
  for (;;) {
    int r = SSL_read(c->ssl, rbuf, RBUF);
    if (r > 0) {
      if (t == 0) t = now_ns();
      check(c, rbuf, (size_t)r, t);
      if (hs_mode && c->recv_seq == 1) return 1;
      continue;
    }
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
    if (err == SSL_ERROR_ZERO_RETURN) return -1;
    die_ssl("SSL_read", c, err);
  }
}

static void open_conn(conn_t *c) {
  c->fd = socket(AF_INET, SOCK_STREAM | (hs_mode ? SOCK_NONBLOCK : 0), 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) die("connect");
  c->ssl = SSL_new(ctx);
  SSL_set_fd(c->ssl, c->fd);
  /* Writes through a buffer (see TLS_WBUF); the socket BIO stays the read side. */
  BIO *sock = SSL_get_rbio(c->ssl), *buffered = BIO_new(BIO_f_buffer());
  if (buffered == NULL || !BIO_set_write_buffer_size(buffered, TLS_WBUF) || !BIO_up_ref(sock)) die("BIO_f_buffer");
  BIO_push(buffered, sock);
  SSL_set0_wbio(c->ssl, buffered);
  SSL_set_connect_state(c->ssl);
  c->send_seq = c->recv_seq = c->pos = 0;
  c->txoff = c->txlen = 0;
  c->handshaking = 1;
  c->started = now_ns();
  c->events = EPOLLIN | EPOLLOUT;
  struct epoll_event ev = {.events = c->events, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
}

static void close_conn(conn_t *c) {
  SSL_shutdown(c->ssl); /* sends close_notify; does not wait for the server's */
  (void)BIO_flush(SSL_get_wbio(c->ssl));
  struct linger lg = {1, 0};
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(c->fd);
  SSL_free(c->ssl);
}

/* One epoll event for connection c. */
static void on_event(conn_t *c, uint64_t *t_handshake_done) {
  (void)t_handshake_done;
  if (c->handshaking) {
    int r = SSL_do_handshake(c->ssl);
    if (r != 1) {
      int err = SSL_get_error(c->ssl, r);
      if (err == SSL_ERROR_WANT_READ) set_events(c, EPOLLIN);
      else if (err == SSL_ERROR_WANT_WRITE) set_events(c, EPOLLIN | EPOLLOUT);
      else die_ssl("handshake", c, err);
      return;
    }
    c->handshaking = 0;
    queue_frame(c, now_ns());
  }
  int r = drain(c);
  if (r < 0) { fprintf(stderr, "tls-loadgen: server closed connection %d\n", c->id); exit(2); }
  if (hs_mode && r == 1) {
    uint64_t t = now_ns();
    if (measuring) {
      uint64_t ns = t - c->started;
      msgs++;
      lat_sum += ns;
      hist[bucket(ns)]++;
    }
    close_conn(c);
    open_conn(c);
    return;
  }
  set_events(c, flush(c) ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "echo") != 0 && strcmp(argv[1], "hs") != 0)) goto usage;
  hs_mode = strcmp(argv[1], "hs") == 0;
  if (argc != (hs_mode ? 9 : 10)) goto usage;
  char **a = argv + 2;
  const char *host = *a++;
  int port = atoi(*a++), nconns = atoi(*a++);
  inflight = hs_mode ? 1 : atoi(*a++);
  size = (uint32_t)atoi(*a++);
  double seconds = atof(*a++), warmup = atof(*a++);
  const char *ver = *a++;
  if (nconns < 1 || inflight < 1 || size > 65535 || seconds <= 0) goto usage;
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (uint8_t)((i % PERIOD) * 13 + 5);
  signal(SIGPIPE, SIG_IGN);

  ctx = SSL_CTX_new(TLS_client_method());
  if (strcmp(ver, "1.2") == 0) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
  } else {
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, TLS_RBUF);

  ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  conn_t *conns = calloc((size_t)nconns, sizeof *conns);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) die("inet_pton");
  for (int i = 0; i < nconns; i++) {
    conn_t *c = &conns[i];
    c->id = i;
    c->tx = malloc((size_t)inflight * (size + 4));
    c->sent_at = calloc((size_t)inflight, sizeof *c->sent_at);
    open_conn(c);
    if (!hs_mode) { /* handshake (blocking) before the clock, then fill the pipe */
      int r = SSL_do_handshake(c->ssl);
      if (r != 1) die_ssl("handshake", c, SSL_get_error(c->ssl, r));
      c->handshaking = 0;
      fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
      uint64_t t = now_ns();
      for (int k = 0; k < inflight; k++) queue_frame(c, t);
      set_events(c, flush(c) ? EPOLLIN | EPOLLOUT : EPOLLIN);
    }
  }

  struct epoll_event evs[256];
  uint64_t start = now_ns(), measure_at = start + (uint64_t)(warmup * 1e9), end = measure_at + (uint64_t)(seconds * 1e9);
  struct rusage ru0, ru1;
  if (warmup <= 0) { measuring = 1; getrusage(RUSAGE_SELF, &ru0); }
  for (;;) {
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) on_event(evs[i].data.ptr, NULL);
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
  printf("{\"mode\":\"%s\",\"tls\":\"%s\",\"conns\":%d,\"inflight\":%d,\"size\":%u,\"seconds\":%.3f,\"msgs\":%llu,"
         "\"msgs_per_s\":%.1f,\"bytes_per_s\":%.1f,\"lat_mean_us\":%.2f,\"lat_p50_us\":%.2f,"
         "\"lat_p99_us\":%.2f,\"cpu_pct\":%.1f}\n",
         hs_mode ? "hs" : "echo", ver, nconns, inflight, size, wall, (unsigned long long)msgs, (double)msgs / wall,
         (double)msgs * size / wall, msgs ? (double)lat_sum / (double)msgs / 1e3 : 0.0,
         percentile(0.50) / 1e3, percentile(0.99) / 1e3, 100.0 * cpu / wall);
  return 0;
usage:
  fprintf(stderr, "usage: tls-loadgen echo HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP TLSVER\n"
                  "       tls-loadgen hs HOST PORT CONNS SIZE SECONDS WARMUP TLSVER\n");
  return 1;
}
