/*
 * context.c: SSL_CTX from PEM and options. A context is immutable once made: JS swaps
 * contexts instead of changing one, so a connection never sees a half-applied change.
 * Options come as one object checked by src/context.ts (cold path, read by name here).
 */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- per-SSL_CTX data ---------------------------------------------------------------- */

static int ctx_index = -1;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_data_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                          void *argp) {
  sst_ctx_data *d = ptr;
  (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
  if (d == NULL) return;
  free(d->alpn);
  free(d);
}

/* OpenSSL's ex_data registry is process-wide: one index serves every worker. */
static void register_index(void) {
  ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ctx_data_free);
}

int sst_ctx_data_index(void) {
  pthread_once(&ctx_once, register_index);
  return ctx_index;
}

/* ---- callbacks ----------------------------------------------------------------------- */

/* Verification runs, its result is kept for `authorized`, and the handshake goes on. */
static int accept_any(int ok, X509_STORE_CTX *store) {
  (void)ok, (void)store;
  return 1;
}

/* The passphrase or nothing: OpenSSL's default callback would prompt on the terminal. */
static int passphrase_cb(char *buf, int size, int rwflag, void *u) {
  const char *pw = u;
  (void)rwflag;
  if (pw == NULL) return 0;
  size_t n = strlen(pw);
  if (n > (size_t)size) return 0;
  memcpy(buf, pw, n);
  return (int)n;
}

/* Server ALPN: our first protocol the client also offers, else a fatal alert (RFC 7301). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
  sst_ctx_data *d = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sst_ctx_data_index());
  (void)arg;
  if (d == NULL || d->alpn_len == 0) return SSL_TLSEXT_ERR_NOACK;
  if (SSL_select_next_proto((unsigned char **)out, outlen, d->alpn, (unsigned)d->alpn_len,
                            in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  return SSL_TLSEXT_ERR_OK;
}

/* ---- PEM ----------------------------------------------------------------------------- */

/* The end of a PEM list shows as "no start line": not an error. */
static void clear_pem_end(void) {
  unsigned long e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
    ERR_clear_error();
}

static int use_chain(SSL_CTX *ctx, const char *pem, size_t len) {
  BIO *b = BIO_new_mem_buf(pem, (int)len);
  X509 *x;
  int ok = 0;
  if (b == NULL) return 0;
  x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
  if (x != NULL && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_clear_chain_certs(ctx) == 1) {
    X509 *ca;
    ok = 1;
    while (ok && (ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
      ok = SSL_CTX_add0_chain_cert(ctx, ca) == 1; /* takes ca on success */
      if (!ok) X509_free(ca);
    }
    if (ok) clear_pem_end();
  }
  X509_free(x);
  BIO_free(b);
  return ok && ERR_peek_error() == 0;
}

static int use_key(SSL_CTX *ctx, const char *pem, size_t len, const char *passphrase) {
  BIO *b = BIO_new_mem_buf(pem, (int)len);
  if (b == NULL) return 0;
  EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, passphrase_cb, (void *)passphrase);
  int ok = key != NULL && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  BIO_free(b);
  return ok;
}

/* Trusts every certificate of the bundle; a verifying server also names them to clients
 * (the CertificateRequest's list of acceptable CAs). */
static int use_ca(SSL_CTX *ctx, const char *pem, size_t len, int name_to_clients) {
  BIO *b = BIO_new_mem_buf(pem, (int)len);
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  X509 *x;
  int count = 0, ok = 1;
  if (b == NULL) return 0;
  while (ok && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
    ok = X509_STORE_add_cert(store, x) == 1 &&
         (!name_to_clients || SSL_CTX_add_client_CA(ctx, x) == 1);
    X509_free(x);
    count++;
  }
  BIO_free(b);
  if (!ok) return 0;
  if (count == 0) return 0; /* the "no start line" error explains it */
  clear_pem_end();
  return 1;
}

/* ---- contextCreate(options) -> id > 0 | -1 (details: takeError) --------------------- */

typedef struct options {
  int32_t server, verify, sni, tickets, session_timeout, min_version, max_version;
  char *cert, *key, *passphrase, *ca, *ciphers, *cipher_suites;
  size_t cert_len, key_len, ca_len;
  uint8_t *alpn;
  size_t alpn_len;
} options;

static void options_free(options *o) {
  free(o->cert), free(o->key), free(o->passphrase), free(o->ca), free(o->ciphers),
      free(o->cipher_suites);
}

static int read_options(napi_env env, napi_value obj, options *o) {
  *o = (options){0};
  return sst_prop_int(env, obj, "server", 0, &o->server) ||
         sst_prop_int(env, obj, "verify", 0, &o->verify) ||
         sst_prop_int(env, obj, "sni", 0, &o->sni) ||
         sst_prop_int(env, obj, "tickets", 1, &o->tickets) ||
         sst_prop_int(env, obj, "sessionTimeout", 0, &o->session_timeout) ||
         sst_prop_int(env, obj, "minVersion", TLS1_2_VERSION, &o->min_version) ||
         sst_prop_int(env, obj, "maxVersion", TLS1_3_VERSION, &o->max_version) ||
         sst_prop_string(env, obj, "cert", &o->cert, &o->cert_len) ||
         sst_prop_string(env, obj, "key", &o->key, &o->key_len) ||
         sst_prop_string(env, obj, "passphrase", &o->passphrase, NULL) ||
         sst_prop_string(env, obj, "ca", &o->ca, &o->ca_len) ||
         sst_prop_string(env, obj, "ciphers", &o->ciphers, NULL) ||
         sst_prop_string(env, obj, "cipherSuites", &o->cipher_suites, NULL) ||
         sst_prop_bytes(env, obj, "alpn", &o->alpn, &o->alpn_len);
}

/* Applies o to ctx; 0 on success, -1 with inst->error set. */
static int configure(sst_instance *inst, SSL_CTX *ctx, sst_ctx_data *d, const options *o) {
  const char *step = NULL;
  long opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
  if (o->server) opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  if (o->server && !o->tickets) opts |= SSL_OP_NO_TICKET;
  SSL_CTX_set_options(ctx, opts);
  /* Idle connections give their record buffers back (~34 KiB each). */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!SSL_CTX_set_min_proto_version(ctx, o->min_version) ||
      !SSL_CTX_set_max_proto_version(ctx, o->max_version))
    step = "bad protocol version";
  else if (o->ciphers != NULL && !SSL_CTX_set_cipher_list(ctx, o->ciphers))
    step = "bad ciphers";
  else if (o->cipher_suites != NULL && !SSL_CTX_set_ciphersuites(ctx, o->cipher_suites))
    step = "bad cipherSuites";
  else if (o->cert != NULL && !use_chain(ctx, o->cert, o->cert_len))
    step = "bad cert";
  else if (o->key != NULL && !use_key(ctx, o->key, o->key_len, o->passphrase))
    step = "bad key";
  else if (o->ca != NULL && !use_ca(ctx, o->ca, o->ca_len, o->server && o->verify != 0))
    step = "bad ca";
  if (step != NULL) {
    sst_capture_error(inst, NULL, step);
    return -1;
  }
  switch (o->verify) {
    case 0: SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); break;
    case 1: SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any); break;
    default:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (o->server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
  }
  if (o->alpn_len > 0) {
    if (o->server) {
      d->alpn = malloc(o->alpn_len);
      if (d->alpn == NULL) {
        sst_set_error(inst, "OUT_OF_MEMORY", "out of memory");
        return -1;
      }
      memcpy(d->alpn, o->alpn, o->alpn_len);
      d->alpn_len = o->alpn_len;
      SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    } else if (SSL_CTX_set_alpn_protos(ctx, o->alpn, (unsigned)o->alpn_len) != 0) {
      sst_capture_error(inst, NULL, "bad alpnProtocols");
      return -1;
    }
  }
  if (o->server) {
    /* Needed for resumption whenever client certificates are verified. */
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"simple-stream", 13);
    if (!o->tickets) SSL_CTX_set_num_tickets(ctx, 0);
    if (o->session_timeout > 0) SSL_CTX_set_timeout(ctx, o->session_timeout);
    if (o->sni) SSL_CTX_set_client_hello_cb(ctx, sst_client_hello_cb, NULL);
  }
  return 0;
}

napi_value sst_context_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sst_instance *inst;
  options o;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (read_options(env, argv[0], &o) != 0) {
    options_free(&o);
    return NULL;
  }
  ERR_clear_error();
  SSL_CTX *ctx = SSL_CTX_new(TLS_method());
  sst_ctx_data *d = calloc(1, sizeof *d);
  uint32_t id = 0;
  if (ctx == NULL || d == NULL || !SSL_CTX_set_ex_data(ctx, sst_ctx_data_index(), d)) {
    free(d);
    sst_capture_error(inst, NULL, "cannot create SSL_CTX");
  } else {
    d->server = o.server; /* d belongs to ctx from here */
    if (configure(inst, ctx, d, &o) == 0) {
      id = ssn_table_put(&inst->contexts, ctx);
      if (id == 0) sst_set_error(inst, "OUT_OF_MEMORY", "out of context slots");
    }
  }
  options_free(&o);
  ERR_clear_error();
  if (id == 0) {
    SSL_CTX_free(ctx);
    return ssn_int(env, SST_FAILED);
  }
  return ssn_int(env, (int32_t)id);
}

/* contextFree(id): drops our reference; connections using it keep theirs. */
napi_value sst_context_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sst_instance *inst;
  uint32_t id;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ssn_arg_u32(env, argv[0], "context", &id) != 0) return NULL;
  SSL_CTX *ctx = ssn_table_take(&inst->contexts, id);
  if (ctx != NULL) SSL_CTX_free(ctx);
  return ssn_undefined(env);
}
