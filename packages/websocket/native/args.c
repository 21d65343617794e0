/*
 * args.c: the argument checks only this addon needs; the common decoders are ssn_* from
 * @simple-stream/native-common.
 */
#include "pmd.h"

int pmd_arg_input(napi_env env, const pmd_instance *inst, const uint8_t *p, size_t n) {
  if (inst->arrays.state == NULL) {
    napi_throw_error(env, "ERR_INVALID_STATE", "init() was not called");
    return -1;
  }
  /* As integers: comparing pointers into different objects is undefined in C. */
  uintptr_t a = (uintptr_t)p, out = (uintptr_t)inst->arrays.out;
  if (n == 0 || a + n <= out || a >= out + inst->arrays.out_cap) return 0;
  return ssn_range_error(
      env, "input must not be in the shared output buffer (a deflateView() result)");
}

void *pmd_arg_id(napi_env env, const ssn_table *t, napi_value v, const char *what) {
  uint32_t id;
  void *p = NULL;
  if (napi_get_value_uint32(env, v, &id) == napi_ok) p = ssn_table_get(t, id);
  if (p == NULL) ssn_type_error(env, what, "a live id");
  return p;
}
