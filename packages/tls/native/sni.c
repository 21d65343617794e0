/*
 * sni.c: server name indication on the server side. The client-hello callback reads the
 * requested host name and pauses the handshake once, so JavaScript can pick the context
 * (an exact name, a wildcard, a callback); selectContext() records the choice and the
 * next recv() resumes with it.
 */
#include "tls.h"

#include <stdlib.h>
#include <string.h>

/* selectContext(conn, ctx | 0): the SNI choice; 0 keeps the default context. */
napi_value sst_select_context(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  sst_instance *inst;
  uint32_t ctx_id;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  sst_conn *c = sst_conn_arg(env, inst, argv[0]);
  if (c == NULL || ssn_arg_u32(env, argv[1], "context", &ctx_id) != 0) return NULL;
  SSL_CTX *ctx = ctx_id == 0 ? NULL : ssn_table_get(&inst->contexts, ctx_id);
  if (ctx_id != 0 && ctx == NULL) {
    napi_throw_range_error(env, "ERR_TLS_BAD_ID", "unknown or freed TLS context");
    return NULL;
  }
  if (c->chosen != NULL) SSL_CTX_free(c->chosen);
  c->chosen = NULL;
  if (ctx != NULL && SSL_CTX_up_ref(ctx)) c->chosen = ctx;
  c->sni_state = 2;
  return ssn_undefined(env);
}

/* Reads the host name of a server_name extension (RFC 6066); NULL if malformed. */
static char *parse_server_name(const unsigned char *p, size_t len) {
  if (len < 2 || (size_t)((p[0] << 8) | p[1]) != len - 2) return NULL;
  p += 2, len -= 2;
  while (len >= 3) {
    size_t n = ((size_t)p[1] << 8) | p[2];
    if (n > len - 3) return NULL;
    if (p[0] == TLSEXT_NAMETYPE_host_name) {
      if (n == 0 || n > 255 || memchr(p + 3, 0, n) != NULL) return NULL;
      char *name = malloc(n + 1);
      if (name == NULL) return NULL;
      memcpy(name, p + 3, n);
      name[n] = '\0';
      return name;
    }
    p += 3 + n, len -= 3 + n;
  }
  return NULL;
}

/*
 * SNI servers: the first call pauses the handshake (JS sees SST_F_NEED_CONTEXT and the
 * name, picks a context, calls selectContext); the call after that switches to it.
 * SSL_set_SSL_CTX brings the certificate, key, trust store and ALPN of the chosen
 * context; its verify mode is copied by hand (SSL_new took the default's).
 */
int sst_client_hello_cb(SSL *ssl, int *alert, void *arg) {
  sst_conn *c = SSL_get_app_data(ssl);
  const unsigned char *ext;
  size_t len;
  (void)alert, (void)arg;
  if (c == NULL) return SSL_CLIENT_HELLO_SUCCESS;
  if (c->sni_state == 0) {
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len))
      c->servername = parse_server_name(ext, len);
    if (c->servername == NULL) {
      c->sni_state = 3; /* no name: the default context serves */
      return SSL_CLIENT_HELLO_SUCCESS;
    }
    c->sni_state = 1;
    return SSL_CLIENT_HELLO_RETRY;
  }
  if (c->sni_state == 2 && c->chosen != NULL) {
    SSL_CTX *ctx = c->chosen;
    c->chosen = NULL;
    if (SSL_set_SSL_CTX(ssl, ctx) == NULL) {
      SSL_CTX_free(ctx);
      return SSL_CLIENT_HELLO_ERROR;
    }
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
    SSL_CTX_free(ctx); /* the SSL holds its own reference now */
  }
  c->sni_state = 3;
  return SSL_CLIENT_HELLO_SUCCESS;
}
