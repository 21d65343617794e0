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
  pmd_table_free(inst, &inst->inflaters, pmd_inflater_destroy);
  pmd_table_free(inst, &inst->deflaters, pmd_deflater_destroy);
  pmd_resize(inst, &inst->spill, 0);
}

static void on_teardown(void *arg) {
  free_all(arg);
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
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  napi_get_value_bool(env, argv[0], &reset);
  if (napi_create_object(env, &obj) != napi_ok ||
      set_number(env, obj, "inflaters", ssn_table_count(&inst->inflaters)) ||
      set_number(env, obj, "deflaters", ssn_table_count(&inst->deflaters)) ||
      set_number(env, obj, "heldBytes", (double)inst->held) ||
      set_number(env, obj, "peakHeldBytes", (double)inst->peak))
    return NULL;
  if (reset) inst->peak = inst->held;
  return obj;
}

static const napi_property_descriptor functions[] = {
  SSN_FUNCTION("init", ssn_shared_arrays_init),
  SSN_FUNCTION("inflaterCreate", pmd_inflater_create),
  SSN_FUNCTION("inflaterFree", pmd_inflater_free),
  SSN_FUNCTION("inflate", pmd_inflate),
  SSN_FUNCTION("inflateTake", pmd_inflate_take),
  SSN_FUNCTION("inflateReason", pmd_inflate_reason),
  SSN_FUNCTION("deflaterCreate", pmd_deflater_create),
  SSN_FUNCTION("deflaterFree", pmd_deflater_free),
  SSN_FUNCTION("deflate", pmd_deflate),
  SSN_FUNCTION("deflateTake", pmd_deflate_take),
  SSN_FUNCTION("stats", pmd_stats),
};

static const ssn_constant constants[] = {
  {"S_SPILLED", PMD_S_SPILLED},   {"S_SIZE", PMD_S_SIZE},
  {"E_TOO_BIG", PMD_E_TOO_BIG},   {"E_DATA", PMD_E_DATA},
  {"E_MEMORY", PMD_E_MEMORY},     {"E_UNFINISHED", PMD_E_UNFINISHED},
  {"OUT_MIN", PMD_OUT_MIN},
};

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  pmd_instance *inst =
      ssn_instance_new(env, sizeof *inst, ssn_shared_arrays_finalize, "permessage-deflate");
  napi_value obj;
  if (inst == NULL) return NULL;
  inst->arrays = (ssn_shared_arrays){.state_min = PMD_S_SIZE, .out_min = PMD_OUT_MIN,
                                     .out_too_small = "out must hold at least 4096 bytes"};
  if (napi_add_env_cleanup_hook(env, on_teardown, inst) != napi_ok ||
      napi_create_object(env, &obj) != napi_ok ||
      ssn_constants(env, obj, constants, sizeof constants / sizeof constants[0]) != 0)
    return NULL;
  return ssn_exports(env, exports, functions, sizeof functions / sizeof functions[0], inst, obj);
}
