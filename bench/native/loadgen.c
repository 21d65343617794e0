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
 * Frames are built and checked with memcpy/memcmp against the pattern; the connections,
 * the timed loop and the JSON report on stdout are loadgen.h's.
 */
#include "loadgen.h"

#define HDR 7 /* 0x01, u16 BE length, seq u32 LE (payloads of 4+ bytes) */

typedef struct {
  lg_conn_t base; /* first: the loop hands us &base */
  uint32_t pos; /* bytes of the current incoming frame already checked */
  uint8_t hdr[HDR]; /* expected first bytes of the current incoming frame */
} conn_t;

/* The first HDR bytes of frame `seq` (only the first size+3 of them when size < 4). */
static void frame_header(uint8_t *h, uint32_t seq) {
  h[0] = 0x01;
  h[1] = (uint8_t)(size >> 8);
  h[2] = (uint8_t)size;
  memcpy(h + 3, &seq, 4); /* x86-64/arm64: little-endian */
}

/* Appends the next frame to the connection's output and stamps it. */
static void queue_frame(lg_conn_t *c, uint64_t t) {
  uint8_t *p = c->tx + c->txlen;
  uint32_t seq = stamp(c, t);
  uint8_t h[HDR];
  frame_header(h, seq);
  uint32_t head = size + 3 < HDR ? size + 3 : HDR;
  memcpy(p, h, head);
  if (size + 3 > HDR) memcpy(p + HDR, message_pattern(c, seq), size + 3 - HDR);
  p[size + 3] = 0x17;
  c->txlen += size + 4;
}

static void mismatch(lg_conn_t *c, uint32_t at, uint8_t got, uint8_t want) {
  fprintf(stderr, "loadgen: MISMATCH on connection %d, frame %u, byte %u of the frame: got 0x%02x, want 0x%02x\n",
          c->id, c->recv_seq, at, got, want);
  exit(2);
}

/* Checks `n` echoed bytes against the expected stream; sends a successor per frame done. */
static void on_bytes(lg_conn_t *base, const uint8_t *b, size_t n, uint64_t t) {
  conn_t *c = (conn_t *)base;
  const uint32_t flen = size + 4;
  while (n > 0) {
    if (c->pos == 0) frame_header(c->hdr, base->recv_seq);
    uint32_t take = flen - c->pos < n ? flen - c->pos : (uint32_t)n;
    for (uint32_t i = 0; i < take; i++) { /* per-byte compare only in the header and trailer */
      uint32_t at = c->pos + i;
      if (at < HDR && at < size + 3) {
        if (b[i] != c->hdr[at]) mismatch(base, at, b[i], c->hdr[at]);
      } else if (at == size + 3) {
        if (b[i] != 0x17) mismatch(base, at, b[i], 0x17);
      } else { /* a run of pattern bytes: memcmp it whole */
        uint32_t run = (size + 3 - at) < (take - i) ? size + 3 - at : take - i;
        const uint8_t *want = message_pattern(base, base->recv_seq) + (at - HDR);
        if (memcmp(b + i, want, run) != 0) {
          uint32_t k = 0;
          while (b[i + k] == want[k]) k++;
          mismatch(base, at + k, b[i + k], want[k]);
        }
        i += run - 1;
      }
    }
    c->pos += take;
    b += take;
    n -= take;
    if (c->pos == flen) { /* a whole frame came back */
      c->pos = 0;
      echoed(base, t);
      queue_frame(base, t);
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: loadgen HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS\n");
    return 1;
  }
  if (!parse_positional(argc, argv, 0)) {
    fprintf(stderr, "loadgen: bad arguments\n");
    return 1;
  }
  conn_t *conns = calloc((size_t)nconns, sizeof *conns);
  uint64_t t0 = now_ns();
  for (int i = 0; i < nconns; i++) {
    lg_conn_t *c = &conns[i].base;
    connect_blocking(c, i);
    attach(c, size + 4);
    for (int k = 0; k < inflight; k++) queue_frame(c, t0);
    flush(c);
  }
  run_loop();
  report("");
  return 0;
}
