/*
 * ws-loadgen.c: loadgen.c for WebSocket echo servers (RFC 6455, permessage-deflate RFC 7692).
 *
 *   ws-loadgen HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS
 *              [--deflate] [--text] [--level=N] [--threshold=N]
 *
 * Each connection is upgraded first (ws-handshake.h), then keeps INFLIGHT binary messages
 * of SIZE bytes (4..65535) in flight, as loadgen.c: payload of message `seq` on connection
 * `c` = seq as u32 LE, then a slice of the 251-periodic pattern starting at
 * (seq * 7 + c) % 251 (--text: a slice of a generated English-like text at an offset
 * mixed from seq and c, which deflate compresses as it would chat or JSON).
 * Our frames are a client's: FIN, opcode binary, masked with a fresh key per frame.
 * Every echoed byte is checked: the header (FIN, binary, no RSV but RSV1 when deflate was
 * negotiated, no mask bit, the minimal length encoding, the length) and every payload
 * byte, in order; any mismatch aborts (exit 2).
 *
 * --deflate offers "permessage-deflate; client_max_window_bits" and fails unless the
 * server accepts; messages of at least --threshold bytes (default 0: all of them, as
 * browsers do) are sent compressed at zlib --level (default 1: the generator must stay
 * cheap; the server inflates any level at about the same cost). Replies with RSV1 are
 * inflated as they arrive and the result checked whole; replies without RSV1 are checked
 * as plain ones. The report adds the server's extension answer, the share of compressed
 * replies and of our compressed messages, and the wire bytes per message each way.
 */
#include "loadgen.h"
#include "ws-handshake.h"

#define MAX_HEAD 14 /* 2 + 8 (64-bit length) + 4 (mask key) */
#define TEXT_SPAN 65536

typedef struct {
  lg_conn_t base; /* first: the loop hands us &base */
  /* The incoming frame: its header while head_len < head_need, then its payload. */
  uint8_t head[MAX_HEAD];
  uint32_t head_len, head_need;
  uint64_t payload_len, pos;
  int compressed;
  uint32_t produced; /* bytes inflated so far from a compressed payload */
  uint8_t *inflated; /* SIZE + 1 bytes: one more than a message, to catch a longer one */
  z_stream def, inf;
} conn_t;

static int deflating, text_mode, level = 1;
static uint32_t threshold, mask_state;
static pmd_t pmd;
static uint8_t text[TEXT_SPAN + 65536];
static uint8_t *plain_msg, *packed_msg; /* scratch for one message being compressed */
static size_t packed_cap;
static uint64_t compressed_in, compressed_out, wire_in, wire_out; /* measured window only */

/* Fills `text` with words from a small vocabulary, like chat or log lines. */
static void make_text(void) {
  static const char *words[] = {"the", "of", "and", "a", "to", "in", "is", "you", "that", "it", "he", "was", "for",
                                "on", "are", "as", "with", "his", "they", "at", "be", "this", "from", "have", "or",
                                "by", "one", "had", "not", "but", "what", "all", "were", "when", "we", "there", "can",
                                "an", "your", "which", "their", "said", "if", "do", "will", "each", "about", "how",
                                "up", "out", "them", "then", "she", "many", "some", "so", "these", "would", "other",
                                "into", "has", "more", "her", "two", "like", "him", "see", "time", "could", "no",
                                "message", "server", "client", "stream", "frame", "socket", "event", "user", "room"};
  uint32_t r = 0x9e3779b9u;
  size_t i = 0;
  int in_sentence = 0;
  while (i < sizeof text) {
    r ^= r << 13, r ^= r >> 17, r ^= r << 5;
    const char *w = words[r % (sizeof words / sizeof *words)];
    for (const char *p = w; *p && i < sizeof text; p++) text[i++] = (uint8_t)(p == w && !in_sentence ? *p & ~0x20 : *p);
    in_sentence = (r >> 8) % 11 != 0;
    const char *sep = in_sentence ? ((r >> 12) % 9 == 0 ? ", " : " ") : ((r >> 12) % 4 == 0 ? ".\n" : ". ");
    for (const char *p = sep; *p && i < sizeof text; p++) text[i++] = (uint8_t)*p;
  }
}

/* The payload after the 4 sequence bytes of message seq on connection c. */
static const uint8_t *message_body(const lg_conn_t *c, uint32_t seq) {
  if (!text_mode) return message_pattern(c, seq);
  return text + (seq * 2654435761u + (uint32_t)c->id * 40503u) % TEXT_SPAN;
}

static uint32_t next_mask_key(void) { /* xorshift32: never 0 from a non-zero seed */
  mask_state ^= mask_state << 13, mask_state ^= mask_state >> 17, mask_state ^= mask_state << 5;
  return mask_state;
}

/* XORs n bytes with the 4-byte key as it sits in memory, 8 bytes at a time. */
static void mask_bytes(uint8_t *p, size_t n, uint32_t key) {
  uint64_t k = (uint64_t)key << 32 | key;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    w ^= k;
    memcpy(p + i, &w, 8);
  }
  for (; i < n; i++) p[i] ^= (uint8_t)(key >> (8 * (i & 3)));
}

/* Appends the next message as a masked frame to c's output and stamps it. */
static void queue_message(conn_t *c, uint64_t t) {
  lg_conn_t *b = &c->base;
  uint32_t seq = stamp(b, t);
  const uint8_t *body = message_body(b, seq);
  int rsv1 = deflating && size >= threshold;
  size_t len = size;
  if (rsv1) {
    memcpy(plain_msg, &seq, 4);
    memcpy(plain_msg + 4, body, size - 4);
    len = pmd_compress(&pmd, &c->def, plain_msg, size, packed_msg, packed_cap);
  }
  uint8_t *p = b->tx + b->txlen;
  size_t h = 2;
  p[0] = rsv1 ? 0xc2 : 0x82; /* FIN, (RSV1,) binary */
  if (len < 126) {
    p[1] = (uint8_t)(0x80 | len);
  } else if (len <= 0xffff) {
    p[1] = 0x80 | 126, p[2] = (uint8_t)(len >> 8), p[3] = (uint8_t)len, h = 4;
  } else {
    p[1] = 0x80 | 127, h = 10;
    for (int i = 0; i < 8; i++) p[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
  }
  uint32_t key = next_mask_key();
  memcpy(p + h, &key, 4);
  uint8_t *payload = p + h + 4;
  if (rsv1) {
    memcpy(payload, packed_msg, len);
  } else {
    memcpy(payload, &seq, 4);
    memcpy(payload + 4, body, size - 4);
  }
  mask_bytes(payload, len, key);
  b->txlen += h + 4 + len;
  if (measuring) wire_out += h + 4 + len, compressed_out += (uint64_t)rsv1;
}

static void fail(const conn_t *c, const char *what) {
  fprintf(stderr, "ws-loadgen: MISMATCH on connection %d, message %u: %s\n", c->base.id, c->base.recv_seq, what);
  exit(2);
}

static void mismatch(const conn_t *c, uint32_t at, uint8_t got, uint8_t want) {
  fprintf(stderr, "ws-loadgen: MISMATCH on connection %d, message %u, payload byte %u: got 0x%02x, want 0x%02x\n",
          c->base.id, c->base.recv_seq, at, got, want);
  exit(2);
}

/* Checks n payload bytes, starting at payload offset `off`, of the message awaited. */
static void check_payload(const conn_t *c, const uint8_t *b, uint32_t off, uint32_t n) {
  uint32_t seq = c->base.recv_seq;
  for (; n > 0 && off < 4; b++, off++, n--) {
    uint8_t want = (uint8_t)(seq >> (8 * off));
    if (*b != want) mismatch(c, off, *b, want);
  }
  if (n == 0) return;
  const uint8_t *want = message_body(&c->base, seq) + (off - 4);
  if (memcmp(b, want, n) != 0) {
    uint32_t k = 0;
    while (b[k] == want[k]) k++;
    mismatch(c, off + k, b[k], want[k]);
  }
}

/* Validates the frame header just read; sets the payload's length and compression. */
static void header_done(conn_t *c) {
  const uint8_t *h = c->head;
  uint64_t len = h[1] & 0x7f;
  if (len == 126) {
    len = (uint64_t)h[2] << 8 | h[3];
    if (len < 126) fail(c, "a 16-bit length below 126 (not minimal)");
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; i++) len = len << 8 | h[2 + i];
    if (len <= 0xffff || len >> 63) fail(c, "a 64-bit length below 65536 or with its top bit set");
  }
  c->compressed = (h[0] & 0x40) != 0;
  if ((h[0] & 0xbf) != 0x82) fail(c, "first byte not FIN + binary (with no RSV2/RSV3)");
  if (c->compressed && !pmd.on) fail(c, "RSV1 without permessage-deflate");
  if (h[1] & 0x80) fail(c, "a masked frame from the server");
  if (!c->compressed && len != size) fail(c, "a payload length other than SIZE");
  c->payload_len = len;
  c->pos = 0;
}

/* Feeds compressed payload bytes to c's inflater; the output may not exceed SIZE bytes. */
static void inflate_some(conn_t *c, const uint8_t *b, size_t n) {
  z_stream *z = &c->inf;
  z->next_in = (Bytef *)b;
  z->avail_in = (uInt)n;
  while (z->avail_in > 0) {
    z->next_out = c->inflated + c->produced;
    z->avail_out = size + 1 - c->produced;
    int r = inflate(z, Z_SYNC_FLUSH);
    c->produced = size + 1 - z->avail_out;
    if (c->produced > size) fail(c, "inflates to more than SIZE bytes");
    if (r == Z_STREAM_END) inflateReset(z); /* a final block: the next message starts afresh */
    else if (r == Z_BUF_ERROR) break;
    else if (r != Z_OK) fail(c, "bad DEFLATE data");
  }
}

/* A whole frame has been read: check a compressed one, then send the successor. */
static void message_done(conn_t *c, uint64_t t) {
  if (c->compressed) {
    inflate_some(c, (const uint8_t *)"\0\0\xff\xff", 4);
    if (c->produced != size) fail(c, "inflates to fewer than SIZE bytes");
    check_payload(c, c->inflated, 0, size);
    c->produced = 0;
    if (pmd.server_no_context_takeover) inflateReset(&c->inf);
  }
  if (measuring) compressed_in += (uint64_t)c->compressed;
  c->head_len = 0;
  c->head_need = 2;
  echoed(&c->base, t);
  queue_message(c, t);
}

/* Parses and checks n echoed bytes, frame by frame. */
static void on_bytes(lg_conn_t *base, const uint8_t *b, size_t n, uint64_t t) {
  conn_t *c = (conn_t *)base;
  if (measuring) wire_in += n;
  while (n > 0) {
    if (c->head_len < c->head_need) {
      c->head[c->head_len++] = *b++;
      n--;
      if (c->head_len == 2) c->head_need = (c->head[1] & 0x7f) == 126 ? 4 : (c->head[1] & 0x7f) == 127 ? 10 : 2;
      if (c->head_len < c->head_need) continue;
      header_done(c);
      if (c->payload_len == 0) message_done(c, t);
      continue;
    }
    uint64_t left = c->payload_len - c->pos;
    uint32_t take = left < n ? (uint32_t)left : (uint32_t)n;
    if (c->compressed) inflate_some(c, b, take);
    else check_payload(c, b, (uint32_t)c->pos, take);
    c->pos += take;
    b += take;
    n -= take;
    if (c->pos == c->payload_len) message_done(c, t);
  }
}

static int option(const char *arg, const char *name, uint32_t *value) {
  size_t len = strlen(name);
  if (strncmp(arg, name, len) != 0 || arg[len] != '=') return 0;
  *value = (uint32_t)atoi(arg + len + 1);
  return 1;
}

int main(int argc, char **argv) {
  int ok = parse_positional(argc, argv, 4);
  uint32_t lvl = 1;
  for (int i = 8; ok && i < argc; i++) {
    if (strcmp(argv[i], "--deflate") == 0) deflating = 1;
    else if (strcmp(argv[i], "--text") == 0) text_mode = 1;
    else if (!option(argv[i], "--level", &lvl) && !option(argv[i], "--threshold", &threshold)) ok = 0;
  }
  level = (int)lvl;
  if (!ok || level > 9) {
    fprintf(stderr, "usage: ws-loadgen HOST PORT CONNS INFLIGHT SIZE(4..65535) SECONDS WARMUP_SECONDS\n"
                    "                  [--deflate] [--text] [--level=0..9] [--threshold=BYTES]\n");
    return 1;
  }
  if (text_mode) make_text();
  if (getrandom(&mask_state, sizeof mask_state, 0) != sizeof mask_state) die("getrandom");
  mask_state |= 1;
  packed_cap = size + size / 8 + 64; /* stored blocks if incompressible, plus the flush */
  plain_msg = malloc(size);
  packed_msg = malloc(packed_cap);
  conn_t *conns = calloc((size_t)nconns, sizeof *conns);
  if (conns == NULL || plain_msg == NULL || packed_msg == NULL) die("malloc");
  for (int i = 0; i < nconns; i++) {
    conn_t *c = &conns[i];
    pmd_t settled;
    connect_blocking(&c->base, i);
    if (upgrade(&c->base, deflating, &settled) != 0) fail(c, "bytes from the server before any message");
    if (i == 0) pmd = settled;
    else if (memcmp(&settled, &pmd, sizeof pmd) != 0) fail(c, "a permessage-deflate answer unlike the first connection's");
    if (pmd.on) pmd_init(&pmd, &c->def, &c->inf, level);
    c->inflated = malloc(size + 1);
    c->head_need = 2;
    attach(&c->base, MAX_HEAD + packed_cap);
  }
  uint64_t t0 = now_ns();
  for (int i = 0; i < nconns; i++) {
    for (int k = 0; k < inflight; k++) queue_message(&conns[i], t0);
    flush(&conns[i].base);
  }
  run_loop();
  double msgs = lat_count ? (double)lat_count : 1;
  char extra[512];
  snprintf(extra, sizeof extra,
           ",\"extensions\":\"%s\",\"compressed_in_pct\":%.1f,\"compressed_out_pct\":%.1f,"
           "\"wire_in_per_msg\":%.1f,\"wire_out_per_msg\":%.1f",
           pmd.text, 100.0 * (double)compressed_in / msgs, 100.0 * (double)compressed_out / msgs,
           (double)wire_in / msgs, (double)wire_out / msgs);
  report(extra);
  return 0;
}
