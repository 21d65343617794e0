/*
 * options.c: socket options. Deliberately generic: one int-valued setter/getter covers
 * TCP_NODELAY, SO_KEEPALIVE, TCP_KEEP*, SO_RCVBUF/SO_SNDBUF, SO_RCVLOWAT, SO_PRIORITY and
 * SO_MARK; only the struct- or string-valued options (SO_LINGER, SO_RCVTIMEO/SO_SNDTIMEO,
 * SO_BINDTODEVICE) get their own functions. The named, documented API is TypeScript
 * (src/socket-options.ts), fed by the constants exported here so numbers come from the
 * C headers rather than being retyped. Options are not a hot path: failures throw.
 */
#include "ss.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* setsockopt, throwing its failure; returns what the setter returns. */
static napi_value set_option(napi_env env, int fd, int level, int name, const void *value,
                             socklen_t len) {
  if (setsockopt(fd, level, name, value, len) != 0)
    return ss_throw_errno(env, errno, "setsockopt");
  return ssn_undefined(env);
}

/* getsockopt, throwing its failure: 0, or -1 with the exception pending. */
static int get_option(napi_env env, int fd, int level, int name, void *value, socklen_t *len) {
  if (getsockopt(fd, level, name, value, len) == 0) return 0;
  ss_throw_errno(env, errno, "getsockopt");
  return -1;
}

/* The (fd, level, name) that the int-valued setter and getter start with. */
static int option_of(napi_env env, const napi_value *argv, int32_t *fd, int32_t *level,
                     int32_t *name) {
  if (ssn_arg_i32(env, argv[0], "fd", fd) != 0 ||
      ssn_arg_i32(env, argv[1], "level", level) != 0 ||
      ssn_arg_i32(env, argv[2], "name", name) != 0)
    return -1;
  return 0;
}

/* setIntOption(fd, level, name, value) */
napi_value ss_set_int_option(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd, level, name, value;
  if (ssn_args(env, info, &argc, argv) == NULL || option_of(env, argv, &fd, &level, &name) != 0 ||
      ssn_arg_i32(env, argv[3], "value", &value) != 0)
    return NULL;
  return set_option(env, fd, level, name, &value, sizeof value);
}

/* getIntOption(fd, level, name) -> int32 */
napi_value ss_get_int_option(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd, level, name;
  int value = 0;
  socklen_t len = sizeof value;
  if (ssn_args(env, info, &argc, argv) == NULL || option_of(env, argv, &fd, &level, &name) != 0 ||
      get_option(env, fd, level, name, &value, &len) != 0)
    return NULL;
  return ssn_int(env, value);
}

/* setLinger(fd, enabled, seconds) */
napi_value ss_set_linger(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd, seconds;
  int on;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0 ||
      ssn_arg_bool(env, argv[1], "enabled", &on) != 0 ||
      ssn_arg_i32(env, argv[2], "seconds", &seconds) != 0)
    return NULL;
  struct linger l = {.l_onoff = on, .l_linger = seconds};
  return set_option(env, fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

/* getLinger(fd) -> seconds when lingering is on, -1 when it is off */
napi_value ss_get_linger(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  struct linger l;
  socklen_t len = sizeof l;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0) return NULL;
  memset(&l, 0, sizeof l);
  if (get_option(env, fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0) return NULL;
  return ssn_int(env, l.l_onoff ? l.l_linger : -1);
}

static int timeout_name(napi_env env, napi_value v, int32_t *name) {
  if (ssn_arg_i32(env, v, "name", name) != 0) return -1;
  if (*name != SO_RCVTIMEO && *name != SO_SNDTIMEO) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "name must be SO_RCVTIMEO or SO_SNDTIMEO");
    return -1;
  }
  return 0;
}

/* setTimeoutOption(fd, SO_RCVTIMEO | SO_SNDTIMEO, ms); 0 means no timeout. */
napi_value ss_set_timeout_option(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd, name;
  int64_t ms;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0 || timeout_name(env, argv[1], &name) != 0)
    return NULL;
  if (napi_get_value_int64(env, argv[2], &ms) != napi_ok || ms < 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ms must be a number >= 0");
    return NULL;
  }
  struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
  return set_option(env, fd, SOL_SOCKET, name, &tv, sizeof tv);
}

/* getTimeoutOption(fd, SO_RCVTIMEO | SO_SNDTIMEO) -> ms (kernel keeps jiffies: whole
 * seconds read back exactly, sub-second values are rounded to the tick) */
napi_value ss_get_timeout_option(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd, name;
  struct timeval tv;
  socklen_t len = sizeof tv;
  napi_value r;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0 || timeout_name(env, argv[1], &name) != 0)
    return NULL;
  memset(&tv, 0, sizeof tv);
  if (get_option(env, fd, SOL_SOCKET, name, &tv, &len) != 0) return NULL;
  if (napi_create_int64(env, (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, &r) != napi_ok)
    return NULL;
  return r;
}

/* setBindToDevice(fd, ifname); '' removes the binding. Needs CAP_NET_RAW. */
napi_value ss_set_bind_to_device(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  char name[IF_NAMESIZE];
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0 ||
      ss_arg_string(env, argv[1], "interface", name, sizeof name) != 0)
    return NULL;
  return set_option(env, fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)strlen(name));
}

/* getBindToDevice(fd) -> interface name, '' when unbound */
napi_value ss_get_bind_to_device(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  char name[IF_NAMESIZE + 1];
  socklen_t len = IF_NAMESIZE;
  napi_value r;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0) return NULL;
  memset(name, 0, sizeof name);
  if (get_option(env, fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len) != 0) return NULL;
  if (napi_create_string_utf8(env, name, strnlen(name, len), &r) != napi_ok) return NULL;
  return r;
}

int ss_options_constants(napi_env env, napi_value obj) {
  static const ssn_constant table[] = {
    {"SOL_SOCKET", SOL_SOCKET},     {"IPPROTO_TCP", IPPROTO_TCP},
    {"SO_KEEPALIVE", SO_KEEPALIVE}, {"SO_RCVBUF", SO_RCVBUF},
    {"SO_SNDBUF", SO_SNDBUF},       {"SO_RCVLOWAT", SO_RCVLOWAT},
    {"SO_PRIORITY", SO_PRIORITY},   {"SO_MARK", SO_MARK},
    {"SO_RCVTIMEO", SO_RCVTIMEO},   {"SO_SNDTIMEO", SO_SNDTIMEO},
    {"SO_REUSEADDR", SO_REUSEADDR}, {"SO_REUSEPORT", SO_REUSEPORT},
    {"SO_ERROR", SO_ERROR},         {"TCP_NODELAY", TCP_NODELAY},
    {"TCP_KEEPIDLE", TCP_KEEPIDLE}, {"TCP_KEEPINTVL", TCP_KEEPINTVL},
    {"TCP_KEEPCNT", TCP_KEEPCNT},   {"SHUT_RD", SHUT_RD},
    {"SHUT_WR", SHUT_WR},           {"SHUT_RDWR", SHUT_RDWR},
  };
  return ssn_constants(env, obj, table, sizeof table / sizeof table[0]);
}
