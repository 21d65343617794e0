/*
 * props.c: reading the option objects of contextCreate/connCreate. Absent, undefined and
 * null all mean "use the default", as for an optional property in TypeScript.
 */
#include "tls.h"

#include <stdlib.h>
#include <string.h>

/* The property, or NULL (no exception) when it is absent, undefined or null. */
static int get_prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok) return -1;
  *out = NULL;
  if (!has) return 0;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return -1;
  if (ssn_is_nullish(env, *out)) *out = NULL;
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
    return ssn_type_error(env, name, "a string");
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
    return ssn_type_error(env, name, "a string without NUL characters");
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
  if (napi_get_value_int32(env, v, out) != napi_ok) return ssn_type_error(env, name, "a number");
  return 0;
}

int sst_prop_bytes(napi_env env, napi_value obj, const char *name, uint8_t **data,
                   size_t *len) {
  napi_value v;
  *data = NULL;
  *len = 0;
  if (get_prop(env, obj, name, &v) != 0) return -1;
  if (v == NULL) return 0;
  return ssn_arg_bytes(env, v, name, data, len);
}
