/*
 * module.c: what every addon's NAPI_MODULE_INIT does besides its own setup.
 *
 * The addons are context-aware: Node runs the init once per environment that loads them
 * (the main thread and each worker_thread), and everything mutable lives in that
 * environment's instance, so workers share nothing and need no locks.
 */
#include "../include/ssn.h"

#include <stdio.h>
#include <stdlib.h>

void *ssn_instance_new(napi_env env, size_t size, napi_finalize finalize, const char *addon) {
  void *inst = calloc(1, size);
  if (inst == NULL) {
    char msg[64];
    snprintf(msg, sizeof msg, "%s: out of memory", addon);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  if (napi_set_instance_data(env, inst, finalize, NULL) != napi_ok) {
    free(inst);
    return NULL;
  }
  return inst;
}

int ssn_constants(napi_env env, napi_value obj, const ssn_constant *table, size_t count) {
  for (size_t i = 0; i < count; i++) {
    napi_value v;
    if (napi_create_int64(env, table[i].value, &v) != napi_ok ||
        napi_set_named_property(env, obj, table[i].name, v) != napi_ok)
      return -1;
  }
  return 0;
}

napi_value ssn_exports(napi_env env, napi_value exports,
                       const napi_property_descriptor *functions, size_t count, void *inst,
                       napi_value constants) {
  napi_property_descriptor *props = malloc((count + 1) * sizeof *props);
  if (props == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  /* The instance as each function's data: no napi_get_instance_data per call. */
  for (size_t i = 0; i < count; i++) {
    props[i] = functions[i];
    props[i].data = inst;
  }
  props[count] = (napi_property_descriptor){
      "constants", NULL, NULL, NULL, NULL, constants, napi_enumerable, NULL};
  napi_status status = napi_object_freeze(env, constants);
  if (status == napi_ok) status = napi_define_properties(env, exports, count + 1, props);
  free(props);
  return status == napi_ok ? exports : NULL;
}
