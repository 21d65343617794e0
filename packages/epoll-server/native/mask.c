/*
 * mask.c: RFC 6455 masking for @simple-stream/frames. The frames package is pure
 * TypeScript; when this addon is loaded it hands payloads of a few hundred bytes and more
 * to this loop, which moves 8 bytes a step (and lets the compiler vectorize it) where
 * JavaScript moves 4.
 */
#include "ss.h"

#include <string.h>

/* mask(buf, start, end, key): XORs buf[start..end) with the u32 key, whose top byte is
 * the key's first byte on the wire, applied at start. */
napi_value ss_mask(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint8_t *data;
  size_t len;
  uint32_t start, end, key;
  if (ssn_args(env, info, &argc, argv) == NULL) return NULL;
  if (ssn_arg_bytes(env, argv[0], "buffer", &data, &len) != 0) return NULL;
  if (ssn_arg_u32(env, argv[1], "start", &start) != 0) return NULL;
  if (ssn_arg_u32(env, argv[2], "end", &end) != 0) return NULL;
  if (ssn_arg_u32(env, argv[3], "key", &key) != 0) return NULL;
  if (start > end || end > len) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "mask: start and end must satisfy start <= end <= length");
    return NULL;
  }
  const uint8_t k[4] = {(uint8_t)(key >> 24), (uint8_t)(key >> 16), (uint8_t)(key >> 8), (uint8_t)key};
  const uint8_t k8[8] = {k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]};
  uint64_t k64;
  memcpy(&k64, k8, sizeof k64);
  uint8_t *p = data + start;
  size_t n = end - start, i = 0;
  /* memcpy keeps unaligned 8-byte access defined; it compiles to plain loads and stores. */
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, p + i, sizeof v);
    v ^= k64;
    memcpy(p + i, &v, sizeof v);
  }
  for (; i < n; i++) p[i] ^= k[i & 3];
  return ssn_undefined(env);
}
