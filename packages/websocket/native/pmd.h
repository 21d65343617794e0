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

/* ---- table.c: ids -> pointers (slot + generation) ------------------------------------ */
typedef struct pmd_table {
  void **items;
  uint32_t *gens;
  uint32_t *free_slots;
  uint32_t cap, nfree, top;
} pmd_table;

/* Stores p; returns its id (> 0), or 0 when out of memory or slots. */
uint32_t pmd_table_put(pmd_table *t, void *p);
/* The pointer of a live id, else NULL. */
void *pmd_table_get(const pmd_table *t, uint32_t id);
/* Removes a live id; returns its pointer, else NULL. */
void *pmd_table_take(pmd_table *t, uint32_t id);
void pmd_table_free(pmd_table *t);
/* How many ids are live. */
uint32_t pmd_table_count(const pmd_table *t);

typedef struct pmd_instance {
  pmd_table inflaters;
  pmd_table deflaters;
  napi_ref state_ref, out_ref; /* keep the registered arrays alive */
  int32_t *state;
  uint8_t *out;
  size_t out_cap;
  /* deflate's overflow when a compressed message does not fit in out */
  uint8_t *spill;
  size_t spill_len, spill_cap;
  /* native bytes held (zlib state + message buffers), and the most since the last read */
  size_t held, peak;
} pmd_instance;

/*
 * Where output goes: first `out` (when allowed), then a malloc'ed buffer that grows by
 * doubling up to `limit` bytes. `len` counts all bytes produced into the current target.
 */
typedef struct pmd_sink {
  uint8_t *base;
  size_t len, cap;
  int in_out;         /* base is the instance's out */
  uint8_t **heap;     /* the owner's buffer (inflater message / instance spill) */
  size_t *heap_cap;
  size_t limit;       /* never grow beyond this many bytes */
} pmd_sink;

/* ---- memory.c: counted allocation for zlib and buffers ------------------------------- */
voidpf pmd_zalloc(voidpf opaque, uInt items, uInt size);
void pmd_zfree(voidpf opaque, voidpf address);
/* A zeroed block of n bytes, counted; NULL when out of memory. */
void *pmd_alloc(pmd_instance *inst, size_t n);
void pmd_free(pmd_instance *inst, void *p, size_t n);
/* Resizes *buf (held bytes accounted); 0, or -1 out of memory (then *buf is unchanged). */
int pmd_resize(pmd_instance *inst, uint8_t **buf, size_t *cap, size_t want);
/* Makes room after a full sink: moves out's bytes to the heap buffer, or doubles it.
 * 0, or PMD_E_TOO_BIG when the limit is reached, or PMD_E_MEMORY. */
int pmd_sink_grow(pmd_instance *inst, pmd_sink *s);

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
  uint8_t *msg;       /* the message so far, across fragments */
  size_t msg_len, msg_cap;
} pmd_inflater;

napi_value pmd_inflater_create(napi_env env, napi_callback_info info);
napi_value pmd_inflater_free(napi_env env, napi_callback_info info);
napi_value pmd_inflate(napi_env env, napi_callback_info info);
napi_value pmd_inflate_take(napi_env env, napi_callback_info info);
napi_value pmd_inflate_reason(napi_env env, napi_callback_info info);
void pmd_inflater_destroy(pmd_instance *inst, pmd_inflater *f);

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
void pmd_deflater_destroy(pmd_instance *inst, pmd_deflater *d);

/* ---- args.c: argument decoding. 0 on success; -1 with a JS exception pending. -------- */
int pmd_args(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
             pmd_instance **inst);
int pmd_arg_int(napi_env env, napi_value v, const char *name, int32_t lo, int32_t hi,
                int32_t *out);
int pmd_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len);
/* (offset, length) window into a buffer of len bytes; RangeError when outside. */
int pmd_arg_window(napi_env env, napi_value voff, napi_value vlen, size_t len, size_t *off,
                   size_t *count);
/* Input must not overlap the per-thread out the call writes to; RangeError if it does. */
int pmd_arg_not_out(napi_env env, const pmd_instance *inst, const uint8_t *p, size_t n);
/* A live id of table t; TypeError for a stale or bad id. */
void *pmd_arg_id(napi_env env, const pmd_table *t, napi_value v, const char *what);
napi_value pmd_int(napi_env env, int32_t v);
napi_value pmd_undefined(napi_env env);

#endif /* PMD_H */
