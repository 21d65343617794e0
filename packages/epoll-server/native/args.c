/*
 * args.c: the argument decoders only this addon needs; the common ones (numbers, bytes,
 * windows) are ssn_* from @simple-stream/native-common.
 */
#include "ss.h"

#include <stdio.h>
#include <string.h>

int ss_arg_i32_array(napi_env env, napi_value v, const char *name, int32_t **data,
                     size_t *len) {
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok ||
      (type != napi_int32_array && type != napi_uint32_array)) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) return -1;
    return ssn_type_error(env, name, "an Int32Array or Uint32Array");
  }
  *data = p;
  return 0;
}

int ss_arg_string(napi_env env, napi_value v, const char *name, char *buf, size_t cap) {
  size_t n;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok)
    return ssn_type_error(env, name, "a string");
  if (n + 1 > cap) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s is longer than %zu bytes", name, cap - 1);
    return ssn_range_error(env, msg);
  }
  if (napi_get_value_string_utf8(env, v, buf, cap, &n) != napi_ok) return -1;
  if (strlen(buf) != n) return ssn_type_error(env, name, "a string without NUL characters");
  return 0;
}
