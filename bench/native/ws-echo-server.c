/*
 * ws-echo-server.c: the "limit" WebSocket peer: a minimal single-threaded epoll echo.
 * It answers the upgrade (Sec-WebSocket-Accept; no extension, no subprotocol), then per
 * readable event does one read(2) of up to 256 KiB, turns every whole client frame in it
 * into the server frame of the same first byte (FIN, opcode) and unmasked payload, and
 * sends them all with one send(2). What a WebSocket echo cannot do without, nothing more:
 * no message reassembly, no UTF-8 check, no ping or close handshake (a control frame
 * closes the connection), frames up to 16 MiB.
 *
 *   ws-echo-server [PORT]     prints "PORT <n>" once listening on 127.0.0.1
 */
#include "common.h"
#include "ws-upgrade.h"

#define MAX_HEAD_BYTES 8192
#define MAX_FRAME (16u << 20)

static uint8_t *obuf; /* the echo of one read: never longer than the input */
static size_t ocap;

/* Answers the HTTP head at the start of data; returns its length, 0 if it has not all
 * come yet, -1 if it is no WebSocket upgrade. */
static ssize_t answer_upgrade(conn_t *c, const char *data, size_t n) {
  const char *end = memmem(data, n, "\r\n\r\n", 4);
  if (end == NULL) return n > MAX_HEAD_BYTES ? -1 : 0;
  size_t head_len = (size_t)(end - data) + 4, len;
  char head[MAX_HEAD_BYTES + 8], accept[29], response[192];
  if (head_len > MAX_HEAD_BYTES) return -1;
  memcpy(head, data, head_len - 2);
  head[head_len - 2] = '\0';
  const char *key = header_value(head, "Sec-WebSocket-Key", &len);
  if (strncmp(head, "GET ", 4) != 0 || key == NULL || len != 24) return -1;
  ws_accept(key, len, accept);
  int r = snprintf(response, sizeof response,
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\n\r\n",
                   accept);
  queue(c, response, (size_t)r);
  return (ssize_t)head_len;
}

/* Echoes the whole frames at the start of p into obuf (*olen bytes); returns the bytes
 * of p consumed, or -1 to close the connection. */
static ssize_t echo_frames(const uint8_t *p, size_t n, size_t *olen) {
  size_t i = 0, o = 0;
  while (n - i >= 2) {
    const uint8_t *f = p + i;
    if ((f[1] & 0x80) == 0 || (f[0] & 0x08) != 0) return -1; /* unmasked, or a control frame */
    uint64_t len = f[1] & 0x7f;
    size_t h = 2;
    if (len == 126) {
      if (n - i < 4) break;
      len = (uint64_t)f[2] << 8 | f[3], h = 4;
    } else if (len == 127) {
      if (n - i < 10) break;
      len = 0;
      for (int k = 0; k < 8; k++) len = len << 8 | f[2 + k];
      h = 10;
    }
    if (len > MAX_FRAME) return -1;
    if (n - i < h + 4 + len) break;
    uint8_t *d = obuf + o;
    d[0] = f[0];
    memcpy(d + 1, f + 1, h - 1); /* same length encoding, mask bit cleared below */
    d[1] &= 0x7f;
    uint32_t key;
    memcpy(&key, f + h, 4);
    uint64_t k8 = (uint64_t)key << 32 | key, w;
    const uint8_t *src = f + h + 4;
    uint8_t *dst = d + h;
    size_t j = 0;
    for (; j + 8 <= len; j += 8) {
      memcpy(&w, src + j, 8);
      w ^= k8;
      memcpy(dst + j, &w, 8);
    }
    for (; j < len; j++) dst[j] = src[j] ^ (uint8_t)(key >> (8 * (j & 3)));
    o += h + len;
    i += h + 4 + len;
  }
  *olen = o;
  return (ssize_t)i;
}

/* One readable event on a connection. Returns -1 to drop it. */
static int on_readable(int ep, conn_t *c) {
  static char buf[256 * 1024];
  ssize_t r = read(c->fd, buf, sizeof buf);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) return -1;
  if (r < 0) return 0;
  const char *data = buf;
  size_t n = (size_t)r;
  if (c->inlen > 0 || !c->state) { /* join the leftover: a split frame or head */
    if (c->inlen + n > c->incap) {
      c->incap = (c->inlen + n) * 2;
      if ((c->in = realloc(c->in, c->incap)) == NULL) die("realloc");
    }
    memcpy(c->in + c->inlen, buf, n);
    c->inlen += n;
    data = c->in;
    n = c->inlen;
  }
  size_t used = 0, olen = 0;
  if (!c->state) {
    ssize_t head = answer_upgrade(c, data, n);
    if (head <= 0) return (int)head;
    c->state = 1;
    used = (size_t)head;
  }
  if (n > ocap && (obuf = realloc(obuf, ocap = n)) == NULL) die("realloc");
  ssize_t echoed = echo_frames((const uint8_t *)data + used, n - used, &olen);
  if (echoed < 0) return -1;
  used += (size_t)echoed;
  if (data == c->in) { /* keep only the unparsed tail */
    memmove(c->in, c->in + used, n - used);
    c->inlen = n - used;
  } else if (used < n) {
    if (n - used > c->incap && (c->in = realloc(c->in, c->incap = n - used)) == NULL) die("realloc");
    memcpy(c->in, data + used, n - used);
    c->inlen = n - used;
  }
  /* The upgrade's answer is queued first; frames go straight out when nothing waits. */
  size_t w = 0;
  if (c->len == 0 && olen > 0) {
    ssize_t s = send(c->fd, obuf, olen, MSG_NOSIGNAL);
    if (s < 0 && errno != EAGAIN) return -1;
    w = s < 0 ? 0 : (size_t)s;
  }
  if (w < olen) queue(c, obuf + w, olen - w);
  return c->len > 0 ? (flush_out(ep, c, 0) < 0 ? -1 : 0) : 0;
}

int main(int argc, char **argv) {
  serve(argc, argv, on_readable);
}
