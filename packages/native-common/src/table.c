/*
 * table.c: integer ids for native objects. An id packs a slot (low 22 bits, biased by
 * one so that 0 is never an id) and the slot's generation (9 bits): ids stay positive
 * int32 values (small integers in V8), and a stale id is refused unless its slot has
 * been reused 512 times since.
 */
#include "../include/ssn.h"

#include <stdlib.h>

#define SLOT_BITS 22
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define GEN_MASK 0x1ffu

static uint32_t make_id(uint32_t slot, uint32_t gen) {
  return ((gen & GEN_MASK) << SLOT_BITS) | (slot + 1);
}

static int grow(ssn_table *t) {
  uint32_t cap = t->cap ? t->cap * 2 : 64;
  if (cap > SLOT_MASK) cap = SLOT_MASK;
  if (cap <= t->cap) return -1;
  void **items = realloc(t->items, cap * sizeof *items);
  if (items == NULL) return -1;
  t->items = items;
  uint32_t *gens = realloc(t->gens, cap * sizeof *gens);
  if (gens == NULL) return -1;
  t->gens = gens;
  uint32_t *free_slots = realloc(t->free_slots, cap * sizeof *free_slots);
  if (free_slots == NULL) return -1;
  t->free_slots = free_slots;
  for (uint32_t i = t->cap; i < cap; i++) {
    items[i] = NULL;
    gens[i] = 0;
  }
  t->cap = cap;
  return 0;
}

uint32_t ssn_table_put(ssn_table *t, void *p) {
  uint32_t slot;
  if (t->nfree > 0) {
    slot = t->free_slots[--t->nfree];
  } else {
    if (t->top == t->cap && grow(t) != 0) return 0;
    slot = t->top++;
  }
  t->items[slot] = p;
  return make_id(slot, t->gens[slot]);
}

void *ssn_table_get(const ssn_table *t, uint32_t id) {
  uint32_t slot = (id & SLOT_MASK) - 1;
  if ((id & SLOT_MASK) == 0 || slot >= t->top) return NULL;
  if (((id >> SLOT_BITS) & GEN_MASK) != (t->gens[slot] & GEN_MASK)) return NULL;
  return t->items[slot];
}

void *ssn_table_take(ssn_table *t, uint32_t id) {
  void *p = ssn_table_get(t, id);
  if (p == NULL) return NULL;
  uint32_t slot = (id & SLOT_MASK) - 1;
  t->items[slot] = NULL;
  t->gens[slot]++;
  t->free_slots[t->nfree++] = slot;
  return p;
}

uint32_t ssn_table_count(const ssn_table *t) {
  return t->top - t->nfree;
}

void ssn_table_free(ssn_table *t) {
  free(t->items);
  free(t->gens);
  free(t->free_slots);
  *t = (ssn_table){0};
}
