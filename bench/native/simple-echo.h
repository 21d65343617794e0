/* simple-echo.h: the Simple frames of the echo load generators (loadgen.c over TCP,
 * tls-loadgen.c over TLS), built and checked. Payload of frame `seq` on connection `c` =
 * seq as u32 LE, then a slice of the 251-periodic pattern (echo-load.h); every echoed
 * byte is checked in order: the 0x01 guard, the u16 BE length, the payload, the 0x17
 * trailer. Any mismatch aborts (exit 2). Frames are built and checked with memcpy/memcmp
 * against the pattern. */
#ifndef SIMPLE_ECHO_H
#define SIMPLE_ECHO_H
#include <errno.h>
#include <string.h>
#include "echo-load.h"

#define HDR 7 /* 0x01, u16 BE length, seq u32 LE (payloads of 4+ bytes) */

typedef struct {
  lg_conn_t base; /* first: the loop hands us &base */
  uint32_t pos; /* bytes of the current incoming frame already checked */
  uint8_t hdr[HDR]; /* expected first bytes of the current incoming frame */
} simple_conn_t;

/* The first HDR bytes of frame `seq` (only the first size+3 of them when size < 4). */
static void frame_header(uint8_t *h, uint32_t seq) {
  h[0] = 0x01;
  h[1] = (uint8_t)(size >> 8);
  h[2] = (uint8_t)size;
  memcpy(h + 3, &seq, 4); /* x86-64/arm64: little-endian */
}

/* Appends the next frame to the connection's output and stamps it with time t. */
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
  fprintf(stderr, "%s: MISMATCH on connection %d, frame %u, byte %u of the frame: got 0x%02x, want 0x%02x\n",
          program_invocation_short_name, c->id, c->recv_seq, at, got, want);
  exit(2);
}

/* Checks `n` echoed bytes arrived at time t against the expected stream. Each frame done
 * is echoed() and, with `successors`, followed by a new one. */
static void check_frames(simple_conn_t *c, const uint8_t *b, size_t n, uint64_t t, int successors) {
  lg_conn_t *base = &c->base;
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
      if (successors) queue_frame(base, t);
    }
  }
}
#endif
