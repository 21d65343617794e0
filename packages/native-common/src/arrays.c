/*
 * arrays.c: the per-thread state and out arrays of the tls and websocket addons,
 * registered once by init() so that the data path passes neither array and allocates no
 * result object per call.
 */
#include "../include/ssn.h"

#include <stdio.h>
#include <stdlib.h>

static void release(napi_env env, ssn_shared_arrays *a) {
  if (a->state_ref != NULL) napi_delete_reference(env, a->state_ref);
  if (a->out_ref != NULL) napi_delete_reference(env, a->out_ref);
  a->state_ref = a->out_ref = NULL;
}

napi_value ssn_shared_arrays_init(napi_env env, napi_callback_info info) {
  size_t argc = 2, state_len, out_len;
  napi_value argv[2];
  ssn_shared_arrays *a;
  napi_typedarray_type type;
  void *state;
  uint8_t *out;
  if ((a = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (napi_get_typedarray_info(env, argv[0], &type, &state_len, &state, NULL, NULL) !=
          napi_ok ||
      type != napi_int32_array || state_len < a->state_min) {
    char what[64];
    snprintf(what, sizeof what, "an Int32Array of %zu+", a->state_min);
    ssn_type_error(env, "state", what);
    return NULL;
  }
  if (ssn_arg_bytes(env, argv[1], "out", &out, &out_len) != 0) return NULL;
  if (out_len < a->out_min) {
    ssn_range_error(env, a->out_too_small);
    return NULL;
  }
  release(env, a);
  if (napi_create_reference(env, argv[0], 1, &a->state_ref) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &a->out_ref) != napi_ok)
    return NULL;
  a->state = state;
  a->out = out;
  a->out_cap = out_len;
  return ssn_undefined(env);
}

void ssn_shared_arrays_finalize(napi_env env, void *inst, void *hint) {
  (void)hint;
  release(env, inst);
  free(inst);
}
