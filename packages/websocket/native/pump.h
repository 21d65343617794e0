/*
 * pump.h: the loop that runs a zlib stream, inflating or deflating, over one input into a
 * sink, and what zlib's failures mean. zlib takes at most 4 GiB of input and output per
 * call (uInt), so the input goes in slices, and the sink grows whenever zlib has filled it.
 *
 * Inline, with each direction's step inlined into it (PMD_STEP): the loop runs twice per
 * message received, and as a call through a pointer it cost a small message's inflate 3%.
 */
#ifndef PMD_PUMP_H
#define PMD_PUMP_H

#include "pmd.h"

#include <limits.h>

/* The PMD_E_* code of a zlib failure. */
static inline int pmd_zlib_error(int ret) {
  return ret == Z_MEM_ERROR ? PMD_E_MEMORY : PMD_E_DATA;
}

/* One inflate() or deflate() call over z's current input and output for `codec`, adding
 * the bytes it wrote to s->len: 0 to go on, or a PMD_E_* code. */
typedef int (*pmd_step)(void *codec, z_stream *z, pmd_sink *s);

/* How a file defines its pmd_step, so that the compiler inlines it into pmd_pump. */
#define PMD_STEP static inline __attribute__((always_inline)) int

/* Runs step until all of in[0..n) is consumed and the last call left output space (so
 * zlib has nothing more to give), growing s as it fills. 0, or a PMD_E_* code. */
static inline int pmd_pump(pmd_instance *inst, z_stream *z, pmd_sink *s, const uint8_t *in,
                           size_t n, pmd_step step, void *codec) {
  z->avail_in = 0;
  for (;;) {
    if (z->avail_in == 0 && n > 0) {
      uInt chunk = n > UINT_MAX ? UINT_MAX : (uInt)n;
      z->next_in = (Bytef *)in;
      z->avail_in = chunk;
      in += chunk;
      n -= chunk;
    }
    if (s->len == s->cap) {
      int rc = pmd_sink_grow(inst, s);
      if (rc != 0) return rc;
    }
    size_t room = s->cap - s->len;
    z->next_out = s->base + s->len;
    z->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
    int rc = step(codec, z, s);
    if (rc != 0) return rc;
    /* With room left, inflate stops only when it has used all its input, and a sync flush
     * of deflate is complete. */
    if (z->avail_in == 0 && n == 0 && z->avail_out > 0) return 0;
  }
}

#endif /* PMD_PUMP_H */
