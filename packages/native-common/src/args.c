/*
 * args.c: decoding JS arguments. The hot-path calls of every addon go through these
 * helpers, so each costs one or two napi calls (~6 ns each) and formats no string unless
 * an argument is actually wrong.
 */
#include "../include/ssn.h"

#include <stdio.h>

int ssn_type_error(napi_env env, const char *name, const char *what) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s must be %s", name, what);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return -1;
}

int ssn_range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return -1;
}

void *ssn_args(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  void *data = NULL;
  /* napi fills the slots past the actual argument count with undefined. */
  if (napi_get_cb_info(env, info, argc, argv, NULL, &data) != napi_ok) return NULL;
  return data;
}

int ssn_arg_i32(napi_env env, napi_value v, const char *name, int32_t *out) {
  if (napi_get_value_int32(env, v, out) == napi_ok) return 0;
  return ssn_type_error(env, name, "a number");
}

int ssn_arg_i32_range(napi_env env, napi_value v, const char *name, int32_t lo, int32_t hi,
                      int32_t *out) {
  if (ssn_arg_i32(env, v, name, out) != 0) return -1;
  if (*out < lo || *out > hi) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be %d to %d", name, lo, hi);
    return ssn_range_error(env, msg);
  }
  return 0;
}

int ssn_arg_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) == napi_ok) return 0;
  return ssn_type_error(env, name, "a number");
}

int ssn_arg_bool(napi_env env, napi_value v, const char *name, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return ssn_type_error(env, name, "a boolean");
  *out = b ? 1 : 0;
  return 0;
}

int ssn_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  void *p;
  /* Not asking for the ArrayBuffer or byte offset saves creating handles. */
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) return -1;
    return ssn_type_error(env, name, "a Uint8Array");
  }
  *data = p;
  return 0;
}

/* The range checks shared by both window forms, on already decoded numbers. */
static int window(napi_env env, int64_t o, int64_t n, size_t len, size_t *off, size_t *count) {
  if (o < 0 || (uint64_t)o > len) return ssn_range_error(env, "offset is outside the buffer");
  if (n < 0 || (uint64_t)n > len - (size_t)o)
    return ssn_range_error(env, "offset + length is outside the buffer");
  *off = (size_t)o;
  *count = (size_t)n;
  return 0;
}

int ssn_arg_window(napi_env env, napi_value voff, napi_value vlen, size_t len, size_t *off,
                   size_t *count) {
  int64_t o, n;
  if (napi_get_value_int64(env, voff, &o) != napi_ok)
    return ssn_type_error(env, "offset", "a number");
  if (napi_get_value_int64(env, vlen, &n) != napi_ok)
    return ssn_type_error(env, "length", "a number");
  return window(env, o, n, len, off, count);
}

int ssn_arg_window_opt(napi_env env, napi_value voff, napi_value vlen, size_t len,
                       size_t *off, size_t *count) {
  int64_t o = 0, n = -1;
  /* NULL (not passed) skips the napi calls: a failed conversion plus napi_typeof costs
   * ~60 ns, a sixth of a syscall. */
  if (voff != NULL && napi_get_value_int64(env, voff, &o) != napi_ok) {
    if (!ssn_is_undefined(env, voff)) return ssn_type_error(env, "offset", "a number");
    o = 0;
  }
  /* Before the length: its default is measured from a valid offset. */
  if (o < 0 || (uint64_t)o > len) return ssn_range_error(env, "offset is outside the buffer");
  if (vlen == NULL || napi_get_value_int64(env, vlen, &n) != napi_ok) {
    if (vlen != NULL && !ssn_is_undefined(env, vlen))
      return ssn_type_error(env, "length", "a number");
    n = (int64_t)(len - (size_t)o);
  }
  return window(env, o, n, len, off, count);
}

int ssn_is_undefined(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_undefined;
}

int ssn_is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

napi_value ssn_int(napi_env env, int32_t v) {
  napi_value r = NULL;
  napi_create_int32(env, v, &r);
  return r;
}

napi_value ssn_undefined(napi_env env) {
  napi_value r = NULL;
  napi_get_undefined(env, &r);
  return r;
}

napi_value ssn_string(napi_env env, const char *s) {
  napi_value r = NULL;
  if (s == NULL) napi_get_null(env, &r);
  else napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}
