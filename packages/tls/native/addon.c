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
  ssn_table_free(&inst->conns);
  ssn_table_free(&inst->contexts);
  if (inst->bio_method != NULL) BIO_meth_free(inst->bio_method);
  inst->bio_method = NULL;
}

static void on_teardown(void *arg) {
  free_all(arg);
}

/* stats() -> { connections, contexts }: live native objects, for leak checks. */
static napi_value sst_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sst_instance *inst;
  napi_value obj;
  if ((inst = ssn_args(env, info, &argc, NULL)) == NULL) return NULL;
  if (napi_create_object(env, &obj) != napi_ok ||
      napi_set_named_property(env, obj, "connections",
                              ssn_int(env, (int32_t)ssn_table_count(&inst->conns))) != napi_ok ||
      napi_set_named_property(env, obj, "contexts",
                              ssn_int(env, (int32_t)ssn_table_count(&inst->contexts))) != napi_ok)
    return NULL;
  return obj;
}

static const napi_property_descriptor functions[] = {
  SSN_FUNCTION("init", ssn_shared_arrays_init),
  SSN_FUNCTION("contextCreate", sst_context_create),
  SSN_FUNCTION("contextFree", sst_context_free),
  SSN_FUNCTION("connCreate", sst_conn_create),
  SSN_FUNCTION("connFree", sst_conn_free),
  SSN_FUNCTION("recv", sst_recv),
  SSN_FUNCTION("send", sst_send),
  SSN_FUNCTION("shutdown", sst_shutdown),
  SSN_FUNCTION("eof", sst_eof),
  SSN_FUNCTION("selectContext", sst_select_context),
  SSN_FUNCTION("takePending", sst_take_pending),
  SSN_FUNCTION("info", sst_info),
  SSN_FUNCTION("peerCertificate", sst_peer_certificate),
  SSN_FUNCTION("socketBytes", sst_socket_bytes),
  SSN_FUNCTION("takeError", sst_take_error),
  SSN_FUNCTION("stats", sst_stats),
};

static const ssn_constant constants[] = {
  {"S_FLAGS", SST_S_FLAGS},
  {"S_OUT", SST_S_OUT},
  {"S_PENDING", SST_S_PENDING},
  {"S_SHORT_READ_DRAINS", SST_S_SHORT_READ_DRAINS},
  {"S_SIZE", SST_S_SIZE},
  {"F_HANDSHAKE_DONE", SST_F_HANDSHAKE_DONE},
  {"F_PEER_CLOSED", SST_F_PEER_CLOSED},
  {"F_MORE_OUT", SST_F_MORE_OUT},
  {"F_MORE_IN", SST_F_MORE_IN},
  {"F_NEED_CONTEXT", SST_F_NEED_CONTEXT},
  {"F_SENT_SHUTDOWN", SST_F_SENT_SHUTDOWN},
  {"FAILED", SST_FAILED},
  {"RECORD_PLAIN", SST_RECORD_PLAIN},
  {"RECORD_OVERHEAD", SST_RECORD_OVERHEAD},
  {"TLS1_2_VERSION", TLS1_2_VERSION},
  {"TLS1_3_VERSION", TLS1_3_VERSION},
};

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  sst_instance *inst = ssn_instance_new(env, sizeof *inst, ssn_shared_arrays_finalize, "tls");
  napi_value obj;
  if (inst == NULL) return NULL;
  inst->arrays = (ssn_shared_arrays){.state_min = SST_S_SIZE,
                                     .out_min = 4 * SST_RECORD_OVERHEAD + SST_RECORD_PLAIN,
                                     .out_too_small = "out must hold at least one record"};
  inst->env = env;
  /* Before the OpenSSL setup, so that a failure there is cleaned up with the env. */
  if (napi_add_env_cleanup_hook(env, on_teardown, inst) != napi_ok) return NULL;
  inst->bio_method = sst_bio_method_new();
  if (inst->bio_method == NULL || sst_ctx_data_index() < 0) {
    napi_throw_error(env, NULL, "tls: cannot set up OpenSSL");
    return NULL;
  }
  if (napi_create_object(env, &obj) != napi_ok ||
      ssn_constants(env, obj, constants, sizeof constants / sizeof constants[0]) != 0)
    return NULL;
  return ssn_exports(env, exports, functions, sizeof functions / sizeof functions[0], inst, obj);
}
