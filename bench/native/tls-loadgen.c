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
 * Prints one JSON object (loadgen.c's fields, then "mode" and "tls") on stdout. The frames
 * are simple-echo.h's, the timed loop and the report echo-load.h's (as loadgen.c's).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <signal.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "simple-echo.h"

#define RBUF (256 * 1024)
/* TLS buffers: up to four records per read(2); the records of one flush leave in one
 * write(2) (OpenSSL would write each record on its own: two syscalls per 16 KiB frame).
 * The generator shares the CPUs with the server: every syscall it saves is the server's. */
#define TLS_RBUF (64 * 1024)
#define TLS_WBUF (256 * 1024)

typedef struct {
  simple_conn_t s; /* first: frames, stamps and output as loadgen.c's */
  SSL *ssl;
  int handshaking;
  uint32_t events;
  uint64_t started;
} conn_t;

static int ep, hs_mode;
static SSL_CTX *ctx;
static struct sockaddr_in sa;

static void die_ssl(const char *what, conn_t *c, int err) {
  fprintf(stderr, "tls-loadgen: %s failed on connection %d (SSL error %d, errno %d)\n", what, c->s.base.id, err, errno);
  ERR_print_errors_fp(stderr);
  exit(1);
}

static void set_events(conn_t *c, uint32_t events) {
  if (events == c->events) return;
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->s.base.fd, &ev) != 0) die("epoll_ctl");
  c->events = events;
}

/* Writes pending output; returns 1 if the socket is full (wait for EPOLLOUT). */
static int flush(conn_t *c) {
  lg_conn_t *b = &c->s.base;
  while (b->txoff < b->txlen) {
    int w = SSL_write(c->ssl, b->tx + b->txoff, (int)(b->txlen - b->txoff));
    if (w > 0) {
      b->txoff += (size_t)w;
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
  if (b->txoff == b->txlen) {
    b->txoff = b->txlen = 0;
    return 0;
  }
  if (b->txoff > 0) { /* same bytes, moved: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER */
    memmove(b->tx, b->tx + b->txoff, b->txlen - b->txoff);
    b->txlen -= b->txoff;
    b->txoff = 0;
  }
  return 1;
}

/* Reads and checks all that is available; returns -1 when the peer closed, 1 when the one
 * frame of a handshake cycle has come back. */
static int drain(conn_t *c) {
  static uint8_t rbuf[RBUF];
  lg_conn_t *b = &c->s.base;
  uint64_t t = 0;
  for (;;) {
    int r = SSL_read(c->ssl, rbuf, RBUF);
    if (r > 0) {
      if (t == 0) t = now_ns();
      check_frames(&c->s, rbuf, (size_t)r, t, !hs_mode);
      if (hs_mode && b->recv_seq >= 1) {
        if (b->recv_seq > 1 || c->s.pos > 0) { fprintf(stderr, "tls-loadgen: more bytes than echoed\n"); exit(2); }
        return 1;
      }
      continue;
    }
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
    if (err == SSL_ERROR_ZERO_RETURN) return -1;
    die_ssl("SSL_read", c, err);
  }
}

static void open_conn(conn_t *c) {
  lg_conn_t *b = &c->s.base;
  b->fd = socket(AF_INET, SOCK_STREAM | (hs_mode ? SOCK_NONBLOCK : 0), 0);
  if (b->fd < 0) die("socket");
  int one = 1;
  setsockopt(b->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(b->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) die("connect");
  c->ssl = SSL_new(ctx);
  SSL_set_fd(c->ssl, b->fd);
  /* Writes through a buffer (see TLS_WBUF); the socket BIO stays the read side. */
  BIO *sock = SSL_get_rbio(c->ssl), *buffered = BIO_new(BIO_f_buffer());
  if (buffered == NULL || !BIO_set_write_buffer_size(buffered, TLS_WBUF) || !BIO_up_ref(sock)) die("BIO_f_buffer");
  BIO_push(buffered, sock);
  SSL_set0_wbio(c->ssl, buffered);
  SSL_set_connect_state(c->ssl);
  b->send_seq = b->recv_seq = c->s.pos = 0;
  b->txoff = b->txlen = 0;
  c->handshaking = 1;
  c->started = now_ns();
  c->events = EPOLLIN | EPOLLOUT;
  struct epoll_event ev = {.events = c->events, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, b->fd, &ev) != 0) die("epoll_ctl");
}

static void close_conn(conn_t *c) {
  SSL_shutdown(c->ssl); /* sends close_notify; does not wait for the server's */
  (void)BIO_flush(SSL_get_wbio(c->ssl));
  struct linger lg = {1, 0};
  setsockopt(c->s.base.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(c->s.base.fd);
  SSL_free(c->ssl);
}

/* One epoll event for a connection. */
static void on_event(struct epoll_event *ev) {
  conn_t *c = ev->data.ptr;
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
    /* Only handshake cycles handshake here; their latency runs from the connect. */
    queue_frame(&c->s.base, c->started);
  }
  int r = drain(c);
  if (r < 0) { fprintf(stderr, "tls-loadgen: server closed connection %d\n", c->s.base.id); exit(2); }
  if (hs_mode && r == 1) {
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
  host = *a++;
  port = atoi(*a++);
  nconns = atoi(*a++);
  inflight = hs_mode ? 1 : atoi(*a++);
  size = (uint32_t)atoi(*a++);
  seconds = atof(*a++);
  warmup = atof(*a++);
  const char *ver = *a++;
  if (nconns < 1 || inflight < 1 || size > 65535 || seconds <= 0) goto usage;
  fill_pattern();
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
    lg_conn_t *b = &c->s.base;
    b->id = i;
    b->tx = malloc((size_t)inflight * (size + 4));
    b->sent_at = calloc((size_t)inflight, sizeof *b->sent_at);
    open_conn(c);
    if (!hs_mode) { /* handshake (blocking) before the clock, then fill the pipe */
      int r = SSL_do_handshake(c->ssl);
      if (r != 1) die_ssl("handshake", c, SSL_get_error(c->ssl, r));
      c->handshaking = 0;
      fcntl(b->fd, F_SETFL, fcntl(b->fd, F_GETFL) | O_NONBLOCK);
      uint64_t t = now_ns();
      for (int k = 0; k < inflight; k++) queue_frame(b, t);
      set_events(c, flush(c) ? EPOLLIN | EPOLLOUT : EPOLLIN);
    }
  }

  timed_loop(ep, warmup, seconds, on_event);
  char extra[64];
  snprintf(extra, sizeof extra, ",\"mode\":\"%s\",\"tls\":\"%s\"", hs_mode ? "hs" : "echo", ver);
  report(extra);
  return 0;
usage:
  fprintf(stderr, "usage: tls-loadgen echo HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP TLSVER\n"
                  "       tls-loadgen hs HOST PORT CONNS SIZE SECONDS WARMUP TLSVER\n");
  return 1;
}
