/*
 * deflate.c: compressing the messages we send (RFC 7692 7.2.1): DEFLATE up to a sync
 * flush, whose trailing empty stored block (00 00 ff ff) is removed from the payload.
 *
 * The output goes to the per-thread out (JS copies it into the payload it returns), or,
 * for a message that compresses to more than out holds, to the instance's spill buffer.
 */
#include "pump.h"

#include <string.h>

static int ensure_ready(pmd_instance *inst, pmd_deflater *d) {
  if (d->ready) return 0;
  pmd_zstream_init(inst, &d->z);
  /*
   * zlib refuses a raw window of 8 bits (its 256-byte window had a bug), so 8 deflates
   * with 9. The peer's 256-byte window still suffices: zlib never emits a distance over
   * its MAX_DIST, the window minus 262 bytes of lookahead, which for 9 bits is 250
   * (test/deflate-window.test.ts checks this against an inflater with 8 bits).
   */
  int bits = d->window_bits < 9 ? 9 : d->window_bits;
  int ret = deflateInit2(&d->z, d->level, Z_DEFLATED, -bits, d->mem_level, Z_DEFAULT_STRATEGY);
  if (ret != Z_OK) return pmd_zlib_error(ret);
  d->ready = 1;
  return 0;
}

/* A pmd_step: deflate up to a sync flush (pmd_pump calls it until the flush is complete). */
PMD_STEP step(void *codec, z_stream *z, pmd_sink *s) {
  (void)codec;
  uInt before = z->avail_out;
  int ret = deflate(z, Z_SYNC_FLUSH);
  s->len += before - z->avail_out;
  return ret == Z_OK || ret == Z_BUF_ERROR ? 0 : pmd_zlib_error(ret);
}

static int deflate_message(pmd_instance *inst, pmd_deflater *d, const uint8_t *in, size_t n) {
  pmd_sink s = {.base = inst->arrays.out, .cap = inst->arrays.out_cap, .in_out = 1,
                .heap = &inst->spill, .limit = INT32_MAX};
  if (n == 0) {
    /*
     * An empty message: deflate would emit nothing after an earlier flush. Every message
     * starts on a byte boundary, where one zero byte opens the stored block that the
     * receiver's appended 00 00 ff ff completes. The window is unchanged, as it should be.
     */
    inst->arrays.out[0] = 0;
    inst->arrays.state[PMD_S_SPILLED] = 0;
    return 1;
  }
  int rc = ensure_ready(inst, d);
  if (rc == 0) rc = pmd_pump(inst, &d->z, &s, in, n, step, d);
  if (rc != 0) return rc;
  if (s.len < 4 || memcmp(s.base + s.len - 4, "\0\0\xff\xff", 4) != 0) return PMD_E_DATA;
  s.len -= 4;
  pmd_sink_done(inst, &s);
  if (d->no_context) deflateReset(&d->z);
  return (int)s.len;
}

/* deflaterCreate(level, memLevel, windowBits, noContextTakeover) -> id */
napi_value pmd_deflater_create(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  pmd_instance *inst;
  int32_t level, mem_level, bits;
  int no_context;
  uint32_t id;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL ||
      ssn_arg_i32_range(env, argv[0], "level", -1, 9, &level) != 0 ||
      ssn_arg_i32_range(env, argv[1], "memLevel", 1, 9, &mem_level) != 0 ||
      ssn_arg_i32_range(env, argv[2], "windowBits", 8, 15, &bits) != 0 ||
      ssn_arg_bool(env, argv[3], "noContextTakeover", &no_context) != 0)
    return NULL;
  pmd_deflater *d = pmd_object_new(env, inst, &inst->deflaters, sizeof *d, &id);
  if (d == NULL) return NULL;
  d->level = level;
  d->mem_level = mem_level;
  d->window_bits = bits;
  d->no_context = no_context;
  return ssn_int(env, (int32_t)id);
}

void pmd_deflater_destroy(pmd_instance *inst, void *deflater) {
  pmd_deflater *d = deflater;
  if (d->ready) deflateEnd(&d->z);
  pmd_free(inst, d, sizeof *d);
}

/* deflaterFree(id): idempotent for ids already freed. */
napi_value pmd_deflater_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  pmd_instance *inst = ssn_args(env, info, &argc, argv);
  if (inst == NULL) return NULL;
  pmd_object_free(env, inst, &inst->deflaters, argv[0], pmd_deflater_destroy);
  return ssn_undefined(env);
}

/*
 * deflate(id, input, offset, length) -> the payload's length, or PMD_E_*. The payload is
 * in out[0..n) or, when state[S_SPILLED] is 1, waits for deflateTake().
 */
napi_value pmd_deflate(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  pmd_instance *inst;
  uint8_t *data;
  size_t len, off, n;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  pmd_deflater *d = pmd_arg_id(env, &inst->deflaters, argv[0], "deflater");
  if (d == NULL || ssn_arg_bytes(env, argv[1], "input", &data, &len) != 0 ||
      ssn_arg_window(env, argv[2], argv[3], len, &off, &n) != 0 ||
      pmd_arg_input(env, inst, data + off, n) != 0)
    return NULL;
  if (d->failed) return ssn_int(env, d->failed);
  int rc = deflate_message(inst, d, data + off, n);
  if (rc < 0) d->failed = rc;
  return ssn_int(env, rc);
}

/* deflateTake(dest): copies the spilled payload into dest (its exact length). */
napi_value pmd_deflate_take(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  pmd_instance *inst;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL ||
      pmd_take(env, inst, &inst->spill, argv[0], "dest must have the payload's length") != 0)
    return NULL;
  return ssn_undefined(env);
}
