/*
 * errors.c: turning OpenSSL failures into what TlsError carries. The error queue is
 * per thread and shared with Node's own crypto, so every failure is captured at once
 * into the instance and the queue is left empty.
 */
#include "tls.h"

#include <ctype.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>

#define V(name) {X509_V_ERR_##name, #name}
static const struct {
  long value;
  const char *name;
} verify_names[] = {
    V(UNABLE_TO_GET_ISSUER_CERT), V(UNABLE_TO_GET_CRL), V(UNABLE_TO_DECRYPT_CERT_SIGNATURE),
    V(UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY), V(CERT_SIGNATURE_FAILURE), V(CERT_NOT_YET_VALID),
    V(CERT_HAS_EXPIRED), V(ERROR_IN_CERT_NOT_BEFORE_FIELD), V(ERROR_IN_CERT_NOT_AFTER_FIELD),
    V(OUT_OF_MEM), V(DEPTH_ZERO_SELF_SIGNED_CERT), V(SELF_SIGNED_CERT_IN_CHAIN),
    V(UNABLE_TO_GET_ISSUER_CERT_LOCALLY), V(UNABLE_TO_VERIFY_LEAF_SIGNATURE),
    V(CERT_CHAIN_TOO_LONG), V(CERT_REVOKED), V(PATH_LENGTH_EXCEEDED), V(INVALID_PURPOSE),
    V(CERT_UNTRUSTED), V(CERT_REJECTED), V(INVALID_CA), V(INVALID_NON_CA),
    V(KEYUSAGE_NO_CERTSIGN), V(KEYUSAGE_NO_DIGITAL_SIGNATURE), V(UNHANDLED_CRITICAL_EXTENSION),
    V(HOSTNAME_MISMATCH), V(EMAIL_MISMATCH), V(IP_ADDRESS_MISMATCH), V(EE_KEY_TOO_SMALL),
    V(CA_KEY_TOO_SMALL), V(CA_MD_TOO_WEAK), V(APPLICATION_VERIFICATION),
    V(UNSUPPORTED_SIGNATURE_ALGORITHM),
};
#undef V

const char *sst_verify_name(long result) {
  static __thread char unknown[32];
  if (result == X509_V_OK) return NULL;
  for (size_t i = 0; i < sizeof verify_names / sizeof verify_names[0]; i++)
    if (verify_names[i].value == result) return verify_names[i].name;
  snprintf(unknown, sizeof unknown, "VERIFY_ERROR_%ld", result);
  return unknown;
}

static void copy(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* "certificate verify failed" -> "CERTIFICATE_VERIFY_FAILED" */
static void identifier(char *dst, size_t cap, const char *reason) {
  size_t i = 0;
  for (; reason[i] != '\0' && i + 1 < cap; i++) {
    unsigned char ch = (unsigned char)reason[i];
    dst[i] = isalnum(ch) ? (char)toupper(ch) : '_';
  }
  dst[i] = '\0';
}

void sst_set_error(sst_instance *inst, const char *code, const char *reason) {
  sst_error *e = &inst->error;
  *e = (sst_error){.set = 1, .verify = X509_V_OK};
  copy(e->code, sizeof e->code, code);
  copy(e->reason, sizeof e->reason, reason);
}

void sst_capture_error(sst_instance *inst, const SSL *ssl, const char *fallback) {
  sst_error *e = &inst->error;
  /* The first error is the cause; later ones are context added on the way up. */
  unsigned long first = ERR_get_error();
  ERR_clear_error();
  *e = (sst_error){.set = 1, .verify = X509_V_OK};
  if (ssl != NULL) e->verify = SSL_get_verify_result(ssl);
  if (first != 0) {
    const char *reason = ERR_reason_error_string(first);
    char numbered[32];
    if (reason == NULL) {
      snprintf(numbered, sizeof numbered, "error %d", ERR_GET_REASON(first));
      reason = numbered;
    }
    copy(e->library, sizeof e->library, ERR_lib_error_string(first));
    copy(e->reason, sizeof e->reason, reason);
    identifier(e->code, sizeof e->code, reason);
  } else {
    copy(e->reason, sizeof e->reason, fallback);
    identifier(e->code, sizeof e->code, fallback);
  }
}

static int set_str(napi_env env, napi_value obj, const char *key, const char *value) {
  return napi_set_named_property(env, obj, key, ssn_string(env, value)) == napi_ok ? 0 : -1;
}

/* takeError() -> { code, library, reason, verifyCode, verifyMessage, errno } | null */
napi_value sst_take_error(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  sst_instance *inst;
  napi_value obj;
  if ((inst = ssn_args(env, info, &argc, NULL)) == NULL) return NULL;
  sst_error *e = &inst->error;
  if (!e->set) {
    napi_get_null(env, &obj);
    return obj;
  }
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  const char *vname = sst_verify_name(e->verify);
  if (set_str(env, obj, "code", e->code) || set_str(env, obj, "library", e->library[0] ? e->library : NULL) ||
      set_str(env, obj, "reason", e->reason) || set_str(env, obj, "verifyCode", vname) ||
      set_str(env, obj, "verifyMessage", vname ? X509_verify_cert_error_string(e->verify) : NULL) ||
      napi_set_named_property(env, obj, "errno", ssn_int(env, e->sys_errno)) != napi_ok)
    return NULL;
  e->set = 0;
  return obj;
}
