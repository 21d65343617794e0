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

static voidpf zalloc(voidpf opaque, uInt items, uInt size) {
  pmd_instance *inst = opaque;
  size_t n = (size_t)items * size;
  uint8_t *p = malloc(n + HEADER);
  if (p == NULL) return Z_NULL;
  memcpy(p, &n, sizeof n);
  note_alloc(inst, n);
  return p + HEADER;
}

static void zfree(voidpf opaque, voidpf address) {
  pmd_instance *inst = opaque;
  uint8_t *p = (uint8_t *)address - HEADER;
  size_t n;
  memcpy(&n, p, sizeof n);
  inst->held -= n;
  free(p);
}

void pmd_zstream_init(pmd_instance *inst, z_stream *z) {
  *z = (z_stream){.zalloc = zalloc, .zfree = zfree, .opaque = inst};
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

int pmd_resize(pmd_instance *inst, pmd_buffer *b, size_t want) {
  if (want == b->cap) return 0;
  if (want == 0) {
    free(b->data);
    b->data = NULL;
  } else {
    uint8_t *p = realloc(b->data, want);
    if (p == NULL) return -1;
    b->data = p;
  }
  if (want > b->cap) note_alloc(inst, want - b->cap);
  else inst->held -= b->cap - want;
  b->cap = want;
  return 0;
}
