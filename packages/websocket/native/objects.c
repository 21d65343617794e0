/*
 * objects.c: the inflaters and deflaters that JS holds by integer id: made zeroed with an
 * id, freed by id (idempotently), and whatever is left freed at env teardown.
 */
#include "pmd.h"

void *pmd_object_new(napi_env env, pmd_instance *inst, ssn_table *t, size_t size, uint32_t *id) {
  void *p = pmd_alloc(inst, size);
  if (p == NULL) {
    napi_throw_error(env, "ERR_OUT_OF_MEMORY", "permessage-deflate: out of memory");
    return NULL;
  }
  *id = ssn_table_put(t, p);
  if (*id == 0) {
    /* Nothing but the zeroed block to undo: the caller has set no field yet. */
    pmd_free(inst, p, size);
    napi_throw_error(env, "ERR_OUT_OF_MEMORY", "permessage-deflate: out of ids");
    return NULL;
  }
  return p;
}

void pmd_object_free(napi_env env, pmd_instance *inst, ssn_table *t, napi_value v,
                     pmd_destroy destroy) {
  uint32_t id;
  if (napi_get_value_uint32(env, v, &id) != napi_ok) return;
  void *obj = ssn_table_take(t, id);
  if (obj != NULL) destroy(inst, obj);
}

void pmd_table_free(pmd_instance *inst, ssn_table *t, pmd_destroy destroy) {
  for (uint32_t i = 0; i < t->top; i++)
    if (t->items[i] != NULL) destroy(inst, t->items[i]);
  ssn_table_free(t);
}
