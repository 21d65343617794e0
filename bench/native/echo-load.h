/* echo-load.h: what the echo load generators (loadgen.h's, tls-loadgen.c) share whatever
 * their transport: the run's arguments, the payload pattern, the sequence number and send
 * time of every message, the latency of its echo, and the JSON report. */
#ifndef ECHO_LOAD_H
#define ECHO_LOAD_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "latency.h"
#include "timed-loop.h"

#define PERIOD 251

/* What every generator keeps per connection; a generator's own state embeds it first. */
typedef struct {
  int fd, id;
  uint32_t send_seq, recv_seq;
  uint8_t *tx;
  size_t txoff, txlen;
  int out_armed;
  uint64_t *sent_at; /* ring of INFLIGHT send timestamps, by seq */
} lg_conn_t;

/* The run: HOST PORT CONNS INFLIGHT SIZE SECONDS WARMUP_SECONDS. */
static const char *host;
static int port, nconns, inflight;
static uint32_t size;
static double seconds, warmup;

static uint8_t pattern[PERIOD + 65536];

static void fill_pattern(void) {
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (uint8_t)((i % PERIOD) * 13 + 5);
}

/* Where message `seq` of connection c starts in the 251-periodic pattern, so a lost,
 * duplicated, reordered or cross-connection message never matches. */
static const uint8_t *message_pattern(const lg_conn_t *c, uint32_t seq) {
  return pattern + (seq * 7u + (uint32_t)c->id) % PERIOD;
}

/* Takes the next sequence number of c and stamps its send time. */
static uint32_t stamp(lg_conn_t *c, uint64_t t) {
  uint32_t seq = c->send_seq++;
  c->sent_at[seq % (uint32_t)inflight] = t;
  return seq;
}

/* The echo of message recv_seq is complete at time t. */
static void echoed(lg_conn_t *c, uint64_t t) {
  if (measuring) record_latency(t - c->sent_at[c->recv_seq % (uint32_t)inflight]);
  c->recv_seq++;
}

/* Prints the JSON report on stdout; `extra` ("" or ",\"key\":value...") adds fields. */
static void report(const char *extra) {
  double wall = measured_wall;
  printf("{\"conns\":%d,\"inflight\":%d,\"size\":%u,\"seconds\":%.3f,\"msgs\":%llu,"
         "\"msgs_per_s\":%.1f,\"bytes_per_s\":%.1f,\"lat_mean_us\":%.2f,\"lat_p50_us\":%.2f,"
         "\"lat_p99_us\":%.2f,\"cpu_pct\":%.1f%s}\n",
         nconns, inflight, size, wall, (unsigned long long)lat_count, (double)lat_count / wall,
         (double)lat_count * size / wall, mean_latency() / 1e3, percentile(0.50) / 1e3, percentile(0.99) / 1e3,
         100.0 * measured_cpu / wall, extra);
}
#endif
