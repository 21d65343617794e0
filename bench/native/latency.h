/* latency.h: the load generators' round-trip histogram. Buckets are 64 per power of two
 * of nanoseconds (~1.1% wide), so recording is a few instructions and no sample is kept:
 * the generators record every echoed message and must stay cheap. */
#ifndef LATENCY_H
#define LATENCY_H
#include <stdint.h>

#define SUB 64
#define NBUCKETS (40 * SUB)

static uint64_t hist[NBUCKETS], lat_count, lat_sum;

static int bucket(uint64_t ns) {
  if (ns < SUB) return (int)ns;
  int e = 63 - __builtin_clzll(ns); /* ns in [2^e, 2^(e+1)) */
  int b = (e - 5) * SUB + (int)((ns >> (e - 6)) & (SUB - 1));
  return b < NBUCKETS ? b : NBUCKETS - 1;
}

static double bucket_mid(int b) { /* the middle of the bucket, in ns */
  if (b < SUB) return b;
  int e = b / SUB + 5, m = b % SUB;
  return ((double)(SUB + m) + 0.5) * (double)(1ull << (e - 6));
}

static void record_latency(uint64_t ns) {
  lat_count++;
  lat_sum += ns;
  hist[bucket(ns)]++;
}

/* The p-quantile (0..1) of the recorded latencies, in ns (0 if none). */
static double percentile(double p) {
  uint64_t total = 0, acc = 0;
  for (int i = 0; i < NBUCKETS; i++) total += hist[i];
  if (total == 0) return 0;
  uint64_t rank = (uint64_t)(p * (double)total);
  if (rank >= total) rank = total - 1;
  for (int i = 0; i < NBUCKETS; i++)
    if ((acc += hist[i]) > rank) return bucket_mid(i);
  return 0;
}

static double mean_latency(void) { return lat_count ? (double)lat_sum / (double)lat_count : 0.0; }
#endif
