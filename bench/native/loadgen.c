/*
 * loadgen.c: a lean, single-threaded epoll load generator for Simple-frame echo servers.
 *
 *   loadgen HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS
 *
 * Opens CONNS connections and keeps INFLIGHT frames of SIZE payload bytes in flight on
 * each (a new frame leaves as soon as one comes back). Every echoed byte is checked: the
 * 0x01 guard, the u16 BE length, the payload, the 0x17 trailer, in order. Payload of the
 * frame number `seq` on connection `c` = seq as u32 LE, then a slice of a 251-periodic
 * pattern starting at (seq * 7 + c) % 251, so a lost, duplicated, reordered or
 * cross-connection frame never matches. Any mismatch aborts (exit 2).
 *
 * The frames are simple-echo.h's; the connections, the timed loop and the JSON report on
 * stdout come with loadgen.h.
 */
#include "loadgen.h"
#include "simple-echo.h"

static void on_bytes(lg_conn_t *base, const uint8_t *b, size_t n, uint64_t t) {
  check_frames((simple_conn_t *)base, b, n, t, 1);
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: loadgen HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS\n");
    return 1;
  }
  if (!parse_positional(argc, argv, 0)) {
    fprintf(stderr, "loadgen: bad arguments\n");
    return 1;
  }
  simple_conn_t *conns = calloc((size_t)nconns, sizeof *conns);
  uint64_t t0 = now_ns();
  for (int i = 0; i < nconns; i++) {
    lg_conn_t *c = &conns[i].base;
    connect_blocking(c, i);
    attach(c, size + 4);
    for (int k = 0; k < inflight; k++) queue_frame(c, t0);
    flush(c);
  }
  run_loop();
  report("");
  return 0;
}
