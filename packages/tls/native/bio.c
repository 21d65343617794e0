/*
 * bio.c: the BIO between OpenSSL and the transport, one per connection.
 *
 * Why not a pair of memory BIOs: feeding one copies every ciphertext byte in and draining
 * the other copies it out again. This BIO reads straight from the caller's buffer during
 * recv() and writes ciphertext straight into the thread's shared `out` array, so each
 * byte is copied once on each side (OpenSSL itself copies into its record buffers).
 *
 * It never blocks a write: what does not fit in `out` (or, in fd mode, in the socket)
 * waits in the connection's `pend` queue and goes first on the next call. So SSL_write
 * never reports "want write" and never needs retrying with the same arguments.
 *
 * Span mode (fd < 0): input is what the caller passed to recv(), then the stash of what
 * OpenSSL left of it; output goes to `out` for JS to write. Fd mode: input is read(2)
 * from the socket; output collects in `out` too and is sent by sst_flush_out.
 */
#include "tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Follows the 5-byte record headers of the input, so EOF can tell a cut record. */
static void track_records(sst_conn *c, const uint8_t *p, size_t n) {
  c->bytes_in += n;
  while (n > 0) {
    if (c->body_left > 0) {
      size_t k = min_size(n, c->body_left);
      c->body_left -= (uint32_t)k;
      p += k;
      n -= k;
      continue;
    }
    c->hdr[c->hdr_have++] = *p++;
    n--;
    if (c->hdr_have == 5) {
      c->body_left = ((uint32_t)c->hdr[3] << 8) | c->hdr[4];
      c->hdr_have = 0;
    }
  }
}

int sst_at_record_boundary(const sst_conn *c) {
  return c->hdr_have == 0 && c->body_left == 0 && c->stash_len == 0 && c->in_len == 0;
}

/* Appends to a (buf, off, len, cap) queue, compacting before growing. */
static int queue_append(uint8_t **buf, size_t *off, size_t *len, size_t *cap,
                        const uint8_t *p, size_t n) {
  if (*off + *len + n > *cap) {
    if (*len + n <= *cap) {
      memmove(*buf, *buf + *off, *len);
    } else {
      size_t grown = *cap ? *cap * 2 : 4096;
      while (grown < *len + n) grown *= 2;
      uint8_t *next = malloc(grown);
      if (next == NULL) return -1;
      if (*len > 0) memcpy(next, *buf + *off, *len);
      free(*buf);
      *buf = next;
      *cap = grown;
    }
    *off = 0;
  }
  memcpy(*buf + *off + *len, p, n);
  *len += n;
  return 0;
}

/* Drops consumed bytes of a queue; frees a large buffer once empty (idle connections). */
static void queue_consume(uint8_t **buf, size_t *off, size_t *len, size_t *cap, size_t n) {
  *off += n;
  *len -= n;
  if (*len == 0) {
    *off = 0;
    if (*cap > 64 * 1024) {
      free(*buf);
      *buf = NULL;
      *cap = 0;
    }
  }
}

static ssize_t send_some(sst_conn *c, const uint8_t *p, size_t n) {
  ssize_t r;
  do r = send(c->fd, p, n, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r > 0) c->socket_written += (uint64_t)r;
  return r;
}

/* fd mode: sends held output until the socket is full. -1 on a socket error. */
static int flush_fd(sst_conn *c) {
  while (c->pend_len > 0) {
    ssize_t r = send_some(c, c->pend + c->pend_off, c->pend_len);
    if (r < 0) {
      if (errno == EAGAIN) return 0;
      c->sys_errno = errno;
      return -1;
    }
    queue_consume(&c->pend, &c->pend_off, &c->pend_len, &c->pend_cap, (size_t)r);
  }
  return 0;
}

void sst_drain_pending(sst_conn *c) {
  if (c->pend_len == 0) return;
  if (c->fd >= 0) {
    if (!c->hold_output) (void)flush_fd(c); /* a failure is seen by the caller's begin() */
    return;
  }
  sst_instance *inst = c->inst;
  size_t k = min_size(c->pend_len, inst->arrays.out_cap - inst->out_len);
  memcpy(inst->arrays.out + inst->out_len, c->pend + c->pend_off, k);
  inst->out_len += k;
  queue_consume(&c->pend, &c->pend_off, &c->pend_len, &c->pend_cap, k);
}

int sst_emit(sst_conn *c, const uint8_t *p, size_t n) {
  sst_instance *inst = c->inst;
  if (c->pend_len == 0) {
    size_t k = min_size(n, inst->arrays.out_cap - inst->out_len);
    memcpy(inst->arrays.out + inst->out_len, p, k);
    inst->out_len += k;
    p += k;
    n -= k;
  }
  if (n == 0) return 0;
  return queue_append(&c->pend, &c->pend_off, &c->pend_len, &c->pend_cap, p, n);
}

/*
 * fd mode, at the end of each call: sends what the call produced in `out` with one
 * send(2) (a call encrypts up to ~128 KiB: one syscall, not one per record); what the
 * socket does not take goes in front of `pend`. While JS holds older bytes
 * (hold_output), everything waits in `pend` instead.
 */
int sst_flush_out(sst_conn *c) {
  sst_instance *inst = c->inst;
  size_t sent = 0, n = inst->out_len;
  inst->out_len = 0;
  if (!c->hold_output && c->sys_errno == 0 && c->pend_len == 0) {
    while (sent < n) {
      ssize_t r = send_some(c, inst->arrays.out + sent, n - sent);
      if (r < 0) {
        if (errno != EAGAIN) c->sys_errno = errno;
        break;
      }
      sent += (size_t)r;
    }
  }
  if (sent == n) return 0;
  /* Keep the rest, before what `pend` already holds (produced later in this call). */
  size_t rest = n - sent, cap = rest + c->pend_len;
  uint8_t *next = malloc(cap < 4096 ? 4096 : cap);
  if (next == NULL) return -1;
  memcpy(next, inst->arrays.out + sent, rest);
  if (c->pend_len > 0) memcpy(next + rest, c->pend + c->pend_off, c->pend_len);
  free(c->pend);
  c->pend = next;
  c->pend_off = 0;
  c->pend_len = cap;
  c->pend_cap = cap < 4096 ? 4096 : cap;
  return 0;
}

int sst_stash_input(sst_conn *c) {
  int r = 0;
  if (c->in_len > 0)
    r = queue_append(&c->stash, &c->stash_off, &c->stash_len, &c->stash_cap, c->in, c->in_len);
  c->in = NULL;
  c->in_len = 0;
  return r;
}

static int read_fd(BIO *b, sst_conn *c, char *buf, size_t n, size_t *got) {
  ssize_t r;
  if (c->drained) {
    BIO_set_retry_read(b);
    return 0;
  }
  do r = read(c->fd, buf, n);
  while (r < 0 && errno == EINTR);
  if (r > 0) {
    if ((size_t)r < n && c->short_read_drains) c->drained = 1;
    c->socket_read += (uint64_t)r;
    track_records(c, (const uint8_t *)buf, (size_t)r);
    *got = (size_t)r;
    return 1;
  }
  if (r == 0) sst_note_eof(c);
  else if (errno == EAGAIN) BIO_set_retry_read(b);
  else c->sys_errno = errno;
  return 0;
}

static int bio_read(BIO *b, char *buf, size_t n, size_t *got) {
  sst_conn *c = BIO_get_data(b);
  size_t k = 0;
  BIO_clear_retry_flags(b);
  *got = 0;
  if (c == NULL) return 0;
  if (c->stash_len > 0) {
    k = min_size(n, c->stash_len);
    memcpy(buf, c->stash + c->stash_off, k);
    queue_consume(&c->stash, &c->stash_off, &c->stash_len, &c->stash_cap, k);
  }
  if (k < n && c->in_len > 0) {
    size_t m = min_size(n - k, c->in_len);
    memcpy(buf + k, c->in, m);
    c->in += m;
    c->in_len -= m;
    k += m;
  }
  if (k > 0) {
    track_records(c, (const uint8_t *)buf, k);
    *got = k;
    return 1;
  }
  if (c->fd >= 0 && !c->eof) return read_fd(b, c, buf, n, got);
  /* Nothing now: "retry" until the transport said it ended (then a plain 0 is EOF). */
  if (!c->eof) BIO_set_retry_read(b);
  return 0;
}

static int bio_write(BIO *b, const char *buf, size_t n, size_t *written) {
  sst_conn *c = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  *written = 0;
  if (c == NULL) return 0;
  const uint8_t *p = (const uint8_t *)buf;
  if (sst_emit(c, p, n) != 0) return 0; /* fd mode too: sent at the end of the call */
  *written = n;
  return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  sst_conn *c = BIO_get_data(b);
  (void)num;
  (void)ptr;
  if (c == NULL) return 0;
  switch (cmd) {
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DUP:
      return 1;
    case BIO_CTRL_EOF:
      return c->eof && c->stash_len == 0 && c->in_len == 0;
    case BIO_CTRL_PENDING:
      return (long)(c->stash_len + c->in_len);
    case BIO_CTRL_WPENDING:
      return (long)c->pend_len;
    default:
      return 0;
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static int bio_destroy(BIO *b) {
  BIO_set_data(b, NULL);
  return 1;
}

BIO_METHOD *sst_bio_method_new(void) {
  BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "simple-stream");
  if (m == NULL) return NULL;
  if (!BIO_meth_set_read_ex(m, bio_read) || !BIO_meth_set_write_ex(m, bio_write) ||
      !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create) ||
      !BIO_meth_set_destroy(m, bio_destroy)) {
    BIO_meth_free(m);
    return NULL;
  }
  return m;
}
