/*
 * eventing/epoll.c: one epoll fd per loop, nested in Node's libuv loop.
 *
 * The epoll fd itself is pollable: a uv_poll_t watches it for readability, so Node's
 * loop wakes us exactly when some registered fd is ready. No timer, no thread, no sleep.
 * We then drain it with epoll_wait(timeout 0) into an Int32Array the JS side handed us at
 * creation ([token, events] pairs) and make ONE call into JS per batch: crossing into JS
 * costs far more than a syscall, so it is paid per batch, not per fd.
 *
 * Lifetime: a loop is closed by JS (loopClose) or by env teardown. Closing removes it from
 * the instance, closes the epoll fd at once (so fd counts are exact right after close)
 * and uv_close()s the handle; the struct is freed in the close callback, which libuv runs
 * on a later iteration, so it stays valid even when JS closes the loop from inside its own
 * callback.
 */
#include "../ss.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>

/* When a batch fills the array, drain again at most this many times before returning to
 * libuv: the epoll fd stays readable, so libuv calls back on its next iteration, and
 * timers and other I/O get their turn in between. */
#define SS_MAX_ROUNDS 8
/* Pairs per epoll_wait; a bigger events array is accepted but only this much is used. */
#define SS_MAX_BATCH 65536

struct ss_loop {
  uv_poll_t poll;               /* first member: the close callback gets &poll */
  ss_instance *inst;
  uint32_t id;
  int epfd;
  int dispatching;              /* inside on_poll: defer releasing JS objects */
  int closed;
  napi_ref events_ref;          /* Int32Array of [token, events] pairs */
  napi_ref callback_ref;        /* onEvents(count) */
  napi_async_context async;     /* so async_hooks/AsyncLocalStorage see a resource */
  uint32_t capacity;            /* pairs */
  struct epoll_event ready[];   /* epoll_event is packed on x86-64: copied, not aliased */
};

static ss_loop *find_loop(ss_instance *inst, uint32_t id) {
  for (uint32_t i = 0; i < inst->nloops; i++)
    if (inst->loops[i]->id == id) return inst->loops[i];
  return NULL;
}

/* Decodes the leading loop id; throws EBADF (like a closed fd) for unknown ids. */
static ss_loop *arg_loop(napi_env env, ss_instance *inst, napi_value v, const char *syscall) {
  uint32_t id;
  if (ssn_arg_u32(env, v, "loop", &id) != 0) return NULL;
  ss_loop *loop = find_loop(inst, id);
  if (loop == NULL) ss_throw_errno(env, EBADF, syscall);
  return loop;
}

static void release_js(ss_loop *loop) {
  napi_env env = loop->inst->env;
  if (loop->events_ref) napi_delete_reference(env, loop->events_ref);
  if (loop->callback_ref) napi_delete_reference(env, loop->callback_ref);
  if (loop->async) napi_async_destroy(env, loop->async);
  loop->events_ref = loop->callback_ref = NULL;
  loop->async = NULL;
}

static void on_closed(uv_handle_t *handle) {
  ss_loop *loop = (ss_loop *)handle;
  ss_instance *inst = loop->inst;
  free(loop);
  ss_instance_close_done(inst);
}

static void close_loop(ss_loop *loop) {
  ss_instance *inst = loop->inst;
  if (loop->closed) return;
  loop->closed = 1;
  for (uint32_t i = 0; i < inst->nloops; i++)
    if (inst->loops[i] == loop) {
      inst->loops[i] = inst->loops[--inst->nloops];
      break;
    }
  inst->closing++;
  /* uv_close stops the poll (removing the fd from libuv's epoll set) before we close it. */
  uv_close((uv_handle_t *)&loop->poll, on_closed);
  close(loop->epfd);
  loop->epfd = -1;
  if (!loop->dispatching) release_js(loop);
}

void ss_loop_close_all(ss_instance *inst) {
  while (inst->nloops > 0) close_loop(inst->loops[inst->nloops - 1]);
}

/* Reports an error that happened outside any JS call as an uncaught exception. */
static void surface(napi_env env) {
  bool pending = false;
  napi_value exc;
  /* No pending exception means the env can no longer run JS (worker terminating). */
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return;
  if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
}

/* The events array, looked up per batch: a cached pointer would dangle if JS detached
 * (transferred) its buffer. Returns the usable capacity in pairs, 0 on failure. */
static uint32_t events_view(ss_loop *loop, int32_t **out) {
  napi_env env = loop->inst->env;
  napi_value v;
  napi_typedarray_type type;
  size_t len = 0;
  void *data = NULL;
  if (napi_get_reference_value(env, loop->events_ref, &v) != napi_ok || v == NULL ||
      napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok)
    return 0;
  *out = data;
  return len / 2 < loop->capacity ? (uint32_t)(len / 2) : loop->capacity;
}

static int deliver(ss_loop *loop, int n) {
  napi_env env = loop->inst->env;
  napi_value cb, recv, argv, result;
  if (napi_get_reference_value(env, loop->callback_ref, &cb) != napi_ok ||
      napi_get_global(env, &recv) != napi_ok || napi_create_int32(env, n, &argv) != napi_ok)
    return -1;
  /* napi_make_callback, not napi_call_function: we are called from libuv, not from JS, so
   * this is a macrotask boundary and process.nextTick/promise jobs must run after it. */
  if (napi_make_callback(env, loop->async, recv, cb, 1, &argv, &result) == napi_ok) return 0;
  surface(env); /* the callback threw: never swallowed */
  return -1;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  ss_loop *loop = handle->data;
  napi_env env = loop->inst->env;
  napi_handle_scope scope;
  (void)status; /* errors show up as epoll_wait failures below */
  (void)events;
  if (loop->closed || napi_open_handle_scope(env, &scope) != napi_ok) return;
  loop->dispatching = 1;
  for (int round = 0; round < SS_MAX_ROUNDS && !loop->closed; round++) {
    int32_t *out = NULL;
    uint32_t cap = events_view(loop, &out);
    if (cap == 0) {
      /* Detached events array: the loop cannot deliver anymore; stop rather than spin. */
      napi_throw_error(env, "ERR_INVALID_STATE", "epoll loop events array is detached");
      surface(env);
      uv_poll_stop(&loop->poll);
      break;
    }
    int n;
    do n = epoll_wait(loop->epfd, loop->ready, (int)cap, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      out[2 * i] = (int32_t)loop->ready[i].data.u32;
      out[2 * i + 1] = (int32_t)loop->ready[i].events;
    }
    if (deliver(loop, n) != 0 || (uint32_t)n < cap) break;
  }
  loop->dispatching = 0;
  if (loop->closed) release_js(loop);
  napi_close_handle_scope(env, scope);
}

/* loopCreate(events: Int32Array, onEvents: (count) => void) -> loop id */
napi_value ss_loop_create(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2], name;
  ss_instance *inst;
  int32_t *data;
  napi_valuetype t;
  uv_loop_t *uvl;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ss_arg_i32_array(env, argv[0], "events", &data, &len) != 0) return NULL;
  if (len < 2) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "events must hold at least one pair");
    return NULL;
  }
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "onEvents must be a function");
    return NULL;
  }
  if (napi_get_uv_event_loop(env, &uvl) != napi_ok) return NULL;
  if (inst->nloops == inst->loops_cap) {
    uint32_t cap = inst->loops_cap ? inst->loops_cap * 2 : 4;
    ss_loop **grown = realloc(inst->loops, cap * sizeof *grown);
    if (grown == NULL) return ss_throw_errno(env, ENOMEM, "malloc");
    inst->loops = grown;
    inst->loops_cap = cap;
  }
  uint32_t capacity = len / 2 < SS_MAX_BATCH ? (uint32_t)(len / 2) : SS_MAX_BATCH;
  ss_loop *loop = calloc(1, sizeof *loop + capacity * sizeof(struct epoll_event));
  if (loop == NULL) return ss_throw_errno(env, ENOMEM, "malloc");
  loop->inst = inst;
  loop->capacity = capacity;
  loop->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (loop->epfd < 0) {
    int err = errno;
    free(loop);
    return ss_throw_errno(env, err, "epoll_create1");
  }
  int err = 0;
  if (napi_create_reference(env, argv[0], 1, &loop->events_ref) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &loop->callback_ref) != napi_ok ||
      napi_create_string_utf8(env, "EpollLoop", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &loop->async) != napi_ok ||
      (err = uv_poll_init(uvl, &loop->poll, loop->epfd)) != 0) {
    release_js(loop);
    close(loop->epfd);
    free(loop);
    return err ? ss_throw_errno(env, -err, "uv_poll_init") : NULL;
  }
  /* From here on the handle exists and may only go away through uv_close. */
  loop->poll.data = loop;
  loop->id = inst->next_loop_id++;
  inst->loops[inst->nloops++] = loop;
  if ((err = uv_poll_start(&loop->poll, UV_READABLE, on_poll)) != 0) {
    close_loop(loop);
    return ss_throw_errno(env, -err, "uv_poll_start");
  }
  napi_value id;
  if (napi_create_uint32(env, loop->id, &id) != napi_ok) return NULL;
  return id;
}

static napi_value ctl(napi_env env, napi_callback_info info, int op) {
  size_t argc = 4;
  napi_value argv[4];
  ss_instance *inst;
  int32_t fd;
  uint32_t token = 0, events = 0;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  ss_loop *loop = arg_loop(env, inst, argv[0], "epoll_ctl");
  if (loop == NULL || ssn_arg_i32(env, argv[1], "fd", &fd) != 0) return NULL;
  if (op != EPOLL_CTL_DEL && (ssn_arg_u32(env, argv[2], "token", &token) != 0 ||
                              ssn_arg_u32(env, argv[3], "events", &events) != 0))
    return NULL;
  struct epoll_event ev = {.events = events, .data.u32 = token};
  if (epoll_ctl(loop->epfd, op, fd, &ev) != 0) return ss_throw_errno(env, errno, "epoll_ctl");
  return ssn_undefined(env);
}

/* loopAdd(loop, fd, token, events) / loopModify(loop, fd, token, events) / loopRemove(loop, fd) */
napi_value ss_loop_add(napi_env env, napi_callback_info info) {
  return ctl(env, info, EPOLL_CTL_ADD);
}

napi_value ss_loop_modify(napi_env env, napi_callback_info info) {
  return ctl(env, info, EPOLL_CTL_MOD);
}

napi_value ss_loop_remove(napi_env env, napi_callback_info info) {
  return ctl(env, info, EPOLL_CTL_DEL);
}

static napi_value set_ref(napi_env env, napi_callback_info info, int ref) {
  size_t argc = 1;
  napi_value argv[1];
  ss_instance *inst;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  ss_loop *loop = arg_loop(env, inst, argv[0], ref ? "uv_ref" : "uv_unref");
  if (loop == NULL) return NULL;
  if (ref) uv_ref((uv_handle_t *)&loop->poll);
  else uv_unref((uv_handle_t *)&loop->poll);
  return ssn_undefined(env);
}

/* loopRef(loop) / loopUnref(loop): whether the loop alone keeps the process alive. */
napi_value ss_loop_ref(napi_env env, napi_callback_info info) {
  return set_ref(env, info, 1);
}

napi_value ss_loop_unref(napi_env env, napi_callback_info info) {
  return set_ref(env, info, 0);
}

/* loopClose(loop): closes the epoll fd now; registered fds stay open (JS owns them). */
napi_value ss_loop_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  ss_instance *inst;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  ss_loop *loop = arg_loop(env, inst, argv[0], "close");
  if (loop == NULL) return NULL;
  close_loop(loop);
  return ssn_undefined(env);
}

int ss_epoll_constants(napi_env env, napi_value obj) {
  /* EPOLLET is bit 31: the values are unsigned, as JS gets them. */
  static const ssn_constant table[] = {
    {"EPOLLIN", EPOLLIN},       {"EPOLLOUT", EPOLLOUT}, {"EPOLLRDHUP", EPOLLRDHUP},
    {"EPOLLPRI", EPOLLPRI},     {"EPOLLERR", EPOLLERR}, {"EPOLLHUP", EPOLLHUP},
    {"EPOLLET", (uint32_t)EPOLLET}, {"EPOLLONESHOT", EPOLLONESHOT},
    {"EPOLLEXCLUSIVE", EPOLLEXCLUSIVE},
  };
  return ssn_constants(env, obj, table, sizeof table / sizeof table[0]);
}
