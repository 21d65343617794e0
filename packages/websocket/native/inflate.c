/*
 * inflate.c: decompressing the messages the peer sent (RFC 7692 7.2.2).
 *
 * A message arrives as one or more frame payloads; their bytes are inflated as they come
 * and the output is bounded while it is produced: the moment it passes maxMessage the
 * call fails, so a few KB of "bomb" cost at most ~maxMessage of memory, never what they
 * would expand to. A message in one frame inflates straight into the per-thread out (JS
 * copies it into the message it returns); fragments, and messages bigger than out, grow
 * the inflater's own buffer.
 */
#include "pump.h"

/* LEN and NLEN of the empty stored block that ends every message (7.2.1): the sender
 * removed them, its header bits stay at the end of the payload. */
static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};

static int ensure_ready(pmd_instance *inst, pmd_inflater *f) {
  if (f->ready) return 0;
  pmd_zstream_init(inst, &f->z);
  /* Negative: raw DEFLATE, no zlib header or checksum. zlib inflates with 8..15. */
  int ret = inflateInit2(&f->z, -f->window_bits);
  if (ret != Z_OK) return pmd_zlib_error(ret);
  f->ready = 1;
  return 0;
}

/* A pmd_step: inflate what it can, failing as soon as the message passes maxMessage. */
PMD_STEP step(void *codec, z_stream *z, pmd_sink *s) {
  pmd_inflater *f = codec;
  uInt before = z->avail_out, in_before = z->avail_in;
  int ret = inflate(z, Z_SYNC_FLUSH);
  s->len += before - z->avail_out;
  if (s->len > f->max) return PMD_E_TOO_BIG;
  if (ret == Z_STREAM_END) {
    /* A block with BFINAL (7.2.3.5 allows it): the sender starts a new stream, with an
     * empty window, for what follows; so do we. */
    inflateReset(z);
    f->ended = 1;
  } else if (ret == Z_OK || ret == Z_BUF_ERROR) {
    if (z->avail_in != in_before) f->ended = 0;
  } else {
    return pmd_zlib_error(ret);
  }
  return 0;
}

/* One fragment; on fin the message ends. Returns the message length so far, or PMD_E_*. */
static int inflate_fragment(pmd_instance *inst, pmd_inflater *f, const uint8_t *in, size_t n,
                            int fin) {
  int rc = ensure_ready(inst, f);
  if (rc != 0) return rc;
  /* A spilled message that JS never took (it failed to allocate the copy) is dropped
   * rather than prepended to this one. */
  if (f->untaken) f->msg.len = f->untaken = 0;
  size_t limit = f->max + 1; /* room for one byte more than allowed: that byte is the proof */
  pmd_sink s = {.heap = &f->msg, .limit = limit};
  if (fin && f->msg.len == 0) {
    s.base = inst->arrays.out;
    s.cap = inst->arrays.out_cap < limit ? inst->arrays.out_cap : limit;
    s.in_out = 1;
  } else {
    s.base = f->msg.data;
    s.len = f->msg.len;
    s.cap = f->msg.cap;
  }
  if (n > 0) {
    rc = pmd_pump(inst, &f->z, &s, in, n, step, f);
    f->fed = 1;
  }
  /*
   * The tail completes the empty stored block whose header ends the payload, and so
   * leaves inflate between blocks; anywhere else the message was cut inside a block.
   * Not after a final block (the stream is over, the tail is not part of it), nor for a
   * message without a single byte of payload (nothing to complete: an empty message).
   */
  if (rc == 0 && fin && f->fed && !f->ended) {
    rc = pmd_pump(inst, &f->z, &s, tail, sizeof tail, step, f);
    if (rc == 0 && (f->z.data_type & 128) == 0) rc = PMD_E_UNFINISHED;
  }
  if (rc != 0) return rc;
  if (fin) f->fed = f->ended = 0;
  pmd_sink_done(inst, &s);
  f->untaken = fin && !s.in_out;
  if (fin && f->no_context) inflateReset(&f->z);
  return (int)s.len;
}

/* inflaterCreate(windowBits, maxMessage, noContextTakeover) -> id */
napi_value pmd_inflater_create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  pmd_instance *inst;
  int32_t bits, max;
  int no_context;
  uint32_t id;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL ||
      ssn_arg_i32_range(env, argv[0], "windowBits", 8, 15, &bits) != 0 ||
      ssn_arg_i32_range(env, argv[1], "maxMessage", 0, INT32_MAX - 1, &max) != 0 ||
      ssn_arg_bool(env, argv[2], "noContextTakeover", &no_context) != 0)
    return NULL;
  pmd_inflater *f = pmd_object_new(env, inst, &inst->inflaters, sizeof *f, &id);
  if (f == NULL) return NULL;
  f->window_bits = bits;
  f->max = (size_t)max;
  f->no_context = no_context;
  return ssn_int(env, (int32_t)id);
}

void pmd_inflater_destroy(pmd_instance *inst, void *inflater) {
  pmd_inflater *f = inflater;
  if (f->ready) inflateEnd(&f->z);
  pmd_resize(inst, &f->msg, 0);
  pmd_free(inst, f, sizeof *f);
}

/* inflaterFree(id): idempotent for ids already freed. */
napi_value pmd_inflater_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  pmd_instance *inst = ssn_args(env, info, &argc, argv);
  if (inst == NULL) return NULL;
  pmd_object_free(env, inst, &inst->inflaters, argv[0], pmd_inflater_destroy);
  return ssn_undefined(env);
}

/*
 * inflate(id, input, offset, length, fin) -> the message length so far, or PMD_E_*.
 * On fin, state[S_SPILLED] says where the message is: out[0..n) or inflateTake().
 * A failed inflater keeps failing with the same code: its stream is no longer in step.
 */
napi_value pmd_inflate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  pmd_instance *inst;
  uint8_t *data;
  size_t len, off, n;
  int fin;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  pmd_inflater *f = pmd_arg_id(env, &inst->inflaters, argv[0], "inflater");
  if (f == NULL || ssn_arg_bytes(env, argv[1], "input", &data, &len) != 0 ||
      ssn_arg_window(env, argv[2], argv[3], len, &off, &n) != 0 ||
      ssn_arg_bool(env, argv[4], "fin", &fin) != 0 ||
      pmd_arg_input(env, inst, data + off, n) != 0)
    return NULL;
  if (f->failed) return ssn_int(env, f->failed);
  int rc = inflate_fragment(inst, f, data + off, n, fin);
  if (rc < 0) {
    /* The connection is about to close: give back a message buffer of up to maxMessage
     * at once rather than when JS gets to close(). */
    f->failed = rc;
    f->msg.len = f->untaken = 0;
    pmd_resize(inst, &f->msg, 0);
  }
  return ssn_int(env, rc);
}

/* inflateTake(id, dest): copies the spilled message into dest (its exact length) and
 * starts the next message. */
napi_value pmd_inflate_take(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  pmd_instance *inst;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  pmd_inflater *f = pmd_arg_id(env, &inst->inflaters, argv[0], "inflater");
  if (f == NULL ||
      pmd_take(env, inst, &f->msg, argv[1], "dest must have the message's length") != 0)
    return NULL;
  f->untaken = 0;
  return ssn_undefined(env);
}

/* inflateReason(id) -> zlib's text for the last failure, or null. */
napi_value pmd_inflate_reason(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r = NULL;
  pmd_instance *inst;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  pmd_inflater *f = pmd_arg_id(env, &inst->inflaters, argv[0], "inflater");
  if (f == NULL) return NULL;
  if (f->ready && f->z.msg != NULL) napi_create_string_utf8(env, f->z.msg, NAPI_AUTO_LENGTH, &r);
  else napi_get_null(env, &r);
  return r;
}
