/*
 * ssn.h: the native layer the simple-stream addons share (epoll-server, tls, websocket).
 *
 * Each addon compiles these sources into its own .node file (binding.gyp takes the paths
 * from index.cjs) with -fvisibility=hidden, so every addon holds a private copy: nothing
 * here is a symbol another addon could interpose, and there is no extra library to load.
 *
 * Conventions all three addons follow, and that these helpers implement:
 *   - Every napi callback gets its addon instance as the function's data pointer (see
 *     ssn_exports), which saves a napi_get_instance_data call on every hot-path call.
 *   - Argument helpers return 0, or -1 with a JS exception pending: TypeError with code
 *     ERR_INVALID_ARG_TYPE ("<name> must be <what>"), RangeError with ERR_OUT_OF_RANGE.
 *     They cost one or two napi calls and format no string unless an argument is wrong.
 *   - JS holds native objects as integer ids (ssn_table), never externals: integers cross
 *     worker_threads, need no finalizers, and a stale id is refused.
 */
#ifndef SSN_H
#define SSN_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* ---- args.c: errors, argument decoding and plain values ------------------------------ */

/* Throws TypeError ERR_INVALID_ARG_TYPE "<name> must be <what>"; returns -1. */
int ssn_type_error(napi_env env, const char *name, const char *what);
/* Throws RangeError ERR_OUT_OF_RANGE with msg; returns -1. */
int ssn_range_error(napi_env env, const char *msg);

/* Fetches up to *argc arguments (missing ones read as undefined) and returns the data
 * pointer of the called function, i.e. the addon instance; NULL on failure. */
void *ssn_args(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv);
int ssn_arg_i32(napi_env env, napi_value v, const char *name, int32_t *out);
/* An int32 in [lo, hi]; RangeError "<name> must be <lo> to <hi>" outside. */
int ssn_arg_i32_range(napi_env env, napi_value v, const char *name, int32_t lo, int32_t hi,
                      int32_t *out);
/* ToUint32 semantics on purpose: `EPOLLIN | EPOLLET` is a negative int32 in JS. */
int ssn_arg_u32(napi_env env, napi_value v, const char *name, uint32_t *out);
int ssn_arg_bool(napi_env env, napi_value v, const char *name, int *out);
/* A Uint8Array (Buffer included): its data pointer and byte length. */
int ssn_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len);
/* An (offset, length) window into a buffer of len bytes; both must be numbers. */
int ssn_arg_window(napi_env env, napi_value voff, napi_value vlen, size_t len, size_t *off,
                   size_t *count);
/* The same with optional bounds: NULL (argument not passed) or undefined means offset 0
 * and length up to the end. */
int ssn_arg_window_opt(napi_env env, napi_value voff, napi_value vlen, size_t len,
                       size_t *off, size_t *count);
int ssn_is_undefined(napi_env env, napi_value v);
/* undefined or null. */
int ssn_is_nullish(napi_env env, napi_value v);
napi_value ssn_int(napi_env env, int32_t v);
napi_value ssn_undefined(napi_env env);
/* A JS string, or null for NULL. */
napi_value ssn_string(napi_env env, const char *s);

/* ---- table.c: integer ids for native objects (slot + generation) --------------------- */

/* A table's slots; items[0..top) may be walked at teardown (NULL marks a free slot). */
typedef struct ssn_table {
  void **items;
  uint32_t *gens;
  uint32_t *free_slots;
  uint32_t cap, nfree, top;
} ssn_table;

/* Stores p; returns its id (> 0), or 0 when out of memory or slots. */
uint32_t ssn_table_put(ssn_table *t, void *p);
/* The pointer of a live id, else NULL. */
void *ssn_table_get(const ssn_table *t, uint32_t id);
/* Removes a live id; returns its pointer, else NULL. */
void *ssn_table_take(ssn_table *t, uint32_t id);
/* How many ids are live. */
uint32_t ssn_table_count(const ssn_table *t);
void ssn_table_free(ssn_table *t);

/* ---- arrays.c: the per-thread arrays JS registers once with init(state, out) --------- */

/*
 * Results besides a call's return value go to `state` (an Int32Array) and the bytes it
 * produced to `out` (a Uint8Array), so the data path passes neither and allocates no
 * object per call. References keep both alive, and V8 never moves an ArrayBuffer's
 * backing store, so the pointers stay valid until init() replaces them.
 *
 * An addon instance that reports this way (tls, websocket) starts with its
 * ssn_shared_arrays, in the manner of libuv's handle types: init() and the finalizer
 * below then serve as they are, given the instance pointer.
 */
typedef struct ssn_shared_arrays {
  napi_ref state_ref, out_ref;
  int32_t *state;                /* NULL until init() */
  uint8_t *out;
  size_t out_cap;
  /* What init() requires, set by the module init. */
  size_t state_min;              /* Int32Array elements */
  size_t out_min;                /* bytes, else RangeError out_too_small */
  const char *out_too_small;
} ssn_shared_arrays;

/* init(state: Int32Array, out: Uint8Array) -> undefined; again replaces the arrays. Its
 * data pointer is an instance that starts with ssn_shared_arrays. */
napi_value ssn_shared_arrays_init(napi_env env, napi_callback_info info);
/* The instance finalizer (napi_finalize) of such an addon: drops the references, then
 * frees the instance. */
void ssn_shared_arrays_finalize(napi_env env, void *inst, void *hint);

/* ---- module.c: instance and exports boilerplate of a context-aware addon ------------- */

/* An export-table entry; ssn_exports sets its data pointer to the instance. */
#define SSN_FUNCTION(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}

/* A number for the frozen `constants` export, taken from the C headers. */
typedef struct ssn_constant {
  const char *name;
  int64_t value;
} ssn_constant;

/* A zeroed instance of size bytes, made the env's instance data (finalize frees it from
 * then on). NULL on failure, "<addon>: out of memory" thrown when calloc failed. */
void *ssn_instance_new(napi_env env, size_t size, napi_finalize finalize, const char *addon);
/* Sets obj[name] = value for each entry. 0, or -1 on failure. */
int ssn_constants(napi_env env, napi_value obj, const ssn_constant *table, size_t count);
/* Defines functions[0..count) on exports, each with inst as its data pointer, and
 * `constants` (frozen here). Returns exports, or NULL on failure. */
napi_value ssn_exports(napi_env env, napi_value exports,
                       const napi_property_descriptor *functions, size_t count, void *inst,
                       napi_value constants);

#endif /* SSN_H */
