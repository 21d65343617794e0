/*
 * sink.c: where inflate's and deflate's output goes. First the per-thread out, which JS
 * copies from at once; what does not fit there spills into a buffer the owner keeps (an
 * inflater's message, the instance's spill), which JS copies from with a take call.
 */
#include "pmd.h"

#include <string.h>

/* Spilled buffers above this are freed once taken: one big message must not pin up to
 * maxMessage of memory on an idle connection. */
#define KEEP_CAP 65536

/* Doubling from 16 KiB: few reallocs for big messages, little slack for small ones. */
static size_t next_cap(size_t need, size_t cap, size_t limit) {
  size_t c = cap < 16384 ? 16384 : cap * 2;
  while (c < need) c *= 2;
  return c > limit ? limit : c;
}

int pmd_sink_grow(pmd_instance *inst, pmd_sink *s) {
  pmd_buffer *heap = s->heap;
  size_t need = s->len + 1;
  if (s->len >= s->limit) return PMD_E_TOO_BIG;
  if (s->in_out) {
    /* out is per thread: bytes kept past this call must move to the owner's buffer */
    size_t want = next_cap(need > heap->cap ? need : heap->cap, 0, s->limit);
    if (want > heap->cap && pmd_resize(inst, heap, want) != 0) return PMD_E_MEMORY;
    memcpy(heap->data, s->base, s->len);
    s->in_out = 0;
  } else {
    size_t want = next_cap(need, heap->cap, s->limit);
    if (pmd_resize(inst, heap, want) != 0) return PMD_E_MEMORY;
  }
  s->base = heap->data;
  s->cap = heap->cap;
  return 0;
}

void pmd_sink_done(pmd_instance *inst, const pmd_sink *s) {
  inst->arrays.state[PMD_S_SPILLED] = !s->in_out;
  if (!s->in_out) s->heap->len = s->len;
}

int pmd_take(napi_env env, pmd_instance *inst, pmd_buffer *b, napi_value dest,
             const char *mismatch) {
  uint8_t *p;
  size_t len;
  if (ssn_arg_bytes(env, dest, "dest", &p, &len) != 0) return -1;
  if (len != b->len) return ssn_range_error(env, mismatch);
  if (len > 0) memcpy(p, b->data, len);
  b->len = 0;
  if (b->cap > KEEP_CAP) pmd_resize(inst, b, 0);
  return 0;
}
