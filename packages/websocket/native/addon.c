/*
 * addon.c: module init, per-instance state, env teardown and the export table.
 *
 * Context-aware: Node calls NAPI_MODULE_INIT once per environment that loads the addon
 * (the main thread and each worker_thread); everything mutable lives in that
 * environment's pmd_instance, so workers share nothing and need no locks.
 *
 * Teardown: an env cleanup hook frees every inflater and deflater the instance still
 * holds, and the spill buffer.
 */
#include "pmd.h"

#include <stdlib.h>

static void free_all(pmd_instance *inst) {
  for (uint32_t i = 0; i < inst->inflaters.top; i++) {
    pmd_inflater *f = inst->inflaters.items[i];
    if (f != NULL) pmd_inflater_destroy(inst, f);
  }
  for (uint32_t i = 0; i < inst->deflaters.top; i++) {
    pmd_deflater *d = inst->deflaters.items[i];
    if (d != NULL) pmd_deflater_destroy(inst, d);
  }
  pmd_table_free(&inst->inflaters);
  pmd_table_free(&inst->deflaters);
  pmd_resize(inst, &inst->spill, &inst->spill_cap, 0);
}

static void on_teardown(void *arg) {
  free_all(arg);
}

/* Runs when the napi env itself goes away, after the cleanup hook. */
static void finalize_instance(napi_env env, void *data, void *hint) {
  pmd_instance *inst = data;
  (void)hint;
  if (inst->state_ref != NULL) napi_delete_reference(env, inst->state_ref);
  if (inst->out_ref != NULL) napi_delete_reference(env, inst->out_ref);
  free(inst);
}

/*
 * init(state: Int32Array, out: Uint8Array): the arrays every call reports into. Their
 * memory is kept (a reference holds them, and V8 never moves an ArrayBuffer's backing
 * store), so the data path passes neither. Calling it again replaces them.
 */
static napi_value pmd_init(napi_env env, napi_callback_info info) {
  size_t argc = 2, len, out_len;
  napi_value argv[2];
  pmd_instance *inst;
  napi_typedarray_type type;
  void *state;
  uint8_t *out;
  if (pmd_args(env, info, &argc, argv, &inst) != 0) return NULL;
  if (napi_get_typedarray_info(env, argv[0], &type, &len, &state, NULL, NULL) != napi_ok ||
      type != napi_int32_array || len < PMD_S_SIZE) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "state must be an Int32Array of 2+");
    return NULL;
  }
  if (pmd_arg_bytes(env, argv[1], "out", &out, &out_len) != 0) return NULL;
  if (out_len < PMD_OUT_MIN) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "out must hold at least 4096 bytes");
    return NULL;
  }
  if (inst->state_ref != NULL) napi_delete_reference(env, inst->state_ref);
  if (inst->out_ref != NULL) napi_delete_reference(env, inst->out_ref);
  inst->state_ref = inst->out_ref = NULL;
  if (napi_create_reference(env, argv[0], 1, &inst->state_ref) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &inst->out_ref) != napi_ok)
    return NULL;
  inst->state = state;
  inst->out = out;
  inst->out_cap = out_len;
  return pmd_undefined(env);
}

static int set_number(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  return napi_create_double(env, v, &n) == napi_ok &&
                 napi_set_named_property(env, obj, name, n) == napi_ok
             ? 0
             : -1;
}

/*
 * stats(resetPeak) -> { inflaters, deflaters, heldBytes, peakHeldBytes }: live objects and
 * native bytes (zlib state and buffers), for leak checks and memory bounds. The peak is
 * the most held since the last reset.
 */
static napi_value pmd_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], obj;
  pmd_instance *inst;
  bool reset = false;
  if (pmd_args(env, info, &argc, argv, &inst) != 0) return NULL;
  napi_get_value_bool(env, argv[0], &reset);
  if (napi_create_object(env, &obj) != napi_ok ||
      set_number(env, obj, "inflaters", pmd_table_count(&inst->inflaters)) ||
      set_number(env, obj, "deflaters", pmd_table_count(&inst->deflaters)) ||
      set_number(env, obj, "heldBytes", (double)inst->held) ||
      set_number(env, obj, "peakHeldBytes", (double)inst->peak))
    return NULL;
  if (reset) inst->peak = inst->held;
  return obj;
}

#define FN(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}

static const napi_property_descriptor functions[] = {
  FN("init", pmd_init),
  FN("inflaterCreate", pmd_inflater_create),
  FN("inflaterFree", pmd_inflater_free),
  FN("inflate", pmd_inflate),
  FN("inflateTake", pmd_inflate_take),
  FN("inflateReason", pmd_inflate_reason),
  FN("deflaterCreate", pmd_deflater_create),
  FN("deflaterFree", pmd_deflater_free),
  FN("deflate", pmd_deflate),
  FN("deflateTake", pmd_deflate_take),
  FN("stats", pmd_stats),
};

#define NFUNCTIONS (sizeof functions / sizeof functions[0])

static int add_constant(napi_env env, napi_value obj, const char *name, int32_t value) {
  return napi_set_named_property(env, obj, name, pmd_int(env, value)) == napi_ok ? 0 : -1;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  pmd_instance *inst = calloc(1, sizeof *inst);
  napi_property_descriptor props[NFUNCTIONS + 1];
  napi_value constants;
  if (inst == NULL) {
    napi_throw_error(env, NULL, "permessage-deflate: out of memory");
    return NULL;
  }
  if (napi_set_instance_data(env, inst, finalize_instance, NULL) != napi_ok) {
    free(inst);
    return NULL;
  }
  if (napi_add_env_cleanup_hook(env, on_teardown, inst) != napi_ok) return NULL;
  for (size_t i = 0; i < NFUNCTIONS; i++) {
    props[i] = functions[i];
    props[i].data = inst;
  }
  if (napi_create_object(env, &constants) != napi_ok ||
      add_constant(env, constants, "S_SPILLED", PMD_S_SPILLED) ||
      add_constant(env, constants, "S_SIZE", PMD_S_SIZE) ||
      add_constant(env, constants, "E_TOO_BIG", PMD_E_TOO_BIG) ||
      add_constant(env, constants, "E_DATA", PMD_E_DATA) ||
      add_constant(env, constants, "E_MEMORY", PMD_E_MEMORY) ||
      add_constant(env, constants, "E_UNFINISHED", PMD_E_UNFINISHED) ||
      add_constant(env, constants, "OUT_MIN", PMD_OUT_MIN) ||
      napi_object_freeze(env, constants) != napi_ok)
    return NULL;
  props[NFUNCTIONS] = (napi_property_descriptor){
      "constants", NULL, NULL, NULL, NULL, constants, napi_enumerable, NULL};
  if (napi_define_properties(env, exports, NFUNCTIONS + 1, props) != napi_ok) return NULL;
  return exports;
}
