/*
 * address.c: numeric hosts and ports <-> sockaddr, and getsockname/getpeername.
 *
 * Only numeric addresses: name resolution is blocking (getaddrinfo) and belongs to JS
 * (node:dns) before calling listen/connect.
 */
#include "ss.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int ss_parse_address(napi_env env, napi_value host, napi_value port,
                     struct sockaddr_storage *ss, unsigned *len) {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  int32_t p;
  if (ss_arg_string(env, host, "host", buf, sizeof buf) != 0) return -1;
  if (napi_get_value_int32(env, port, &p) != napi_ok || p < 0 || p > 65535) {
    napi_throw_range_error(env, "ERR_SOCKET_BAD_PORT", "port must be an integer in 0..65535");
    return -1;
  }
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET, buf, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)p);
    *len = sizeof *in4;
    return 0;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  char *scope = strchr(buf, '%');
  if (scope != NULL) *scope++ = '\0';
  if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)p);
    if (scope != NULL) {
      /* fe80::1%eth0 or fe80::1%2 */
      unsigned idx = if_nametoindex(scope);
      if (idx == 0) {
        char *end;
        unsigned long n = strtoul(scope, &end, 10);
        idx = (*scope != '\0' && *end == '\0') ? (unsigned)n : 0;
      }
      if (idx == 0) {
        napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS", "unknown IPv6 scope in host");
        return -1;
      }
      in6->sin6_scope_id = idx;
    }
    *len = sizeof *in6;
    return 0;
  }
  napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS",
                        "host must be a numeric IPv4 or IPv6 address");
  return -1;
}

/* { address, port, family } like net.Socket#address(); family 'unix' for AF_UNIX. */
static napi_value format_address(napi_env env, const struct sockaddr_storage *ss,
                                 socklen_t len) {
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
  const char *family = "unix";
  int port = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &in4->sin_addr, buf, sizeof buf);
    port = ntohs(in4->sin_port);
    family = "IPv4";
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    if (in6->sin6_scope_id != 0) {
      size_t n = strlen(buf);
      char name[IF_NAMESIZE];
      if (if_indextoname(in6->sin6_scope_id, name) != NULL)
        snprintf(buf + n, sizeof buf - n, "%%%s", name);
      else
        snprintf(buf + n, sizeof buf - n, "%%%u", in6->sin6_scope_id);
    }
    port = ntohs(in6->sin6_port);
    family = "IPv6";
  } else if (ss->ss_family == AF_UNIX) {
    /* Unnamed (socketpair) sockets have no path; abstract ones start with a NUL. */
    const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
    size_t n = len > offsetof(struct sockaddr_un, sun_path)
                   ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    if (n > 0 && un->sun_path[0] != '\0') snprintf(buf, sizeof buf, "%.*s", (int)n, un->sun_path);
  }
  napi_value obj, a, p, f;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &a);
  napi_create_int32(env, port, &p);
  napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &f);
  napi_set_named_property(env, obj, "address", a);
  napi_set_named_property(env, obj, "port", p);
  napi_set_named_property(env, obj, "family", f);
  return obj;
}

typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

static napi_value address_of(napi_env env, napi_callback_info info, name_fn fn,
                             const char *syscall) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0) return NULL;
  memset(&ss, 0, sizeof ss);
  if (fn(fd, (struct sockaddr *)&ss, &len) != 0) return ss_throw_errno(env, errno, syscall);
  return format_address(env, &ss, len);
}

napi_value ss_local_address(napi_env env, napi_callback_info info) {
  return address_of(env, info, getsockname, "getsockname");
}

napi_value ss_remote_address(napi_env env, napi_callback_info info) {
  return address_of(env, info, getpeername, "getpeername");
}
