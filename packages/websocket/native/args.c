/*
 * args.c: decoding JS arguments. One napi call per argument on the data path, and no
 * string formatted unless an argument is actually wrong.
 */
#include "pmd.h"

#include <stdio.h>

static int type_error(napi_env env, const char *name, const char *what) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s must be %s", name, what);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return -1;
}

static int range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return -1;
}

int pmd_args(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
             pmd_instance **inst) {
  void *data = NULL;
  /* napi fills the slots past the actual argument count with undefined. */
  if (napi_get_cb_info(env, info, argc, argv, NULL, &data) != napi_ok) return -1;
  *inst = data;
  return 0;
}

int pmd_arg_int(napi_env env, napi_value v, const char *name, int32_t lo, int32_t hi,
                int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) return type_error(env, name, "a number");
  if (*out < lo || *out > hi) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be %d to %d", name, lo, hi);
    return range_error(env, msg);
  }
  return 0;
}

int pmd_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) return -1;
    return type_error(env, name, "a Uint8Array");
  }
  *data = p;
  return 0;
}

int pmd_arg_window(napi_env env, napi_value voff, napi_value vlen, size_t len, size_t *off,
                   size_t *count) {
  int64_t o, n;
  if (napi_get_value_int64(env, voff, &o) != napi_ok) return type_error(env, "offset", "a number");
  if (napi_get_value_int64(env, vlen, &n) != napi_ok) return type_error(env, "length", "a number");
  if (o < 0 || (uint64_t)o > len) return range_error(env, "offset is outside the buffer");
  if (n < 0 || (uint64_t)n > len - (size_t)o)
    return range_error(env, "offset + length is outside the buffer");
  *off = (size_t)o;
  *count = (size_t)n;
  return 0;
}

int pmd_arg_not_out(napi_env env, const pmd_instance *inst, const uint8_t *p, size_t n) {
  /* As integers: comparing pointers into different objects is undefined in C. */
  uintptr_t a = (uintptr_t)p, out = (uintptr_t)inst->out;
  if (n == 0 || a + n <= out || a >= out + inst->out_cap) return 0;
  return range_error(env, "input must not be in the shared output buffer (a deflateView() result)");
}

void *pmd_arg_id(napi_env env, const pmd_table *t, napi_value v, const char *what) {
  uint32_t id;
  void *p = NULL;
  if (napi_get_value_uint32(env, v, &id) == napi_ok) p = pmd_table_get(t, id);
  if (p == NULL) type_error(env, what, "a live id");
  return p;
}

napi_value pmd_int(napi_env env, int32_t v) {
  napi_value r = NULL;
  napi_create_int32(env, v, &r);
  return r;
}

napi_value pmd_undefined(napi_env env) {
  napi_value r = NULL;
  napi_get_undefined(env, &r);
  return r;
}
