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

#define FN(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}

static const napi_property_descriptor functions[] = {
  FN("loopCreate", ss_loop_create),
  FN("loopAdd", ss_loop_add),
  FN("loopModify", ss_loop_modify),
  FN("loopRemove", ss_loop_remove),
  FN("loopRef", ss_loop_ref),
  FN("loopUnref", ss_loop_unref),
  FN("loopClose", ss_loop_close),
  FN("listen", ss_listen),
  FN("connect", ss_connect),
  FN("accept", ss_accept),
  FN("socketpair", ss_socketpair),
  FN("socketError", ss_socket_error),
  FN("localAddress", ss_local_address),
  FN("remoteAddress", ss_remote_address),
  FN("read", ss_read),
  FN("write", ss_write),
  FN("writev", ss_writev),
  FN("mask", ss_mask),
  FN("shutdown", ss_shutdown),
  FN("close", ss_close),
  FN("release", ss_release),
  FN("adopt", ss_adopt),
  FN("setIntOption", ss_set_int_option),
  FN("getIntOption", ss_get_int_option),
  FN("setLinger", ss_set_linger),
  FN("getLinger", ss_get_linger),
  FN("setTimeoutOption", ss_set_timeout_option),
  FN("getTimeoutOption", ss_get_timeout_option),
  FN("setBindToDevice", ss_set_bind_to_device),
  FN("getBindToDevice", ss_get_bind_to_device),
  FN("setErrorClass", ss_set_error_class),
};

#define NFUNCTIONS (sizeof functions / sizeof functions[0])

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  ss_instance *inst = calloc(1, sizeof *inst);
  napi_property_descriptor props[NFUNCTIONS + 1];
  napi_value constants;
  if (inst == NULL) {
    napi_throw_error(env, NULL, "epoll-server: out of memory");
    return NULL;
  }
  inst->env = env;
  inst->reserve_fd = -1;
  inst->next_loop_id = 1;
  if (napi_set_instance_data(env, inst, finalize_instance, NULL) != napi_ok) {
    free(inst);
    return NULL;
  }
  /* From here the finalizer owns inst. Without the hook we would leak fds per worker. */
  if (napi_add_async_cleanup_hook(env, on_teardown, inst, NULL) != napi_ok) return NULL;

  /* Each function gets inst as its data pointer: no napi_get_instance_data per call. */
  for (size_t i = 0; i < NFUNCTIONS; i++) {
    props[i] = functions[i];
    props[i].data = inst;
  }
  if (napi_create_object(env, &constants) != napi_ok ||
      ss_epoll_constants(env, constants) != 0 || ss_options_constants(env, constants) != 0 ||
      napi_object_freeze(env, constants) != napi_ok)
    return NULL;
  props[NFUNCTIONS] = (napi_property_descriptor){
      "constants", NULL, NULL, NULL, NULL, constants, napi_enumerable, NULL};
  if (napi_define_properties(env, exports, NFUNCTIONS + 1, props) != napi_ok) return NULL;
  return exports;
}
