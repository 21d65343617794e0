/*
 * args.c: decoding JS arguments and option objects. The hot-path helpers cost one napi
 * call each and format no string unless an argument is actually wrong.
 */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
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

int sst_args(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
             sst_instance **inst) {
  void *data = NULL;
  /* napi fills the slots past the actual argument count with undefined. */
  if (napi_get_cb_info(env, info, argc, argv, NULL, &data) != napi_ok) return -1;
  *inst = data;
  return 0;
}

int sst_arg_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) == napi_ok) return 0;
  return type_error(env, name, "a number");
}

int sst_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
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

int sst_arg_window(napi_env env, napi_value voff, napi_value vlen, size_t len, size_t *off,
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

int sst_is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

/* The property, or NULL (no exception) when it is absent, undefined or null. */
static int get_prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok) return -1;
  *out = NULL;
  if (!has) return 0;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return -1;
  if (sst_is_nullish(env, *out)) *out = NULL;
  return 0;
}

int sst_prop_string(napi_env env, napi_value obj, const char *name, char **out, size_t *len) {
  napi_value v;
  size_t n;
  *out = NULL;
  if (len != NULL) *len = 0;
  if (get_prop(env, obj, name, &v) != 0) return -1;
  if (v == NULL) return 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok)
    return type_error(env, name, "a string");
  char *s = malloc(n + 1);
  if (s == NULL) {
    napi_throw_error(env, NULL, "tls: out of memory");
    return -1;
  }
  if (napi_get_value_string_utf8(env, v, s, n + 1, &n) != napi_ok) {
    free(s);
    return -1;
  }
  if (strlen(s) != n) {
    free(s);
    return type_error(env, name, "a string without NUL characters");
  }
  *out = s;
  if (len != NULL) *len = n;
  return 0;
}

int sst_prop_int(napi_env env, napi_value obj, const char *name, int32_t def, int32_t *out) {
  napi_value v;
  napi_valuetype t;
  *out = def;
  if (get_prop(env, obj, name, &v) != 0) return -1;
  if (v == NULL) return 0;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_boolean) {
    bool b;
    if (napi_get_value_bool(env, v, &b) != napi_ok) return -1;
    *out = b ? 1 : 0;
    return 0;
  }
  if (napi_get_value_int32(env, v, out) != napi_ok) return type_error(env, name, "a number");
  return 0;
}

int sst_prop_bytes(napi_env env, napi_value obj, const char *name, uint8_t **data,
                   size_t *len) {
  napi_value v;
  *data = NULL;
  *len = 0;
  if (get_prop(env, obj, name, &v) != 0) return -1;
  if (v == NULL) return 0;
  return sst_arg_bytes(env, v, name, data, len);
}

napi_value sst_int(napi_env env, int32_t v) {
  napi_value r = NULL;
  napi_create_int32(env, v, &r);
  return r;
}

napi_value sst_undefined(napi_env env) {
  napi_value r = NULL;
  napi_get_undefined(env, &r);
  return r;
}

napi_value sst_string(napi_env env, const char *s) {
  napi_value r = NULL;
  if (s == NULL) napi_get_null(env, &r);
  else napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}
