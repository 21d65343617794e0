/* ws-handshake.h: the WebSocket load generator's opening handshake (RFC 6455 section 4.1),
 * blocking, before the clock starts: a GET with a fresh random Sec-WebSocket-Key (and,
 * when asked, the offer "permessage-deflate; client_max_window_bits", as browsers send
 * it), then the server's answer checked as a client must: 101, Upgrade: websocket,
 * Connection: upgrade, the Sec-WebSocket-Accept of our key, no extension or subprotocol
 * we did not offer. Anything else aborts the run (exit 2) with the server's head. */
#ifndef WS_HANDSHAKE_H
#define WS_HANDSHAKE_H
#include <sys/random.h>
#include "loadgen.h"
#include "ws-deflate.h"
#include "ws-upgrade.h"

static void refused(const lg_conn_t *c, const char *why, const char *head) {
  fprintf(stderr, "ws-loadgen: upgrade of connection %d failed: %s\n%s\n", c->id, why, head);
  exit(2);
}

/* Whether the comma-separated header value v (len bytes) holds `token`, case-insensitively. */
static int has_token(const char *v, size_t len, const char *token) {
  size_t tlen = strlen(token);
  for (size_t i = 0; i + tlen <= len; i++) {
    int starts = i == 0 || v[i - 1] == ',' || v[i - 1] == ' ';
    int ends = i + tlen == len || v[i + tlen] == ',' || v[i + tlen] == ' ';
    if (starts && ends && strncasecmp(v + i, token, tlen) == 0) return 1;
  }
  return 0;
}

static void send_all(lg_conn_t *c, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("send (upgrade)");
    p += w;
    n -= (size_t)w;
  }
}

/* Upgrades the blocking connection c, offering permessage-deflate if `offer`; fills *pmd
 * with what the server settled. Returns how many bytes the server sent after its head. */
static size_t upgrade(lg_conn_t *c, int offer, pmd_t *pmd) {
  uint8_t nonce[16];
  char key[25], want[29], req[512];
  if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) die("getrandom");
  base64(nonce, sizeof nonce, key);
  ws_accept(key, strlen(key), want);
  int n = snprintf(req, sizeof req,
                   "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                   host, port, key, offer ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
  send_all(c, req, (size_t)n);

  static char head[8192];
  size_t got = 0;
  char *end = NULL;
  while (end == NULL) {
    if (got == sizeof head - 1) refused(c, "no end of the response head in 8 KiB", "");
    ssize_t r = recv(c->fd, head + got, sizeof head - 1 - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) refused(c, "the server closed or failed before its response head ended", head);
    got += (size_t)r;
    head[got] = '\0';
    end = memmem(head, got, "\r\n\r\n", 4);
  }
  size_t after = got - (size_t)(end + 4 - head);
  end[2] = '\0'; /* the head, each header line ending in CRLF */

  size_t len;
  const char *v;
  if (strncmp(head, "HTTP/1.1 101 ", 13) != 0) refused(c, "not 101 Switching Protocols", head);
  if ((v = header_value(head, "Upgrade", &len)) == NULL || len != 9 || strncasecmp(v, "websocket", 9) != 0)
    refused(c, "no Upgrade: websocket", head);
  if ((v = header_value(head, "Connection", &len)) == NULL || !has_token(v, len, "upgrade"))
    refused(c, "no Connection: upgrade", head);
  if ((v = header_value(head, "Sec-WebSocket-Accept", &len)) == NULL || len != 28 || memcmp(v, want, 28) != 0)
    refused(c, "Sec-WebSocket-Accept does not match our key", head);
  if (header_value(head, "Sec-WebSocket-Protocol", &len) != NULL) refused(c, "a subprotocol we did not offer", head);
  memset(pmd, 0, sizeof *pmd);
  if ((v = header_value(head, "Sec-WebSocket-Extensions", &len)) != NULL) {
    if (!offer) refused(c, "an extension we did not offer", head);
    const char *why = pmd_parse(v, len, pmd);
    if (why != NULL) refused(c, why, head);
  } else if (offer) {
    refused(c, "permessage-deflate was offered but not accepted (is the server's deflate on?)", head);
  }
  return after;
}
#endif
