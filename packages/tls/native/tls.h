/*
 * tls.h: the whole native API of @simple-stream/tls, shared by its C files.
 *
 * TLS is done by the OpenSSL that the node binary carries: we compile against Node's
 * headers and link no libssl, so the symbols resolve from the node binary at load time
 * (a second OpenSSL in the process would have its own, incompatible state).
 *
 * Conventions (the same as @simple-stream/epoll-server's addon), all visible from JS:
 *   - JS gets plain integers (context and connection ids), never externals. An id is a
 *     slot and a generation, so a stale id is refused instead of reaching freed memory.
 *   - Hot-path calls (recv, send, shutdown) never throw for a TLS failure: they return
 *     SST_FAILED and JS fetches the details with takeError(). "Want read"/"want write" are
 *     never failures: the engine's BIO takes all output and reports missing input.
 *   - Results besides the return value go to a per-thread Int32Array ("state") and the
 *     ciphertext a call produced to a per-thread Uint8Array ("out"), both registered once
 *     with init(): no allocation and no object per call.
 *   - State is per addon instance (per Node environment), freed by a cleanup hook.
 */
#ifndef SST_TLS_H
#define SST_TLS_H

#include <node_api.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <ssn.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the state array shared with JS (src/native.ts mirrors these) -------------------- */
#define SST_S_FLAGS 0   /* SST_F_* bits after the call */
#define SST_S_OUT 1     /* ciphertext bytes the call wrote to out[0..) */
#define SST_S_PENDING 2 /* ciphertext bytes held inside (fd mode: the socket was full) */
#define SST_S_SHORT_READ_DRAINS 3 /* in, fd mode: JS sets 1 when a short read(2) empties the
                                   * socket (no EOF seen yet), so recv skips the EAGAIN read */
#define SST_S_SIZE 4

#define SST_F_HANDSHAKE_DONE 1  /* the handshake has completed */
#define SST_F_PEER_CLOSED 2     /* the peer's close_notify was read (or a clean EOF) */
#define SST_F_MORE_OUT 4        /* ciphertext is still held inside: call again to get it */
#define SST_F_MORE_IN 8         /* plaintext or input is still held inside: recv again */
#define SST_F_NEED_CONTEXT 16   /* SNI: the ClientHello waits for selectContext() */
#define SST_F_SENT_SHUTDOWN 32  /* our close_notify has been produced */

/* A hot-path call failed; the details wait in takeError(). */
#define SST_FAILED (-1)

/* Largest plaintext per record, and what a record adds at most (header, IV, MAC,
 * padding): send() encrypts a chunk only when out has room for all of its record. */
#define SST_RECORD_PLAIN 16384
#define SST_RECORD_OVERHEAD 512
#define SST_READ_BUFFER (64 * 1024) /* fd mode: what one read(2) may take */

/* ---- the last failure, captured from OpenSSL's error queue -------------------------- */
typedef struct sst_error {
  int set;
  char code[96];     /* the reason as an identifier: CERTIFICATE_VERIFY_FAILED */
  char library[64];  /* "SSL routines" */
  char reason[160];  /* "certificate verify failed" */
  long verify;       /* X509 verify result; X509_V_OK when none */
  int sys_errno;     /* errno of a failed syscall (fd mode), else 0 */
} sst_error;

typedef struct sst_instance {
  ssn_shared_arrays arrays;     /* first: state and out, registered by init() */
  napi_env env;
  ssn_table contexts;           /* SSL_CTX*, one reference each */
  ssn_table conns;              /* sst_conn* */
  BIO_METHOD *bio_method;
  size_t out_len;               /* bytes of arrays.out filled during the current call */
  sst_error error;
} sst_instance;
_Static_assert(offsetof(sst_instance, arrays) == 0, "ssn_shared_arrays_init needs it first");

/* One TLS connection. */
typedef struct sst_conn {
  sst_instance *inst;
  SSL *ssl;
  int fd;                       /* fd mode: the socket; -1: caller-fed (span) mode */
  int allow_eof;                /* a clean EOF without close_notify reads as the end */
  int eof;                      /* the transport reported the end of its input */
  int clean_end;                /* EOF before any byte: nothing to report but the end */
  int failed;                   /* a call failed: the connection is unusable */
  int sys_errno;                /* fd mode: errno of a failed read/send */
  int drained;                  /* fd mode, this recv: a short read emptied the socket */
  int short_read_drains;        /* fd mode, this recv: SST_S_SHORT_READ_DRAINS was set */
  int hold_output;              /* fd mode: JS holds earlier ciphertext (takePending): queue
                                 * ours behind it until JS sends again (send/shutdown) */
  uint64_t bytes_in;            /* ciphertext bytes handed to OpenSSL so far */
  uint64_t socket_read;         /* fd mode: bytes read(2) from the socket so far */
  uint64_t socket_written;      /* fd mode: bytes send(2) to the socket so far */
  /* Input: the caller's bytes during recv(), then what OpenSSL left of them. */
  const uint8_t *in;
  size_t in_len;
  uint8_t *stash;
  size_t stash_off, stash_len, stash_cap;
  /* Record boundary tracking, so that EOF can tell a clean end from a cut record. */
  uint8_t hdr[5];
  uint32_t hdr_have, body_left;
  /* Output that did not fit in the instance's out (or the socket): sent first, later. */
  uint8_t *pend;
  size_t pend_off, pend_len, pend_cap;
  /* SNI: 0 none yet, 1 waiting for selectContext, 2 chosen, 3 done. */
  int sni_state;
  SSL_CTX *chosen;
  char *servername;
} sst_conn;

/* Per-SSL_CTX data, freed with the SSL_CTX (connections may outlive the context id). */
typedef struct sst_ctx_data {
  int server;
  uint8_t *alpn;                /* server: our protocols, ALPN wire format */
  size_t alpn_len;
} sst_ctx_data;

/* ---- props.c: option objects (the argument decoders are ssn_* in ssn.h) ------------ */
/* An optional string property of obj, malloc'ed (NULL when absent); -1 on failure. */
int sst_prop_string(napi_env env, napi_value obj, const char *name, char **out, size_t *len);
/* An optional int/bool property (def when absent). */
int sst_prop_int(napi_env env, napi_value obj, const char *name, int32_t def, int32_t *out);
int sst_prop_bytes(napi_env env, napi_value obj, const char *name, uint8_t **data,
                   size_t *len);

/* ---- errors.c ------------------------------------------------------------------------ */
/* Captures the OpenSSL error queue (and the verify result of ssl, if given) into
 * inst->error, then clears the queue. `fallback` names failures that left no error. */
void sst_capture_error(sst_instance *inst, const SSL *ssl, const char *fallback);
/* Sets inst->error to a failure of our own. */
void sst_set_error(sst_instance *inst, const char *code, const char *reason);
/* The X509_V_ERR_* name without its prefix ("CERT_HAS_EXPIRED"), or NULL for OK. */
const char *sst_verify_name(long result);
napi_value sst_take_error(napi_env env, napi_callback_info info);

/* ---- bio.c: the engine's BIO (caller-fed bytes or a socket fd) ----------------------- */
BIO_METHOD *sst_bio_method_new(void);
/* Copies out to the instance's out, overflowing into c->pend. 0, or -1 out of memory. */
int sst_emit(sst_conn *c, const uint8_t *p, size_t n);
/* Moves held output into out (span mode) or the socket (fd mode). */
void sst_drain_pending(sst_conn *c);
/* fd mode, end of a call: sends out (then pend) to the socket. 0, or -1 out of memory. */
int sst_flush_out(sst_conn *c);
/* Keeps what OpenSSL did not read of the caller's input. 0, or -1 out of memory. */
int sst_stash_input(sst_conn *c);
/* True when the input ends between records (a cut record makes EOF an error). */
int sst_at_record_boundary(const sst_conn *c);
/* The transport ended: decides between a clean end and a truncation (see sst_eof). */
void sst_note_eof(sst_conn *c);

/* ---- context.c ---------------------------------------------------------------------- */
napi_value sst_context_create(napi_env env, napi_callback_info info);
napi_value sst_context_free(napi_env env, napi_callback_info info);
/* Index of the per-SSL_CTX data (ALPN list...), registered once per process. */
int sst_ctx_data_index(void);

/* ---- conn.c ------------------------------------------------------------------------- */
napi_value sst_conn_create(napi_env env, napi_callback_info info);
napi_value sst_conn_free(napi_env env, napi_callback_info info);
napi_value sst_recv(napi_env env, napi_callback_info info);
napi_value sst_send(napi_env env, napi_callback_info info);
napi_value sst_shutdown(napi_env env, napi_callback_info info);
napi_value sst_eof(napi_env env, napi_callback_info info);
napi_value sst_select_context(napi_env env, napi_callback_info info);
napi_value sst_take_pending(napi_env env, napi_callback_info info);
void sst_conn_destroy(sst_conn *c);
/* The connection of a JS id argument; throws (returns NULL) for a stale or bad id. */
sst_conn *sst_conn_arg(napi_env env, sst_instance *inst, napi_value v);
/* The same for a call whose one argument is a connection id. */
sst_conn *sst_conn_only_arg(napi_env env, napi_callback_info info);
/* The client hello callback of SNI servers (installed by context.c). */
int sst_client_hello_cb(SSL *ssl, int *alert, void *arg);

/* ---- info.c: cold-path facts about a connection ------------------------------------- */
napi_value sst_info(napi_env env, napi_callback_info info);
napi_value sst_peer_certificate(napi_env env, napi_callback_info info);
napi_value sst_socket_bytes(napi_env env, napi_callback_info info);

/* Empties the thread's OpenSSL error queue. The data path does this twice per call, and
 * the queue is nearly always empty: a peek is much cheaper than ERR_clear_error's sweep
 * of all its slots (3% of a TLS echo server's CPU with 32 B messages). */
static inline void sst_clear_errors(void) {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

#endif /* SST_TLS_H */
