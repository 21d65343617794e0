/* ws-upgrade.h: what both sides of the WebSocket upgrade (RFC 6455 section 4) need in the
 * bench tools: finding a header in an HTTP head, and Sec-WebSocket-Accept = base64(SHA-1(
 * key + GUID)), checked by the load generator and answered by the C WebSocket echo. A small
 * SHA-1 (FIPS 180-4) and base64 of its own, so the tools need no crypto library: this runs
 * once per connection, outside the measured window. */
#ifndef WS_UPGRADE_H
#define WS_UPGRADE_H
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

/* One 64-byte block into the state h[5]. */
static void sha1_block(uint32_t h[5], const uint8_t *p) {
  uint32_t w[80];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) f = (b & c) | (~b & d), k = 0x5a827999;
    else if (i < 40) f = b ^ c ^ d, k = 0x6ed9eba1;
    else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
    else f = b ^ c ^ d, k = 0xca62c1d6;
    uint32_t t = rol32(a, 5) + f + e + k + w[i];
    e = d, d = c, c = rol32(b, 30), b = a, a = t;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

/* SHA-1 of n bytes (n < 2^29) into out[20]. */
static void sha1(const uint8_t *msg, size_t n, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  size_t whole = n & ~(size_t)63;
  for (size_t i = 0; i < whole; i += 64) sha1_block(h, msg + i);
  uint8_t tail[128] = {0};
  size_t rest = n - whole, padded = rest < 56 ? 64 : 128;
  memcpy(tail, msg + whole, rest);
  tail[rest] = 0x80;
  uint64_t bits = (uint64_t)n * 8;
  for (int i = 0; i < 8; i++) tail[padded - 1 - i] = (uint8_t)(bits >> (8 * i));
  for (size_t i = 0; i < padded; i += 64) sha1_block(h, tail + i);
  for (int i = 0; i < 20; i++) out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Standard base64 (with padding) of n bytes into out, NUL-terminated; out needs 4*ceil(n/3)+1. */
static void base64(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[o++] = digits[v >> 18];
    out[o++] = digits[(v >> 12) & 63];
    out[o++] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? digits[v & 63] : '=';
  }
  out[o] = '\0';
}

/* The Sec-WebSocket-Accept value (28 characters + NUL) for a Sec-WebSocket-Key of len bytes. */
static void ws_accept(const char *key, size_t len, char out[29]) {
  char joined[128];
  uint8_t digest[20];
  if (len > sizeof joined - sizeof WS_GUID) len = sizeof joined - sizeof WS_GUID;
  memcpy(joined, key, len);
  memcpy(joined + len, WS_GUID, sizeof WS_GUID - 1);
  sha1((const uint8_t *)joined, len + sizeof WS_GUID - 1, digest);
  base64(digest, 20, out);
}

/* The value of header `name` (case-insensitive, first occurrence, spaces trimmed) in the
 * NUL-terminated HTTP head `head`; its length in *len. NULL if absent. */
static const char *header_value(const char *head, const char *name, size_t *len) {
  size_t nlen = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
    line += 2;
    if (strncasecmp(line, name, nlen) != 0 || line[nlen] != ':') continue;
    const char *v = line + nlen + 1, *end = strstr(v, "\r\n");
    if (end == NULL) end = v + strlen(v);
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *len = (size_t)(end - v);
    return v;
  }
  return NULL;
}
#endif
