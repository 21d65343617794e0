/*
 * addon.c: module init, per-instance state, env teardown and the export table.
 *
 * Context-aware: Node calls NAPI_MODULE_INIT once per environment that loads the addon
 * (the main thread and each worker_thread), and everything mutable lives in that
 * environment's ss_instance. There are no globals, so workers never share state and need
 * no locks.
 *
 * Teardown: when a worker terminates (or the process exits normally), the environment
 * runs our async cleanup hook. It closes what the instance opened: its epoll loops and
 * every fd it created or accepted and still owns (fds are process-wide; a dead worker's
 * listener would otherwise keep taking connections nobody serves). uv_close completes
 * asynchronously, hence an *async* hook: Node keeps the env (and its libuv loop) alive
 * until the last close callback reports back through ss_instance_close_done.
 */
#include "ss.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- fd ownership: a bitmap indexed by fd (fds are small and dense) ------------------- */

void ss_fd_track(ss_instance *inst, int fd) {
  if (fd < 0) return;
  size_t w = (size_t)fd / 64;
  if (w >= inst->fd_words) {
    size_t n = inst->fd_words ? inst->fd_words : 16;
    while (n <= w) n *= 2;
    uint64_t *grown = realloc(inst->fds, n * sizeof *grown);
    if (grown == NULL) return; /* only teardown cleanup of this fd is lost */
    memset(grown + inst->fd_words, 0, (n - inst->fd_words) * sizeof *grown);
    inst->fds = grown;
    inst->fd_words = n;
  }
  inst->fds[w] |= UINT64_C(1) << (fd % 64);
}

void ss_fd_untrack(ss_instance *inst, int fd) {
  if (fd >= 0 && (size_t)fd / 64 < inst->fd_words)
    inst->fds[fd / 64] &= ~(UINT64_C(1) << (fd % 64));
}

static void close_owned_fds(ss_instance *inst) {
  for (size_t w = 0; w < inst->fd_words; w++) {
    while (inst->fds[w] != 0) {
      int bit = __builtin_ctzll(inst->fds[w]);
      inst->fds[w] &= inst->fds[w] - 1;
      close((int)(w * 64) + bit);
    }
  }
}

/* ---- teardown ------------------------------------------------------------------------ */

void ss_instance_close_done(ss_instance *inst) {
  inst->closing--;
  if (inst->closing == 0 && inst->teardown != NULL) {
    napi_async_cleanup_hook_handle handle = inst->teardown;
    inst->teardown = NULL;
    napi_remove_async_cleanup_hook(handle);
  }
}

static void on_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  ss_instance *inst = arg;
  inst->teardown = handle;
  ss_loop_close_all(inst);
  close_owned_fds(inst);
  if (inst->reserve_fd >= 0) close(inst->reserve_fd);
  inst->reserve_fd = -1;
  if (inst->closing == 0) {
    inst->teardown = NULL;
    napi_remove_async_cleanup_hook(handle);
  }
}

/* Runs after the teardown hook completed, when the napi env itself goes away. */
static void finalize_instance(napi_env env, void *data, void *hint) {
  ss_instance *inst = data;
  (void)hint;
  if (inst->error_class != NULL) napi_delete_reference(env, inst->error_class);
  free(inst->loops);
  free(inst->fds);
  free(inst);
}

/* ---- exports ------------------------------------------------------------------------- */

static const napi_property_descriptor functions[] = {
  SSN_FUNCTION("loopCreate", ss_loop_create),
  SSN_FUNCTION("loopAdd", ss_loop_add),
  SSN_FUNCTION("loopModify", ss_loop_modify),
  SSN_FUNCTION("loopRemove", ss_loop_remove),
  SSN_FUNCTION("loopRef", ss_loop_ref),
  SSN_FUNCTION("loopUnref", ss_loop_unref),
  SSN_FUNCTION("loopClose", ss_loop_close),
  SSN_FUNCTION("listen", ss_listen),
  SSN_FUNCTION("connect", ss_connect),
  SSN_FUNCTION("accept", ss_accept),
  SSN_FUNCTION("socketpair", ss_socketpair),
  SSN_FUNCTION("socketError", ss_socket_error),
  SSN_FUNCTION("localAddress", ss_local_address),
  SSN_FUNCTION("remoteAddress", ss_remote_address),
  SSN_FUNCTION("read", ss_read),
  SSN_FUNCTION("peek", ss_peek),
  SSN_FUNCTION("write", ss_write),
  SSN_FUNCTION("writev", ss_writev),
  SSN_FUNCTION("mask", ss_mask),
  SSN_FUNCTION("shutdown", ss_shutdown),
  SSN_FUNCTION("close", ss_close),
  SSN_FUNCTION("release", ss_release),
  SSN_FUNCTION("adopt", ss_adopt),
  SSN_FUNCTION("socketIdentity", ss_socket_identity),
  SSN_FUNCTION("setIntOption", ss_set_int_option),
  SSN_FUNCTION("getIntOption", ss_get_int_option),
  SSN_FUNCTION("setLinger", ss_set_linger),
  SSN_FUNCTION("getLinger", ss_get_linger),
  SSN_FUNCTION("setTimeoutOption", ss_set_timeout_option),
  SSN_FUNCTION("getTimeoutOption", ss_get_timeout_option),
  SSN_FUNCTION("setBindToDevice", ss_set_bind_to_device),
  SSN_FUNCTION("getBindToDevice", ss_get_bind_to_device),
  SSN_FUNCTION("setErrorClass", ss_set_error_class),
};

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  ss_instance *inst = ssn_instance_new(env, sizeof *inst, finalize_instance, "epoll-server");
  napi_value constants;
  if (inst == NULL) return NULL;
  /* From here the finalizer owns inst. */
  inst->env = env;
  inst->reserve_fd = -1;
  inst->next_loop_id = 1;
  /* Without the hook we would leak fds per worker. */
  if (napi_add_async_cleanup_hook(env, on_teardown, inst, NULL) != napi_ok) return NULL;
  if (napi_create_object(env, &constants) != napi_ok ||
      ss_epoll_constants(env, constants) != 0 || ss_options_constants(env, constants) != 0)
    return NULL;
  return ssn_exports(env, exports, functions, sizeof functions / sizeof functions[0], inst,
                     constants);
}
