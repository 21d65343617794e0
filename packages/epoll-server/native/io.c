/*
 * io.c: the data path. read/write/writev run once or more per readiness event, so they
 * never throw for a system error (they return -errno: -EAGAIN is the normal end of an
 * edge-triggered read/write loop) and take caller-owned buffers: handing native code a
 * fresh Uint8Array costs ~1 us, a reused one a few ns.
 */
#include "ss.h"

#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Linux never moves more than this per call (MAX_RW_COUNT); clamping keeps results int32. */
#define SS_MAX_IO 0x7ffff000u

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/*
 * The arguments of read, peek and write: (fd, buf, offset?, length?). Sets *p and *count
 * to the window, clamped to what one call can move; 0, or -1 with an exception pending.
 * Inline: each data-path call decodes its arguments as if written out in it.
 */
static inline int fd_window(napi_env env, napi_callback_info info, int32_t *fd, uint8_t **p,
                            size_t *count) {
  size_t argc = 4;
  napi_value argv[4];
  uint8_t *data;
  size_t len, off;
  if (ssn_args(env, info, &argc, argv) == NULL ||
      ssn_arg_i32(env, argv[0], "fd", fd) != 0 ||
      ssn_arg_bytes(env, argv[1], "buffer", &data, &len) != 0 ||
      ssn_arg_window_opt(env, argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL, len, &off,
                         count) != 0)
    return -1;
  *p = data + off;
  if (*count > SS_MAX_IO) *count = SS_MAX_IO;
  return 0;
}

/* What a data-path call returns for a syscall's result: the count, or -errno. */
static napi_value io_result(napi_env env, ssize_t r) {
  return ssn_int(env, r >= 0 ? (int32_t)r : -errno);
}

/* read(fd, buf, offset?, length?) -> n > 0 bytes, 0 at end of stream, or -errno. */
napi_value ss_read(napi_env env, napi_callback_info info) {
  int32_t fd;
  uint8_t *p;
  size_t count;
  ssize_t r;
  if (fd_window(env, info, &fd, &p, &count) != 0) return NULL;
  /* read(2), not recv(2): works for any fd (pipes too) at the same cost. */
  do r = read(fd, p, count);
  while (r < 0 && errno == EINTR);
  return io_result(env, r);
}

/*
 * peek(fd, buf, offset?, length?) -> bytes copied, 0 at end of stream, or -errno. recv(2)
 * with MSG_PEEK: the bytes stay queued. A server reads a PROXY protocol header this way
 * and then consumes exactly its length, so that the stream (or OpenSSL reading the fd
 * itself) starts at the first byte after it.
 */
napi_value ss_peek(napi_env env, napi_callback_info info) {
  int32_t fd;
  uint8_t *p;
  size_t count;
  ssize_t r;
  if (fd_window(env, info, &fd, &p, &count) != 0) return NULL;
  do r = recv(fd, p, count, MSG_PEEK | MSG_DONTWAIT);
  while (r < 0 && errno == EINTR);
  return io_result(env, r);
}

/* send with MSG_NOSIGNAL: EPIPE instead of SIGPIPE even if the embedder did not ignore it.
 * ENOTSOCK falls back to write(2) so pipes work too (rare, so the hot path stays send). */
static ssize_t send_all_kinds(int fd, const void *p, size_t n) {
  ssize_t r;
  do r = send(fd, p, n, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == ENOTSOCK) {
    do r = write(fd, p, n);
    while (r < 0 && errno == EINTR);
  }
  return r;
}

/* write(fd, buf, offset?, length?) -> bytes written (maybe fewer than asked) or -errno. */
napi_value ss_write(napi_env env, napi_callback_info info) {
  int32_t fd;
  uint8_t *p;
  size_t count;
  if (fd_window(env, info, &fd, &p, &count) != 0) return NULL;
  return io_result(env, send_all_kinds(fd, p, count));
}

/*
 * writev(fd, chunks: Uint8Array[]) -> bytes written or -errno. At most IOV_MAX (1024)
 * chunks go out per call; the result says how far it got, like any partial write.
 */
napi_value ss_writev(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  uint32_t count;
  bool is_array = false;
  struct iovec iov[IOV_MAX];
  size_t total = 0;
  ssize_t r;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_i32(env, argv[0], "fd", &fd) != 0) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "chunks must be an array");
    return NULL;
  }
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) return NULL;
  if (count > IOV_MAX) count = IOV_MAX;
  for (uint32_t i = 0; i < count; i++) {
    napi_value chunk;
    uint8_t *data;
    size_t len;
    if (napi_get_element(env, argv[1], i, &chunk) != napi_ok) return NULL;
    if (ssn_arg_bytes(env, chunk, "chunks[i]", &data, &len) != 0) return NULL;
    /* Stay under the kernel's total so a huge batch is a short write, not EINVAL. */
    if (len > SS_MAX_IO - total) len = SS_MAX_IO - total;
    iov[i].iov_base = data;
    iov[i].iov_len = len;
    total += len;
  }
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = count};
  do r = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0 && errno == ENOTSOCK) {
    do r = writev(fd, iov, (int)count);
    while (r < 0 && errno == EINTR);
  }
  return io_result(env, r);
}
