/*
 * pmd.h: the native API of permessage-deflate (RFC 7692), shared by its C files.
 *
 * zlib is the one the node binary carries: we compile against Node's include/node/zlib.h
 * and link no libz, so the symbols resolve from the node executable at load time.
 *
 * Conventions (those of @simple-stream/tls), all visible from JS:
 *   - JS gets plain integers (inflater and deflater ids), never externals; an id is a slot
 *     and a generation, so a stale id is refused instead of reaching freed memory.
 *   - inflate/deflate never throw for bad data: they return a negative PMD_E_* code.
 *   - Output goes to one per-thread Uint8Array ("out") registered once with init(); what
 *     does not fit is kept in native memory and copied out with a take call. Results
 *     besides the return value go to a per-thread Int32Array ("state").
 *   - State is per addon instance (per Node environment), freed by a cleanup hook.
 *   - zlib allocates through counting hooks, so stats() reports the native bytes held.
 */
#ifndef PMD_H
#define PMD_H

#include <node_api.h>
#include <ssn.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* ---- the state array shared with JS (src/deflate-native.ts reads the constants) ------ */
#define PMD_S_SPILLED 0 /* 1: the result is in native memory (take it), 0: in out[0..n) */
#define PMD_S_SIZE 2

/* Negative results of inflate/deflate. */
#define PMD_E_TOO_BIG (-1)    /* the message would exceed maxMessage */
#define PMD_E_DATA (-2)       /* invalid compressed data */
#define PMD_E_MEMORY (-3)     /* out of memory */
#define PMD_E_UNFINISHED (-4) /* the message does not end on a DEFLATE block boundary */

/* The smallest out the addon accepts: a small message must fit without spilling. */
#define PMD_OUT_MIN 4096

/* A malloc'ed byte buffer whose capacity counts as held: `len` bytes of `cap` are in use. */
typedef struct pmd_buffer {
  uint8_t *data;
  size_t len, cap;
} pmd_buffer;

typedef struct pmd_instance {
  ssn_shared_arrays arrays;    /* first: state and out, registered by init() */
  ssn_table inflaters;
  ssn_table deflaters;
  /* deflate's overflow when a compressed message does not fit in out */
  pmd_buffer spill;
  /* native bytes held (zlib state + message buffers), and the most since the last read */
  size_t held, peak;
} pmd_instance;
_Static_assert(offsetof(pmd_instance, arrays) == 0, "ssn_shared_arrays_init needs it first");

/*
 * Where output goes: first `out` (when allowed), then a malloc'ed buffer that grows by
 * doubling up to `limit` bytes. `len` counts all bytes produced into the current target.
 */
typedef struct pmd_sink {
  uint8_t *base;
  size_t len, cap;
  int in_out;         /* base is the instance's out */
  pmd_buffer *heap;   /* the owner's buffer (inflater message / instance spill) */
  size_t limit;       /* never grow beyond this many bytes */
} pmd_sink;

/* ---- memory.c: counted allocation for zlib and buffers ------------------------------- */
/* Sets up *z to allocate through the instance's counting hooks (before xxxInit2). */
void pmd_zstream_init(pmd_instance *inst, z_stream *z);
/* A zeroed block of n bytes, counted; NULL when out of memory. */
void *pmd_alloc(pmd_instance *inst, size_t n);
void pmd_free(pmd_instance *inst, void *p, size_t n);
/* Resizes b's capacity to want bytes (held bytes accounted; 0 frees it); 0, or -1 out of
 * memory (then b is unchanged). */
int pmd_resize(pmd_instance *inst, pmd_buffer *b, size_t want);

/* ---- objects.c: inflaters and deflaters by id ---------------------------------------- */
/* A zeroed object of size bytes with an id in t (*id). NULL with a JS error thrown when
 * out of memory or ids. */
void *pmd_object_new(napi_env env, pmd_instance *inst, ssn_table *t, size_t size, uint32_t *id);
/* Frees an inflater or a deflater, and all it holds. */
typedef void (*pmd_destroy)(pmd_instance *inst, void *obj);
/* A free call: destroys the object of the id v in t, if it is live (free is idempotent). */
void pmd_object_free(napi_env env, pmd_instance *inst, ssn_table *t, napi_value v,
                     pmd_destroy destroy);
/* Env teardown: destroys every object left in t, then t. */
void pmd_table_free(pmd_instance *inst, ssn_table *t, pmd_destroy destroy);

/* ---- sink.c: where output goes, and how JS takes what spilled ------------------------ */
/* Makes room after a full sink: moves out's bytes to the heap buffer, or doubles it.
 * 0, or PMD_E_TOO_BIG when the limit is reached, or PMD_E_MEMORY. */
int pmd_sink_grow(pmd_instance *inst, pmd_sink *s);
/* A result complete in s: tells JS where it is (state[S_SPILLED]) and, when it spilled,
 * records its length in the heap buffer. */
void pmd_sink_done(pmd_instance *inst, const pmd_sink *s);
/* take calls: copies b's bytes into dest, which must be a Uint8Array of exactly that
 * length (else RangeError `mismatch`), and empties b (freeing a large one). 0, or -1
 * with a JS exception pending. */
int pmd_take(napi_env env, pmd_instance *inst, pmd_buffer *b, napi_value dest,
             const char *mismatch);

/* ---- inflate.c ----------------------------------------------------------------------- */
typedef struct pmd_inflater {
  z_stream z;
  int ready;          /* inflateInit2 done (lazily: an idle connection holds no window) */
  int window_bits;
  int no_context;     /* reset after every message (the peer's no_context_takeover) */
  int failed;         /* a PMD_E_* code once the stream is unusable */
  int fed;            /* the current message has had payload bytes */
  int ended;          /* the last block inflated had BFINAL: the stream was reset after it */
  int untaken;        /* msg holds a whole message that inflateTake() has not copied yet */
  size_t max;         /* maxMessage */
  pmd_buffer msg;     /* the message so far, across fragments */
} pmd_inflater;

napi_value pmd_inflater_create(napi_env env, napi_callback_info info);
napi_value pmd_inflater_free(napi_env env, napi_callback_info info);
napi_value pmd_inflate(napi_env env, napi_callback_info info);
napi_value pmd_inflate_take(napi_env env, napi_callback_info info);
napi_value pmd_inflate_reason(napi_env env, napi_callback_info info);
void pmd_inflater_destroy(pmd_instance *inst, void *inflater);

/* ---- deflate.c ----------------------------------------------------------------------- */
typedef struct pmd_deflater {
  z_stream z;
  int ready;
  int level, mem_level, window_bits;
  int no_context;     /* reset after every message (our no_context_takeover) */
  int failed;
} pmd_deflater;

napi_value pmd_deflater_create(napi_env env, napi_callback_info info);
napi_value pmd_deflater_free(napi_env env, napi_callback_info info);
napi_value pmd_deflate(napi_env env, napi_callback_info info);
napi_value pmd_deflate_take(napi_env env, napi_callback_info info);
void pmd_deflater_destroy(pmd_instance *inst, void *deflater);

/* ---- args.c: this addon's own checks (the decoders are ssn_* in ssn.h). 0 on success;
 * -1 with a JS exception pending. ----------------------------------------------------- */
/* What inflate and deflate check of their input p[0..n) once decoded: init() was called,
 * and the input does not overlap the per-thread out the call writes to (RangeError). */
int pmd_arg_input(napi_env env, const pmd_instance *inst, const uint8_t *p, size_t n);
/* A live id of table t; TypeError for a stale or bad id. */
void *pmd_arg_id(napi_env env, const ssn_table *t, napi_value v, const char *what);

#endif /* PMD_H */
