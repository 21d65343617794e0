/* ws-deflate.h: the client side of permessage-deflate (RFC 7692) for the WebSocket load
 * generator: checking what the server accepted, and the per-connection deflate (our
 * messages) and inflate (the server's RSV1 messages) with zlib, raw DEFLATE, each message
 * ending in a sync flush whose 00 00 ff ff tail is left off the wire (section 7.2.1). */
#ifndef WS_DEFLATE_H
#define WS_DEFLATE_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* What the server's Sec-WebSocket-Extensions answer settled. */
typedef struct {
  int on;
  int server_no_context_takeover, client_no_context_takeover;
  int server_max_window_bits, client_max_window_bits; /* 0: not given (15) */
  char text[128]; /* the answer as received, for the report (quotes and backslashes dropped) */
} pmd_t;

/* Reads one "name" or "name=value" parameter into a bits field: 8..15, given at most once. */
static int pmd_bits(const char *v, size_t len, int *field) {
  if (*field != 0 || len == 0 || len > 2) return 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') return 0;
    bits = bits * 10 + (v[i] - '0');
  }
  if (bits < 8 || bits > 15) return 0;
  *field = bits;
  return 1;
}

/* Parses the server's answer to our offer "permessage-deflate; client_max_window_bits".
 * Returns NULL, or why the answer is not one a client may accept. */
static const char *pmd_parse(const char *v, size_t len, pmd_t *p) {
  memset(p, 0, sizeof *p);
  size_t t = 0;
  for (size_t i = 0; i < len && t < sizeof p->text - 1; i++)
    if (v[i] != '"' && v[i] != '\\') p->text[t++] = v[i];
  const char *end = v + len, *name = "permessage-deflate";
  size_t nlen = strlen(name);
  if (len < nlen || strncasecmp(v, name, nlen) != 0) return "not permessage-deflate";
  const char *s = v + nlen;
  while (s < end) {
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (s == end) break;
    if (*s != ';') return "one extension only was offered";
    s++;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    const char *k = s;
    while (s < end && *s != '=' && *s != ';' && *s != ' ' && *s != '\t') s++;
    size_t klen = (size_t)(s - k);
    const char *val = NULL;
    size_t vlen = 0;
    if (s < end && *s == '=') {
      val = ++s;
      while (s < end && *s != ';' && *s != ' ' && *s != '\t') s++;
      vlen = (size_t)(s - val);
    }
#define IS(param) (klen == strlen(param) && strncasecmp(k, param, klen) == 0)
    if (IS("server_no_context_takeover") && val == NULL && !p->server_no_context_takeover) p->server_no_context_takeover = 1;
    else if (IS("client_no_context_takeover") && val == NULL && !p->client_no_context_takeover) p->client_no_context_takeover = 1;
    else if (IS("server_max_window_bits") && val != NULL && pmd_bits(val, vlen, &p->server_max_window_bits)) continue;
    else if (IS("client_max_window_bits") && val != NULL && pmd_bits(val, vlen, &p->client_max_window_bits)) continue;
    else return "an unknown, repeated or malformed parameter";
#undef IS
  }
  p->on = 1;
  return NULL;
}

/* Sets up one connection's deflater (at `level`) and inflater for what was settled. */
static void pmd_init(const pmd_t *p, z_stream *def, z_stream *inf, int level) {
  /* zlib's raw deflate cannot make a 256-byte window; a 512-byte one never reaches
   * further back than 256 bytes (its distances stop 262 bytes short of the window). */
  int bits = p->client_max_window_bits == 0 ? 15 : p->client_max_window_bits < 9 ? 9 : p->client_max_window_bits;
  memset(def, 0, sizeof *def);
  memset(inf, 0, sizeof *inf);
  if (deflateInit2(def, level, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    fprintf(stderr, "ws-loadgen: deflateInit2 failed\n");
    exit(1);
  }
  /* The largest window inflates whatever window the server used. */
  if (inflateInit2(inf, -15) != Z_OK) {
    fprintf(stderr, "ws-loadgen: inflateInit2 failed\n");
    exit(1);
  }
}

/* Compresses one message of n bytes into out (cap bytes); returns the length to send. */
static size_t pmd_compress(const pmd_t *p, z_stream *def, const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  def->next_in = (Bytef *)in;
  def->avail_in = (uInt)n;
  def->next_out = out;
  def->avail_out = (uInt)cap;
  int r = deflate(def, Z_SYNC_FLUSH);
  size_t len = cap - def->avail_out;
  if (r != Z_OK || def->avail_in != 0 || def->avail_out == 0 || len < 4 || memcmp(out + len - 4, "\0\0\xff\xff", 4) != 0) {
    fprintf(stderr, "ws-loadgen: deflate failed (%d)\n", r);
    exit(1);
  }
  if (p->client_no_context_takeover) deflateReset(def);
  return len - 4;
}
#endif
