/*
 * addon.c: module init, per-instance state, env teardown and the export table.
 *
 * Context-aware: Node calls NAPI_MODULE_INIT once per environment that loads the addon
 * (the main thread and each worker_thread); everything mutable lives in that
 * environment's sst_instance, so workers share nothing and need no locks. OpenSSL itself
 * is thread-safe, and contexts are never shared across instances.
 *
 * Teardown: an env cleanup hook frees every connection and context the instance still
 * holds (connections first: they reference contexts), then the BIO method.
 */
#include "tls.h"

#include <stdlib.h>

static void free_all(sst_instance *inst) {
  for (uint32_t i = 0; i < inst->conns.top; i++) {
    sst_conn *c = inst->conns.items[i];
    if (c != NULL) sst_conn_destroy(c);
  }
  for (uint32_t i = 0; i < inst->contexts.top; i++) {
    SSL_CTX *ctx = inst->contexts.items[i];
    if (ctx != NULL) SSL_CTX_free(ctx);
  }
  sst_table_free(&inst->conns);
  sst_table_free(&inst->contexts);
  if (inst->bio_method != NULL) BIO_meth_free(inst->bio_method);
  inst->bio_method = NULL;
}

static void on_teardown(void *arg) {
  free_all(arg);
}

/* Runs when the napi env itself goes away, after the cleanup hook. */
static void finalize_instance(napi_env env, void *data, void *hint) {
  sst_instance *inst = data;
  (void)hint;
  if (inst->state_ref != NULL) napi_delete_reference(env, inst->state_ref);
  if (inst->out_ref != NULL) napi_delete_reference(env, inst->out_ref);
  free(inst);
}

/*
 * init(state: Int32Array, out: Uint8Array): the arrays every call reports into. Their
 * memory is kept (a reference holds them, and V8 never moves an ArrayBuffer's backing
 * store), so the data path passes neither. Calling it again replaces them.
 */
static napi_value sst_init(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2];
  sst_instance *inst;
  napi_typedarray_type type;
  void *state;
  uint8_t *out;
  size_t out_len;
  if (sst_args(env, info, &argc, argv, &inst) != 0) return NULL;
  if (napi_get_typedarray_info(env, argv[0], &type, &len, &state, NULL, NULL) != napi_ok ||
      type != napi_int32_array || len < SST_S_SIZE) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "state must be an Int32Array of 4+");
    return NULL;
  }
  if (sst_arg_bytes(env, argv[1], "out", &out, &out_len) != 0) return NULL;
  if (out_len < 4 * SST_RECORD_OVERHEAD + SST_RECORD_PLAIN) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "out must hold at least one record");
    return NULL;
  }
  if (inst->state_ref != NULL) napi_delete_reference(env, inst->state_ref);
  if (inst->out_ref != NULL) napi_delete_reference(env, inst->out_ref);
  inst->state_ref = inst->out_ref = NULL;
  if (napi_create_reference(env, argv[0], 1, &inst->state_ref) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &inst->out_ref) != napi_ok)
    return NULL;
  inst->state = state;
  inst->out = out;
  inst->out_cap = out_len;
  return sst_undefined(env);
}

/* stats() -> { connections, contexts }: live native objects, for leak checks. */
static napi_value sst_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sst_instance *inst;
  napi_value obj;
  if (sst_args(env, info, &argc, NULL, &inst) != 0) return NULL;
  if (napi_create_object(env, &obj) != napi_ok ||
      napi_set_named_property(env, obj, "connections",
                              sst_int(env, (int32_t)(inst->conns.top - inst->conns.nfree))) != napi_ok ||
      napi_set_named_property(env, obj, "contexts",
                              sst_int(env, (int32_t)(inst->contexts.top - inst->contexts.nfree))) != napi_ok)
    return NULL;
  return obj;
}

#define FN(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}

static const napi_property_descriptor functions[] = {
  FN("init", sst_init),
  FN("contextCreate", sst_context_create),
  FN("contextFree", sst_context_free),
  FN("connCreate", sst_conn_create),
  FN("connFree", sst_conn_free),
  FN("recv", sst_recv),
  FN("send", sst_send),
  FN("shutdown", sst_shutdown),
  FN("eof", sst_eof),
  FN("selectContext", sst_select_context),
  FN("takePending", sst_take_pending),
  FN("info", sst_info),
  FN("peerCertificate", sst_peer_certificate),
  FN("socketBytes", sst_socket_bytes),
  FN("takeError", sst_take_error),
  FN("stats", sst_stats),
};

#define NFUNCTIONS (sizeof functions / sizeof functions[0])

static int add_constant(napi_env env, napi_value obj, const char *name, int32_t value) {
  return napi_set_named_property(env, obj, name, sst_int(env, value)) == napi_ok ? 0 : -1;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  sst_instance *inst = calloc(1, sizeof *inst);
  napi_property_descriptor props[NFUNCTIONS + 1];
  napi_value constants;
  if (inst == NULL) {
    napi_throw_error(env, NULL, "tls: out of memory");
    return NULL;
  }
  inst->env = env;
  inst->bio_method = sst_bio_method_new();
  if (inst->bio_method == NULL || sst_ctx_data_index() < 0) {
    free(inst);
    napi_throw_error(env, NULL, "tls: cannot set up OpenSSL");
    return NULL;
  }
  if (napi_set_instance_data(env, inst, finalize_instance, NULL) != napi_ok) {
    BIO_meth_free(inst->bio_method);
    free(inst);
    return NULL;
  }
  if (napi_add_env_cleanup_hook(env, on_teardown, inst) != napi_ok) return NULL;
  for (size_t i = 0; i < NFUNCTIONS; i++) {
    props[i] = functions[i];
    props[i].data = inst;
  }
  if (napi_create_object(env, &constants) != napi_ok ||
      add_constant(env, constants, "S_FLAGS", SST_S_FLAGS) ||
      add_constant(env, constants, "S_OUT", SST_S_OUT) ||
      add_constant(env, constants, "S_PENDING", SST_S_PENDING) ||
      add_constant(env, constants, "S_SHORT_READ_DRAINS", SST_S_SHORT_READ_DRAINS) ||
      add_constant(env, constants, "S_SIZE", SST_S_SIZE) ||
      add_constant(env, constants, "F_HANDSHAKE_DONE", SST_F_HANDSHAKE_DONE) ||
      add_constant(env, constants, "F_PEER_CLOSED", SST_F_PEER_CLOSED) ||
      add_constant(env, constants, "F_MORE_OUT", SST_F_MORE_OUT) ||
      add_constant(env, constants, "F_MORE_IN", SST_F_MORE_IN) ||
      add_constant(env, constants, "F_NEED_CONTEXT", SST_F_NEED_CONTEXT) ||
      add_constant(env, constants, "F_SENT_SHUTDOWN", SST_F_SENT_SHUTDOWN) ||
      add_constant(env, constants, "FAILED", SST_FAILED) ||
      add_constant(env, constants, "RECORD_PLAIN", SST_RECORD_PLAIN) ||
      add_constant(env, constants, "RECORD_OVERHEAD", SST_RECORD_OVERHEAD) ||
      add_constant(env, constants, "TLS1_2_VERSION", TLS1_2_VERSION) ||
      add_constant(env, constants, "TLS1_3_VERSION", TLS1_3_VERSION) ||
      napi_object_freeze(env, constants) != napi_ok)
    return NULL;
  props[NFUNCTIONS] = (napi_property_descriptor){
      "constants", NULL, NULL, NULL, NULL, constants, napi_enumerable, NULL};
  if (napi_define_properties(env, exports, NFUNCTIONS + 1, props) != napi_ok) return NULL;
  return exports;
}
