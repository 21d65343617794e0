/*
 * errors.c: errno -> JS errors.
 *
 * The loader (src/native.ts) registers its SystemError class once per instance, and
 * native failures are thrown as `new SystemError(errno, syscall)`. So the JS side owns the
 * errno-name table (node:os constants.errno), and errors thrown here and errors made in JS
 * from a hot path's negative return value are the same class with the same fields. Without
 * a registered class (the addon loaded by hand) we fall back to a plain Error with the same
 * fields, naming the errno with glibc's strerrorname_np.
 */
#include "ss.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void set_prop(napi_env env, napi_value obj, const char *key, napi_value v) {
  if (v != NULL) napi_set_named_property(env, obj, key, v);
}

static napi_value fallback_error(napi_env env, int err, const char *syscall) {
  const char *name = strerrorname_np(err);
  char msg[96];
  napi_value code = NULL, message = NULL, e = NULL, n = NULL, sc = NULL;
  snprintf(msg, sizeof msg, "%s %s", syscall, name ? name : "UNKNOWN");
  napi_create_string_utf8(env, name ? name : "UNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  if (napi_create_error(env, code, message, &e) != napi_ok) return NULL;
  napi_create_int32(env, err, &n);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  set_prop(env, e, "errno", n);
  set_prop(env, e, "syscall", sc);
  return e;
}

napi_value ss_throw_errno(napi_env env, int err, const char *syscall) {
  ss_instance *inst = NULL;
  napi_value e = NULL;
  napi_get_instance_data(env, (void **)&inst);
  if (inst != NULL && inst->error_class != NULL) {
    napi_value ctor = NULL, argv[2] = {NULL, NULL};
    napi_get_reference_value(env, inst->error_class, &ctor);
    napi_create_int32(env, err, &argv[0]);
    napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &argv[1]);
    if (ctor != NULL && napi_new_instance(env, ctor, 2, argv, &e) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) return NULL; /* the constructor threw: let that propagate */
      e = NULL;
    }
  }
  if (e == NULL) e = fallback_error(env, err, syscall);
  if (e != NULL) napi_throw(env, e);
  return NULL;
}

/* setErrorClass(ctor: new (errno: number, syscall: string) => Error): undefined */
napi_value ss_set_error_class(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  ss_instance *inst;
  napi_valuetype t;
  napi_ref ref;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "errorClass must be a constructor");
    return NULL;
  }
  if (napi_create_reference(env, argv[0], 1, &ref) != napi_ok) return NULL;
  if (inst->error_class != NULL) napi_delete_reference(env, inst->error_class);
  inst->error_class = ref;
  return ssn_undefined(env);
}
