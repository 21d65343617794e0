/*
 * args.c: decoding JS arguments. Each helper costs one or two napi calls (~6 ns each);
 * the hot-path functions use them too, so they stay minimal: no string formatting unless
 * an argument is actually wrong.
 */
#include "ss.h"

#include <stdio.h>
#include <string.h>

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

int ss_args(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
            ss_instance **inst) {
  void *data = NULL;
  /* napi fills the slots past the actual argument count with undefined. */
  if (napi_get_cb_info(env, info, argc, argv, NULL, &data) != napi_ok) return -1;
  *inst = data;
  return 0;
}

int ss_arg_i32(napi_env env, napi_value v, const char *name, int32_t *out) {
  if (napi_get_value_int32(env, v, out) == napi_ok) return 0;
  return type_error(env, name, "a number");
}

int ss_arg_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  /* ToUint32 semantics on purpose: `EPOLLIN | EPOLLET` is a negative int32 in JS. */
  if (napi_get_value_uint32(env, v, out) == napi_ok) return 0;
  return type_error(env, name, "a number");
}

int ss_arg_bool(napi_env env, napi_value v, const char *name, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return type_error(env, name, "a boolean");
  *out = b ? 1 : 0;
  return 0;
}

int ss_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  void *p;
  /* Not asking for the ArrayBuffer or byte offset saves creating handles. */
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

int ss_is_undefined(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_undefined;
}

int ss_arg_window(napi_env env, napi_value voff, napi_value vlen, size_t len, size_t *off,
                  size_t *count) {
  int64_t o = 0, n = -1;
  /* NULL (not passed) skips the napi calls: a failed conversion plus napi_typeof costs
   * ~60 ns, a sixth of a syscall. */
  if (voff != NULL && napi_get_value_int64(env, voff, &o) != napi_ok) {
    if (!ss_is_undefined(env, voff)) return type_error(env, "offset", "a number");
    o = 0;
  }
  if (o < 0 || (uint64_t)o > len) return range_error(env, "offset is outside the buffer");
  if (vlen == NULL || napi_get_value_int64(env, vlen, &n) != napi_ok) {
    if (vlen != NULL && !ss_is_undefined(env, vlen)) return type_error(env, "length", "a number");
    n = (int64_t)(len - (size_t)o);
  }
  if (n < 0 || (uint64_t)n > len - (size_t)o)
    return range_error(env, "offset + length is outside the buffer");
  *off = (size_t)o;
  *count = (size_t)n;
  return 0;
}

int ss_arg_i32_array(napi_env env, napi_value v, const char *name, int32_t **data,
                     size_t *len) {
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok ||
      (type != napi_int32_array && type != napi_uint32_array)) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) return -1;
    return type_error(env, name, "an Int32Array or Uint32Array");
  }
  *data = p;
  return 0;
}

int ss_arg_string(napi_env env, napi_value v, const char *name, char *buf, size_t cap) {
  size_t n;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok)
    return type_error(env, name, "a string");
  if (n + 1 > cap) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s is longer than %zu bytes", name, cap - 1);
    return range_error(env, msg);
  }
  if (napi_get_value_string_utf8(env, v, buf, cap, &n) != napi_ok) return -1;
  if (strlen(buf) != n) return type_error(env, name, "a string without NUL characters");
  return 0;
}

napi_value ss_int(napi_env env, int32_t v) {
  napi_value r = NULL;
  napi_create_int32(env, v, &r);
  return r;
}

napi_value ss_undefined(napi_env env) {
  napi_value r = NULL;
  napi_get_undefined(env, &r);
  return r;
}
