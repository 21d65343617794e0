/*
 * info.c: cold-path facts about a connection (negotiated protocol, cipher, ALPN, SNI,
 * verification) and the peer's certificate, as plain JS objects.
 */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int set(napi_env env, napi_value obj, const char *key, napi_value value) {
  return value != NULL && napi_set_named_property(env, obj, key, value) == napi_ok ? 0 : -1;
}

static napi_value boolean(napi_env env, int b) {
  napi_value r = NULL;
  napi_get_boolean(env, b != 0, &r);
  return r;
}

/* info(conn) -> { protocol, cipher, alpn, servername, sessionReused, verifyCode,
 *                 verifyMessage, peerCertificate: boolean, server } */
napi_value sst_info(napi_env env, napi_callback_info info) {
  napi_value obj, alpn = NULL;
  sst_conn *c = sst_conn_only_arg(env, info);
  if (c == NULL) return NULL;
  SSL *ssl = c->ssl;
  const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
  const unsigned char *proto = NULL;
  unsigned proto_len = 0;
  SSL_get0_alpn_selected(ssl, &proto, &proto_len);
  if (proto_len > 0) napi_create_string_utf8(env, (const char *)proto, proto_len, &alpn);
  else napi_get_null(env, &alpn);
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == NULL) name = c->servername;
  long verify = SSL_get_verify_result(ssl);
  const char *vname = sst_verify_name(verify);
  int done = SSL_is_init_finished(ssl);
  if (napi_create_object(env, &obj) != napi_ok ||
      set(env, obj, "protocol", ssn_string(env, done ? SSL_get_version(ssl) : NULL)) ||
      set(env, obj, "cipher", ssn_string(env, cipher ? SSL_CIPHER_get_name(cipher) : NULL)) ||
      set(env, obj, "alpn", alpn) || set(env, obj, "servername", ssn_string(env, name)) ||
      set(env, obj, "sessionReused", boolean(env, SSL_session_reused(ssl))) ||
      set(env, obj, "verifyCode", ssn_string(env, vname)) ||
      set(env, obj, "verifyMessage", ssn_string(env, vname ? X509_verify_cert_error_string(verify) : NULL)) ||
      set(env, obj, "peerCertificate", boolean(env, SSL_get0_peer_certificate(ssl) != NULL)) ||
      set(env, obj, "server", boolean(env, SSL_is_server(ssl))))
    return NULL;
  return obj;
}

/* { CN: 'localhost', O: ['a', 'b'] }: a repeated attribute becomes an array (as in Node). */
static napi_value name_object(napi_env env, const X509_NAME *name) {
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  int n = X509_NAME_entry_count(name);
  for (int i = 0; i < n; i++) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
    const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);
    char key[80];
    int nid = OBJ_obj2nid(o);
    if (nid != NID_undef) snprintf(key, sizeof key, "%s", OBJ_nid2sn(nid));
    else OBJ_obj2txt(key, sizeof key, o, 1);
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (len < 0) continue;
    napi_value value, prev;
    bool has = false;
    napi_create_string_utf8(env, (const char *)utf8, (size_t)len, &value);
    OPENSSL_free(utf8);
    napi_has_named_property(env, obj, key, &has);
    if (has) {
      bool is_array = false;
      napi_get_named_property(env, obj, key, &prev);
      napi_is_array(env, prev, &is_array);
      if (!is_array) {
        napi_value arr;
        napi_create_array(env, &arr);
        napi_set_element(env, arr, 0, prev);
        prev = arr;
      }
      uint32_t at = 0;
      napi_get_array_length(env, prev, &at);
      napi_set_element(env, prev, at, value);
      value = prev;
    }
    napi_set_named_property(env, obj, key, value);
  }
  return obj;
}

/* Milliseconds since the epoch, for `new Date(ms)`. */
static napi_value time_ms(napi_env env, const ASN1_TIME *t) {
  struct tm tm;
  napi_value r = NULL;
  if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) napi_get_null(env, &r);
  else napi_create_double(env, (double)timegm(&tm) * 1000.0, &r);
  return r;
}

/* 'AB:CD:...' of bytes, as Node prints fingerprints and serial numbers. */
static napi_value hex(napi_env env, const unsigned char *p, size_t n, int colons) {
  char buf[3 * 64 + 1];
  size_t at = 0;
  if (n > 64) n = 64;
  for (size_t i = 0; i < n; i++)
    at += (size_t)snprintf(buf + at, sizeof buf - at, colons && i ? ":%02X" : "%02X", p[i]);
  buf[at] = '\0';
  return ssn_string(env, buf);
}

/* "DNS:localhost, IP Address:127.0.0.1", or null. */
static napi_value alt_names(napi_env env, X509 *x) {
  int at = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
  BIO *b;
  napi_value r = NULL;
  if (at < 0 || (b = BIO_new(BIO_s_mem())) == NULL) {
    napi_get_null(env, &r);
    return r;
  }
  if (X509V3_EXT_print(b, X509_get_ext(x, at), 0, 0) == 1) {
    char *data;
    long len = BIO_get_mem_data(b, &data);
    napi_create_string_utf8(env, data, (size_t)len, &r);
  } else {
    napi_get_null(env, &r);
  }
  BIO_free(b);
  ERR_clear_error();
  return r;
}

/* peerCertificate(conn) -> { subject, issuer, subjectAltName, validFrom, validTo,
 *                            fingerprint256, serialNumber, raw } | null */
napi_value sst_peer_certificate(napi_env env, napi_callback_info info) {
  napi_value obj, raw;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned md_len = 0;
  void *der;
  sst_conn *c = sst_conn_only_arg(env, info);
  if (c == NULL) return NULL;
  X509 *x = SSL_get0_peer_certificate(c->ssl);
  if (x == NULL) {
    napi_get_null(env, &obj);
    return obj;
  }
  int der_len = i2d_X509(x, NULL);
  napi_value buffer;
  if (der_len < 0 || napi_create_arraybuffer(env, (size_t)der_len, &der, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, (size_t)der_len, buffer, 0, &raw) != napi_ok)
    return NULL;
  unsigned char *p = der;
  i2d_X509(x, &p);
  X509_digest(x, EVP_sha256(), md, &md_len);
  const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
  if (napi_create_object(env, &obj) != napi_ok ||
      set(env, obj, "subject", name_object(env, X509_get_subject_name(x))) ||
      set(env, obj, "issuer", name_object(env, X509_get_issuer_name(x))) ||
      set(env, obj, "subjectAltName", alt_names(env, x)) ||
      set(env, obj, "validFrom", time_ms(env, X509_get0_notBefore(x))) ||
      set(env, obj, "validTo", time_ms(env, X509_get0_notAfter(x))) ||
      set(env, obj, "fingerprint256", hex(env, md, md_len, 1)) ||
      set(env, obj, "serialNumber", hex(env, ASN1_STRING_get0_data(serial), (size_t)ASN1_STRING_length(serial), 0)) ||
      set(env, obj, "raw", raw))
    return NULL;
  return obj;
}

/* socketBytes(conn) -> [read, written]: what fd mode moved on the socket itself (the
 * transport's own counters never see it); [0, 0] in span mode. */
napi_value sst_socket_bytes(napi_env env, napi_callback_info info) {
  napi_value arr, v;
  sst_conn *c = sst_conn_only_arg(env, info);
  if (c == NULL) return NULL;
  if (napi_create_array_with_length(env, 2, &arr) != napi_ok ||
      napi_create_double(env, (double)c->socket_read, &v) != napi_ok ||
      napi_set_element(env, arr, 0, v) != napi_ok ||
      napi_create_double(env, (double)c->socket_written, &v) != napi_ok ||
      napi_set_element(env, arr, 1, v) != napi_ok)
    return NULL;
  return arr;
}
