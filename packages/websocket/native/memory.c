/*
 * memory.c: every native byte this addon holds goes through here, so that stats() can
 * report it (leak tests, and the proof that a decompression bomb stays near maxMessage).
 */
#include "pmd.h"

#include <stdlib.h>
#include <string.h>

/* zlib frees without a size: each block carries its size in front (16 bytes keeps the
 * alignment malloc gives). */
#define HEADER 16

static void note_alloc(pmd_instance *inst, size_t n) {
  inst->held += n;
  if (inst->held > inst->peak) inst->peak = inst->held;
}

voidpf pmd_zalloc(voidpf opaque, uInt items, uInt size) {
  pmd_instance *inst = opaque;
  size_t n = (size_t)items * size;
  uint8_t *p = malloc(n + HEADER);
  if (p == NULL) return Z_NULL;
  memcpy(p, &n, sizeof n);
  note_alloc(inst, n);
  return p + HEADER;
}

void pmd_zfree(voidpf opaque, voidpf address) {
  pmd_instance *inst = opaque;
  uint8_t *p = (uint8_t *)address - HEADER;
  size_t n;
  memcpy(&n, p, sizeof n);
  inst->held -= n;
  free(p);
}

void *pmd_alloc(pmd_instance *inst, size_t n) {
  void *p = calloc(1, n);
  if (p != NULL) note_alloc(inst, n);
  return p;
}

void pmd_free(pmd_instance *inst, void *p, size_t n) {
  if (p == NULL) return;
  inst->held -= n;
  free(p);
}

int pmd_resize(pmd_instance *inst, uint8_t **buf, size_t *cap, size_t want) {
  if (want == *cap) return 0;
  if (want == 0) {
    free(*buf);
    *buf = NULL;
  } else {
    uint8_t *p = realloc(*buf, want);
    if (p == NULL) return -1;
    *buf = p;
  }
  if (want > *cap) note_alloc(inst, want - *cap);
  else inst->held -= *cap - want;
  *cap = want;
  return 0;
}

/* Doubling from 16 KiB: few reallocs for big messages, little slack for small ones. */
static size_t next_cap(size_t need, size_t cap, size_t limit) {
  size_t c = cap < 16384 ? 16384 : cap * 2;
  while (c < need) c *= 2;
  return c > limit ? limit : c;
}

int pmd_sink_grow(pmd_instance *inst, pmd_sink *s) {
  size_t need = s->len + 1;
  if (s->len >= s->limit) return PMD_E_TOO_BIG;
  if (s->in_out) {
    /* out is per thread: bytes kept past this call must move to the owner's buffer */
    size_t want = next_cap(need > *s->heap_cap ? need : *s->heap_cap, 0, s->limit);
    if (want > *s->heap_cap && pmd_resize(inst, s->heap, s->heap_cap, want) != 0)
      return PMD_E_MEMORY;
    memcpy(*s->heap, s->base, s->len);
    s->in_out = 0;
  } else {
    size_t want = next_cap(need, *s->heap_cap, s->limit);
    if (pmd_resize(inst, s->heap, s->heap_cap, want) != 0) return PMD_E_MEMORY;
  }
  s->base = *s->heap;
  s->cap = *s->heap_cap;
  return 0;
}
