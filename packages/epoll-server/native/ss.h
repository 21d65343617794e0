/*
 * ss.h: the whole native API of @simple-stream/epoll-server, shared by its C files.
 *
 * The addon only does what needs a syscall; everything else (connection table, streams,
 * framing, the Handler server) is TypeScript. Conventions, all of them visible from JS:
 *
 *   - JS gets plain integers (fds, loop ids, u32 tokens), never externals: integers cross
 *     worker_threads, need no finalizers and cost nothing to pass.
 *   - Hot-path calls (read, peek, write, writev, accept, shutdown, socketError) never
 *     throw on a system error: they return a negative errno (-11 for EAGAIN). Throwing costs
 *     microseconds and EAGAIN is the normal outcome of an edge-triggered read loop.
 *   - Every other call throws the JS SystemError class (code, errno > 0, syscall) that the
 *     loader registers with setErrorClass(); bad argument types throw TypeError/RangeError.
 *   - State is per addon instance (one per Node environment: main thread or worker), kept
 *     as napi instance data and torn down by an environment cleanup hook.
 *
 * Every napi callback receives its ss_instance as the function's data pointer (set in the
 * export table), which saves a napi_get_instance_data call on every hot-path call.
 */
#ifndef SS_H
#define SS_H

#include <node_api.h>
#include <ssn.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ss_loop ss_loop;

/* One per Node environment that loaded the addon. */
typedef struct ss_instance {
  napi_env env;
  napi_ref error_class;                       /* SystemError constructor, or NULL */
  ss_loop **loops;                            /* open loops, unordered */
  uint32_t nloops, loops_cap;
  uint32_t next_loop_id;                      /* ids are never reused: stale ids fail */
  uint32_t closing;                           /* loops whose uv_close has not completed */
  napi_async_cleanup_hook_handle teardown;    /* set while env teardown waits on us */
  uint64_t *fds;                              /* bitmap of fds this instance owns */
  size_t fd_words;
  int reserve_fd;                             /* spare fd for the EMFILE trick, or -1 */
} ss_instance;

/* ---- addon.c: instance bookkeeping ---------------------------------------------------- */
void ss_fd_track(ss_instance *inst, int fd);
void ss_fd_untrack(ss_instance *inst, int fd);
/* Called by the loop code when a uv_close completes (may finish env teardown). */
void ss_instance_close_done(ss_instance *inst);

/* ---- args.c: this addon's own decoders (the common ones are ssn_* in ssn.h). 0 on
 * success; -1 with a JS exception pending. ------------------------------------------- */
/* An Int32Array or Uint32Array, as int32 elements. */
int ss_arg_i32_array(napi_env env, napi_value v, const char *name, int32_t **data,
                     size_t *len);
/* A string copied into buf (NUL-terminated); TypeError if absent, RangeError if too long. */
int ss_arg_string(napi_env env, napi_value v, const char *name, char *buf, size_t cap);

/* ---- errors.c: errno -> JS SystemError ------------------------------------------------ */
/* Throws SystemError(err, syscall); returns NULL so callbacks can `return ss_throw_errno`. */
napi_value ss_throw_errno(napi_env env, int err, const char *syscall);
napi_value ss_set_error_class(napi_env env, napi_callback_info info);

/* ---- address.c: numeric host/port <-> sockaddr ---------------------------------------- */
struct sockaddr_storage;
/* Parses a numeric IPv4/IPv6 host (IPv6 may carry %scope) and a port; throws on failure. */
int ss_parse_address(napi_env env, napi_value host, napi_value port,
                     struct sockaddr_storage *ss, unsigned *len);
napi_value ss_local_address(napi_env env, napi_callback_info info);
napi_value ss_remote_address(napi_env env, napi_callback_info info);

/* ---- socket.c: fd lifecycle ------------------------------------------------------------ */
napi_value ss_listen(napi_env env, napi_callback_info info);
napi_value ss_connect(napi_env env, napi_callback_info info);
napi_value ss_accept(napi_env env, napi_callback_info info);
napi_value ss_socketpair(napi_env env, napi_callback_info info);
napi_value ss_socket_error(napi_env env, napi_callback_info info);
napi_value ss_shutdown(napi_env env, napi_callback_info info);
napi_value ss_close(napi_env env, napi_callback_info info);
napi_value ss_release(napi_env env, napi_callback_info info);
napi_value ss_adopt(napi_env env, napi_callback_info info);
napi_value ss_socket_identity(napi_env env, napi_callback_info info);
/* Makes sure inst->reserve_fd is open (best effort). */
void ss_reserve_fd(ss_instance *inst);

/* ---- io.c: the data path --------------------------------------------------------------- */
napi_value ss_read(napi_env env, napi_callback_info info);
napi_value ss_peek(napi_env env, napi_callback_info info);
napi_value ss_write(napi_env env, napi_callback_info info);
napi_value ss_writev(napi_env env, napi_callback_info info);

/* ---- mask.c: RFC 6455 masking for @simple-stream/frames ----------------------------- */
napi_value ss_mask(napi_env env, napi_callback_info info);

/* ---- options.c: socket options --------------------------------------------------------- */
napi_value ss_set_int_option(napi_env env, napi_callback_info info);
napi_value ss_get_int_option(napi_env env, napi_callback_info info);
napi_value ss_set_linger(napi_env env, napi_callback_info info);
napi_value ss_get_linger(napi_env env, napi_callback_info info);
napi_value ss_set_timeout_option(napi_env env, napi_callback_info info);
napi_value ss_get_timeout_option(napi_env env, napi_callback_info info);
napi_value ss_set_bind_to_device(napi_env env, napi_callback_info info);
napi_value ss_get_bind_to_device(napi_env env, napi_callback_info info);
/* Adds the option-name constants used by src/socket-options.ts to obj. */
int ss_options_constants(napi_env env, napi_value obj);

/* ---- eventing/epoll.c: one epoll fd per loop behind a uv_poll_t ----------------------- */
napi_value ss_loop_create(napi_env env, napi_callback_info info);
napi_value ss_loop_add(napi_env env, napi_callback_info info);
napi_value ss_loop_modify(napi_env env, napi_callback_info info);
napi_value ss_loop_remove(napi_env env, napi_callback_info info);
napi_value ss_loop_ref(napi_env env, napi_callback_info info);
napi_value ss_loop_unref(napi_env env, napi_callback_info info);
napi_value ss_loop_close(napi_env env, napi_callback_info info);
/* Closes every loop of the instance (env teardown). */
void ss_loop_close_all(ss_instance *inst);
int ss_epoll_constants(napi_env env, napi_value obj);

#endif /* SS_H */
