/*
 * conn.c: one TLS connection (SSL + our BIO) and the data path (SNI is in sni.c).
 *
 * Each hot-path call does all it can in one crossing: recv() feeds ciphertext, advances
 * the handshake and decrypts into the caller's buffer until it is full or input runs
 * out; send() advances the handshake and encrypts as much plaintext as `out` has room
 * for. Whatever OpenSSL writes meanwhile (handshake flights, alerts, tickets, key
 * updates) lands in `out`; JS writes it to the transport after the call.
 */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

sst_conn *sst_conn_arg(napi_env env, sst_instance *inst, napi_value v) {
  uint32_t id;
  if (ssn_arg_u32(env, v, "connection", &id) != 0) return NULL;
  sst_conn *c = ssn_table_get(&inst->conns, id);
  if (c == NULL) napi_throw_range_error(env, "ERR_TLS_BAD_ID", "unknown or freed TLS connection");
  else if (inst->arrays.state == NULL) {
    napi_throw_error(env, NULL, "tls: init() was not called");
    return NULL;
  }
  return c;
}

sst_conn *sst_conn_only_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sst_instance *inst = ssn_args(env, info, &argc, argv);
  return inst == NULL ? NULL : sst_conn_arg(env, inst, argv[0]);
}

/* An optional string argument, malloc'ed; NULL when undefined/null. */
static int opt_string(napi_env env, napi_value v, char **out) {
  size_t n;
  *out = NULL;
  if (ssn_is_nullish(env, v)) return 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "host names must be strings");
    return -1;
  }
  *out = malloc(n + 1);
  if (*out == NULL || napi_get_value_string_utf8(env, v, *out, n + 1, &n) != napi_ok) {
    free(*out);
    *out = NULL;
    napi_throw_error(env, NULL, "tls: out of memory");
    return -1;
  }
  return 0;
}

void sst_conn_destroy(sst_conn *c) {
  SSL_free(c->ssl); /* frees the BIO too */
  if (c->chosen != NULL) SSL_CTX_free(c->chosen);
  free(c->stash);
  free(c->pend);
  free(c->servername);
  free(c);
}

/* Sets the client side's SNI and the name its peer's certificate must carry. */
static int client_names(SSL *ssl, const char *sni, const char *host, const char *ip) {
  if (sni != NULL && !SSL_set_tlsext_host_name(ssl, sni)) return 0;
  if (host != NULL) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (!SSL_set1_host(ssl, host)) return 0;
  }
  if (ip != NULL && !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip)) return 0;
  return 1;
}

/* connCreate(ctx, sni?, verifyHost?, verifyIp?, allowEof, fd) -> id | -1 */
napi_value sst_conn_create(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  sst_instance *inst;
  uint32_t ctx_id;
  int32_t fd = -1;
  bool allow_eof = false;
  char *sni = NULL, *host = NULL, *ip = NULL;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ssn_arg_u32(env, argv[0], "context", &ctx_id) != 0) return NULL;
  if (napi_get_value_bool(env, argv[4], &allow_eof) != napi_ok ||
      napi_get_value_int32(env, argv[5], &fd) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "allowEof and fd are required");
    return NULL;
  }
  SSL_CTX *ctx = ssn_table_get(&inst->contexts, ctx_id);
  if (ctx == NULL) {
    napi_throw_range_error(env, "ERR_TLS_BAD_ID", "unknown or freed TLS context");
    return NULL;
  }
  if (opt_string(env, argv[1], &sni) || opt_string(env, argv[2], &host) ||
      opt_string(env, argv[3], &ip)) {
    free(sni), free(host), free(ip);
    return NULL;
  }
  ERR_clear_error();
  sst_ctx_data *d = SSL_CTX_get_ex_data(ctx, sst_ctx_data_index());
  sst_conn *c = calloc(1, sizeof *c);
  BIO *bio = NULL;
  uint32_t id = 0;
  if (c != NULL) {
    c->inst = inst;
    c->fd = fd;
    c->allow_eof = allow_eof;
    c->ssl = SSL_new(ctx);
    bio = BIO_new(inst->bio_method);
  }
  int ok = c != NULL && c->ssl != NULL && bio != NULL;
  if (!ok) {
    sst_capture_error(inst, NULL, "out of memory");
    BIO_free(bio);
  } else {
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio); /* one reference, owned by the SSL */
    SSL_set_app_data(c->ssl, c);
    /* fd mode: one read(2) takes as much as OpenSSL's buffer holds, not a header then a
     * body per record. (Span mode copies from memory: small reads cost nothing.) */
    if (fd >= 0) {
      SSL_set_read_ahead(c->ssl, 1);
      /* Up to four full records per read(2) instead of one: a third fewer syscalls per
       * 16 KiB echo. With SSL_MODE_RELEASE_BUFFERS an idle connection holds none of it. */
      SSL_set_default_read_buffer_len(c->ssl, SST_READ_BUFFER);
    }
    if (d != NULL && d->server) {
      SSL_set_accept_state(c->ssl);
    } else {
      SSL_set_connect_state(c->ssl);
      ok = client_names(c->ssl, sni, host, ip);
      if (!ok) sst_capture_error(inst, NULL, "bad host name");
    }
    if (ok) {
      id = ssn_table_put(&inst->conns, c);
      if (id == 0) sst_set_error(inst, "OUT_OF_MEMORY", "out of connection slots");
    }
  }
  free(sni), free(host), free(ip);
  ERR_clear_error();
  if (id == 0) {
    if (c != NULL) sst_conn_destroy(c);
    return ssn_int(env, SST_FAILED);
  }
  return ssn_int(env, (int32_t)id);
}

/* connFree(id): idempotent for ids freed already. */
napi_value sst_conn_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sst_instance *inst;
  uint32_t id;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  if (ssn_arg_u32(env, argv[0], "connection", &id) != 0) return NULL;
  sst_conn *c = ssn_table_take(&inst->conns, id);
  if (c != NULL) sst_conn_destroy(c);
  return ssn_undefined(env);
}

/* ---- the data path ------------------------------------------------------------------- */

static int fail(sst_conn *c, const char *fallback) {
  c->failed = 1;
  sst_capture_error(c->inst, c->ssl, fallback);
  c->inst->error.sys_errno = c->sys_errno;
  return -1;
}

static int begin(sst_conn *c) {
  c->inst->out_len = 0;
  sst_clear_errors();
  if (c->failed) {
    sst_set_error(c->inst, "CONNECTION_FAILED", "the connection failed earlier");
    return -1;
  }
  sst_drain_pending(c);
  /* fd mode: the socket failed while sending held output. */
  return c->sys_errno != 0 ? fail(c, "SYSCALL") : 0;
}

/* After an SSL call returned r <= 0: 0 to stop for now (want more), -1 failed. */
static int settle(sst_conn *c, int r, int32_t *flags) {
  if (c->clean_end) {
    /* fd mode: the peer left before sending a byte (OpenSSL calls that a truncation). */
    ERR_clear_error();
    *flags |= SST_F_PEER_CLOSED;
    return 0;
  }
  switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return 0;
    case SSL_ERROR_WANT_CLIENT_HELLO_CB:
      *flags |= SST_F_NEED_CONTEXT;
      return 0;
    case SSL_ERROR_ZERO_RETURN:
      *flags |= SST_F_PEER_CLOSED;
      return 0;
    case SSL_ERROR_SYSCALL:
      return fail(c, c->sys_errno ? "SYSCALL" : "UNEXPECTED_EOF");
    default:
      return fail(c, "TLS failure");
  }
}

/* Writes the call's flags (with the connection's standing ones) and counts to the state
 * array; returns `result`. */
static napi_value report(napi_env env, sst_conn *c, int32_t flags, int32_t result) {
  sst_instance *inst = c->inst;
  int shut = SSL_get_shutdown(c->ssl);
  if (SSL_is_init_finished(c->ssl)) flags |= SST_F_HANDSHAKE_DONE;
  if (shut & SSL_SENT_SHUTDOWN) flags |= SST_F_SENT_SHUTDOWN;
  if ((shut & SSL_RECEIVED_SHUTDOWN) || c->clean_end) flags |= SST_F_PEER_CLOSED;
  inst->arrays.state[SST_S_FLAGS] = flags;
  inst->arrays.state[SST_S_OUT] = (int32_t)inst->out_len;
  inst->arrays.state[SST_S_PENDING] = (int32_t)(c->pend_len > INT32_MAX ? INT32_MAX : c->pend_len);
  /* Leave the thread's error queue empty for Node's own crypto (failures were captured). */
  sst_clear_errors();
  return ssn_int(env, result);
}

static int handshake(sst_conn *c, int32_t *flags) {
  if (SSL_is_init_finished(c->ssl)) return 0;
  int r = SSL_do_handshake(c->ssl);
  return r == 1 ? 0 : settle(c, r, flags);
}

static napi_value finish(napi_env env, sst_conn *c, int32_t flags, int32_t result) {
  sst_instance *inst = c->inst;
  if (c->clean_end) inst->out_len = 0; /* nobody to tell: the peer left without a word */
  if (c->fd >= 0) {
    if (sst_flush_out(c) != 0 && result != SST_FAILED) {
      c->failed = 1;
      sst_set_error(inst, "OUT_OF_MEMORY", "out of memory");
      result = SST_FAILED;
    }
    if (c->sys_errno != 0 && result != SST_FAILED) result = fail(c, "SYSCALL");
  }
  if (c->pend_len > 0 && c->fd < 0) flags |= SST_F_MORE_OUT;
  return report(env, c, flags, result);
}

/*
 * recv(conn, input | null, inOff, inLen, plain, plainOff, plainLen) -> plaintext bytes
 * written at plain[plainOff..], or -1. Input is consumed whole (kept inside if needed).
 */
napi_value sst_recv(napi_env env, napi_callback_info info) {
  size_t argc = 7, poff, pcount, ioff = 0, icount = 0, len;
  napi_value argv[7];
  sst_instance *inst;
  uint8_t *in = NULL, *plain;
  int32_t flags = 0;
  size_t got = 0;
  int failed;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  sst_conn *c = sst_conn_arg(env, inst, argv[0]);
  if (c == NULL) return NULL;
  if (!ssn_is_nullish(env, argv[1]) &&
      (ssn_arg_bytes(env, argv[1], "input", &in, &len) != 0 ||
       ssn_arg_window(env, argv[2], argv[3], len, &ioff, &icount) != 0))
    return NULL;
  if (ssn_arg_bytes(env, argv[4], "plain", &plain, &len) != 0 ||
      ssn_arg_window(env, argv[5], argv[6], len, &poff, &pcount) != 0)
    return NULL;
  if (c->clean_end) return finish(env, c, SST_F_PEER_CLOSED, 0);
  failed = begin(c);
  /* Edge-triggered: data arriving after a short read raises a new event, so no read(2)
   * is needed to see EAGAIN. Unless the peer's FIN may be in: then read on to see the 0. */
  c->drained = 0;
  c->short_read_drains = inst->arrays.state[SST_S_SHORT_READ_DRAINS] == 1;
  if (!failed) {
    c->in = in != NULL ? in + ioff : NULL;
    c->in_len = icount;
    failed = handshake(c, &flags);
  }
  while (!failed && SSL_is_init_finished(c->ssl) && got < pcount) {
    size_t n;
    int r = SSL_read_ex(c->ssl, plain + poff + got, pcount - got, &n);
    if (r == 1) {
      got += n;
      continue;
    }
    failed = settle(c, r, &flags);
    break;
  }
  /* A full buffer may leave bytes behind: in OpenSSL, in our stash, or (fd mode) in the
   * socket, whose edge-triggered readiness will not be reported again. */
  if (!failed && got == pcount && pcount > 0 &&
      (c->fd >= 0 || SSL_has_pending(c->ssl) || c->stash_len || c->in_len))
    flags |= SST_F_MORE_IN;
  if (sst_stash_input(c) != 0 && !failed) {
    c->failed = failed = 1;
    sst_set_error(inst, "OUT_OF_MEMORY", "out of memory");
  }
  return finish(env, c, flags, failed ? SST_FAILED : (int32_t)got);
}

/* send(conn, plain, off, len) -> plaintext bytes taken (0 during the handshake), or -1 */
napi_value sst_send(napi_env env, napi_callback_info info) {
  size_t argc = 4, off, count, len, done = 0;
  napi_value argv[4];
  sst_instance *inst;
  uint8_t *plain;
  int32_t flags = 0;
  int failed;
  if ((inst = ssn_args(env, info, &argc, argv)) == NULL) return NULL;
  sst_conn *c = sst_conn_arg(env, inst, argv[0]);
  if (c == NULL) return NULL;
  if (ssn_arg_bytes(env, argv[1], "plain", &plain, &len) != 0 ||
      ssn_arg_window(env, argv[2], argv[3], len, &off, &count) != 0)
    return NULL;
  c->hold_output = 0; /* JS sends only once its own queue is empty */
  failed = begin(c) || handshake(c, &flags);
  if (!failed && SSL_is_init_finished(c->ssl) && !(SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN)) {
    while (done < count && c->pend_len == 0) {
      size_t chunk = count - done, n;
      if (chunk > SST_RECORD_PLAIN) chunk = SST_RECORD_PLAIN;
      /* Only whole records that fit: a record cut across calls would need `pend`. */
      size_t room = inst->arrays.out_cap - inst->out_len;
      if (room < chunk + SST_RECORD_OVERHEAD) {
        if (room < 2 * SST_RECORD_OVERHEAD) break;
        chunk = room - SST_RECORD_OVERHEAD;
      }
      int r = SSL_write_ex(c->ssl, plain + off + done, chunk, &n);
      if (r != 1) {
        failed = settle(c, r, &flags);
        break;
      }
      done += n;
    }
  }
  return finish(env, c, flags, failed ? SST_FAILED : (int32_t)done);
}

/* shutdown(conn) -> 0 or -1: queues close_notify once the handshake is done. */
napi_value sst_shutdown(napi_env env, napi_callback_info info) {
  int32_t flags = 0;
  int failed;
  sst_conn *c = sst_conn_only_arg(env, info);
  if (c == NULL) return NULL;
  c->hold_output = 0; /* as in send */
  failed = begin(c);
  if (!failed && SSL_is_init_finished(c->ssl) && !(SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN)) {
    int r = SSL_shutdown(c->ssl);
    if (r < 0) failed = settle(c, r, &flags);
  }
  return finish(env, c, flags, failed ? SST_FAILED : 0);
}

/*
 * The transport has ended. At a record boundary after the handshake, and when allowed,
 * that is the end (as if close_notify had come); a server that got no byte at all just
 * ends (a port probe); otherwise OpenSSL reports the truncation at the next read.
 */
void sst_note_eof(sst_conn *c) {
  c->eof = 1;
  if (c->bytes_in == 0 && c->stash_len == 0 && SSL_is_server(c->ssl)) c->clean_end = 1;
  else if (c->allow_eof && SSL_is_init_finished(c->ssl) && sst_at_record_boundary(c))
    SSL_set_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

/* eof(conn): the transport reported its end (span mode; fd mode sees read() return 0). */
napi_value sst_eof(napi_env env, napi_callback_info info) {
  sst_conn *c = sst_conn_only_arg(env, info);
  if (c == NULL) return NULL;
  sst_note_eof(c);
  return ssn_undefined(env);
}

/*
 * takePending(conn) -> bytes moved to out: fd mode hands the output the socket did not
 * take to JS, whose transport then reports the EAGAIN itself (and can wait for EPOLLOUT).
 */
napi_value sst_take_pending(napi_env env, napi_callback_info info) {
  sst_conn *c = sst_conn_only_arg(env, info);
  if (c == NULL) return NULL;
  sst_instance *inst = c->inst;
  inst->out_len = 0;
  int fd = c->fd;
  c->fd = -1; /* drain into out, as span mode does */
  sst_drain_pending(c);
  c->fd = fd;
  c->hold_output = 1;
  int32_t flags = c->pend_len > 0 ? SST_F_MORE_OUT : 0;
  return report(env, c, flags, (int32_t)inst->out_len);
}
