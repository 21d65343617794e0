/*
 * socket.c: creating, accepting and closing sockets.
 *
 * Every fd is created non-blocking and close-on-exec atomically (SOCK_NONBLOCK |
 * SOCK_CLOEXEC, accept4): worker threads share the process, so a fork/exec from another
 * thread must never inherit our sockets, and there must be no window where they are
 * blocking. Every fd made here is tracked by the instance so env teardown closes it.
 */
#include "ss.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Default like libuv/Node: SOMAXCONN is clamped by the kernel anyway. */
#define SS_DEFAULT_BACKLOG 511

void ss_reserve_fd(ss_instance *inst) {
  if (inst->reserve_fd < 0) inst->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int get_bool_prop(napi_env env, napi_value obj, const char *key, int dflt, int *out) {
  napi_value v;
  *out = dflt;
  if (obj == NULL || napi_get_named_property(env, obj, key, &v) != napi_ok) return -1;
  if (ssn_is_undefined(env, v)) return 0;
  return ssn_arg_bool(env, v, key, out);
}

static int set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

/* A new non-blocking TCP socket of `family`; -1 with the failure thrown. */
static int stream_socket(napi_env env, int family) {
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) ss_throw_errno(env, errno, "socket");
  return fd;
}

/* Closes fd after `syscall` failed on it (errno) and throws that failure. */
static napi_value close_and_throw(napi_env env, int fd, const char *syscall) {
  int err = errno;
  close(fd);
  return ss_throw_errno(env, err, syscall);
}

/* listen(host, port, backlog?, { reuseAddr = true, reusePort = false, ipv6Only = false }?)
 * -> fd. */
napi_value ss_listen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  ss_instance *inst;
  struct sockaddr_storage ss;
  unsigned len;
  int32_t backlog = SS_DEFAULT_BACKLOG;
  int reuse_addr = 1, reuse_port = 0, v6only = 0;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ss_parse_address(env, argv[0], argv[1], &ss, &len) != 0) return NULL;
  if (!ssn_is_undefined(env, argv[2]) && ssn_arg_i32(env, argv[2], "backlog", &backlog) != 0)
    return NULL;
  if (!ssn_is_undefined(env, argv[3])) {
    napi_valuetype t;
    if (napi_typeof(env, argv[3], &t) != napi_ok || t != napi_object) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "options must be an object");
      return NULL;
    }
    if (get_bool_prop(env, argv[3], "reuseAddr", 1, &reuse_addr) != 0 ||
        get_bool_prop(env, argv[3], "reusePort", 0, &reuse_port) != 0 ||
        get_bool_prop(env, argv[3], "ipv6Only", 0, &v6only) != 0)
      return NULL;
  }

  int fd = stream_socket(env, ss.ss_family);
  if (fd < 0) return NULL;
  const char *syscall = "setsockopt";
  if ((reuse_addr && set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0) ||
      (reuse_port && set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0) ||
      (ss.ss_family == AF_INET6 && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only) != 0) ||
      (syscall = "bind", bind(fd, (struct sockaddr *)&ss, len) != 0) ||
      (syscall = "listen", listen(fd, backlog) != 0))
    return close_and_throw(env, fd, syscall);
  ss_fd_track(inst, fd);
  /* A listener is what can hit EMFILE: keep a spare fd from now on (see accept). */
  ss_reserve_fd(inst);
  return ssn_int(env, fd);
}

/* connect(host, port) -> fd; the connection usually completes later (EPOLLOUT, then
 * socketError). Failures known at once (e.g. ECONNREFUSED on loopback) throw. */
napi_value ss_connect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  ss_instance *inst;
  struct sockaddr_storage ss;
  unsigned len;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ss_parse_address(env, argv[0], argv[1], &ss, &len) != 0) return NULL;
  int fd = stream_socket(env, ss.ss_family);
  if (fd < 0) return NULL;
  /* EINTR on a non-blocking connect means the same as EINPROGRESS: it goes on. */
  if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS && errno != EINTR)
    return close_and_throw(env, fd, "connect");
  ss_fd_track(inst, fd);
  return ssn_int(env, fd);
}

/* Errors accept(2) reports for a connection that died in the queue: skip to the next. */
static int is_transient_accept_error(int err) {
  switch (err) {
    case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT:
    case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case ENETUNREACH:
      return 1;
    default:
      return 0;
  }
}

/*
 * Out of fds with connections still queued: an edge-triggered listener would never be
 * reported again for them, and a level-triggered one would spin. Like libuv, give up the
 * spare fd, accept and immediately close what is queued (those peers see a clean close
 * instead of hanging), then take the spare back.
 */
static void shed_queue(ss_instance *inst, int lfd) {
  if (inst->reserve_fd < 0) return;
  close(inst->reserve_fd);
  inst->reserve_fd = -1;
  for (int i = 0; i < 65536; i++) {
    int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c >= 0) close(c);
    else if (!is_transient_accept_error(errno)) break;
  }
  ss_reserve_fd(inst);
}

/*
 * accept(listenFd, out: Int32Array) -> n. Accepts until the queue is empty or out is full.
 *   n > 0: out[0..n) are new fds. n === out.length: more may be queued, call again.
 *          n < out.length: out[n] holds why it stopped: -EAGAIN (drained) or -errno.
 *   n < 0: nothing accepted; -EAGAIN when the queue was empty, else the error.
 * -EMFILE/-ENFILE mean the queued connections were accepted and closed (see shed_queue).
 */
napi_value ss_accept(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  ss_instance *inst;
  int32_t lfd, *out;
  size_t cap, n = 0;
  int reason = -EAGAIN, skips = 0;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &lfd) != 0) return NULL;
  if (ss_arg_i32_array(env, argv[1], "out", &out, &cap) != 0) return NULL;
  if (cap == 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "out must not be empty");
    return NULL;
  }
  if (cap > INT32_MAX) cap = INT32_MAX;
  while (n < cap) {
    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      ss_fd_track(inst, c);
      out[n++] = c;
      continue;
    }
    int err = errno;
    if (is_transient_accept_error(err) && ++skips < 1024) continue;
    if (err == EMFILE || err == ENFILE) shed_queue(inst, lfd);
    reason = -err;
    break;
  }
  if (n < cap) out[n] = reason;
  return ssn_int(env, n > 0 ? (int32_t)n : reason);
}

/* socketpair() -> [fd, fd]: AF_UNIX stream sockets, non-blocking (tests, fd transports). */
napi_value ss_socketpair(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  ss_instance *inst;
  int sv[2];
  napi_value arr;
  if ((inst = ssn_args(env, info, &argc, NULL)) == NULL) return NULL;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
    return ss_throw_errno(env, errno, "socketpair");
  ss_fd_track(inst, sv[0]);
  ss_fd_track(inst, sv[1]);
  if (napi_create_array_with_length(env, 2, &arr) != napi_ok) return NULL;
  napi_set_element(env, arr, 0, ssn_int(env, sv[0]));
  napi_set_element(env, arr, 1, ssn_int(env, sv[1]));
  return arr;
}

/* socketError(fd) -> 0 or -errno (SO_ERROR, which reading clears): how a non-blocking
 * connect ended once EPOLLOUT (or EPOLLERR) is reported. Throws if fd is not a socket. */
napi_value ss_socket_error(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  int err = 0;
  socklen_t len = sizeof err;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return ss_throw_errno(env, errno, "getsockopt");
  return ssn_int(env, -err);
}

/* shutdown(fd, how) -> 0 or -errno (ENOTCONN after a peer reset is routine). */
napi_value ss_shutdown(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd, how;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0 || ssn_arg_i32(env, argv[1], "how", &how) != 0)
    return NULL;
  return ssn_int(env, shutdown(fd, how) == 0 ? 0 : -errno);
}

/* close(fd): throws (EBADF is a double close: with threads, possibly someone else's fd). */
napi_value ss_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  ss_instance *inst;
  int32_t fd;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0) return NULL;
  /* Linux frees the fd even when close reports EINTR/EIO: untrack first regardless. */
  ss_fd_untrack(inst, fd);
  if (close(fd) != 0 && errno != EINTR) return ss_throw_errno(env, errno, "close");
  return ssn_undefined(env);
}

/* release(fd) / adopt(fd): hand an fd's ownership out of / into this instance, i.e. stop
 * or start closing it at env teardown (e.g. when passing fds between workers). */
static napi_value set_owned(napi_env env, napi_callback_info info, int owned) {
  size_t argc = 1;
  napi_value argv[1];
  ss_instance *inst;
  int32_t fd;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (owned && fcntl(fd, F_GETFD) < 0) return ss_throw_errno(env, errno, "fcntl");
  if (owned) ss_fd_track(inst, fd);
  else ss_fd_untrack(inst, fd);
  return ssn_undefined(env);
}

napi_value ss_release(napi_env env, napi_callback_info info) {
  return set_owned(env, info, 0);
}

napi_value ss_adopt(napi_env env, napi_callback_info info) {
  return set_owned(env, info, 1);
}

/*
 * socketIdentity(fd) -> the inode of the file `fd` refers to (> 0), or -errno (-EBADF for a
 * closed fd). fds are reused at once, so a number alone cannot tell whether an fd handed to
 * a worker is still that connection: the inode can (a worker pool closes what a dead
 * worker left open only if it is still the socket it handed over).
 */
napi_value ss_socket_identity(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t fd;
  struct stat st;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0) return NULL;
  double identity = fstat(fd, &st) == 0 ? (double)st.st_ino : -(double)errno;
  if (napi_create_double(env, identity, &result) != napi_ok) return NULL;
  return result;
}
