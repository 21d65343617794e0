/* timed-loop.h: the timed epoll loop of the load generators (loadgen.h's, churn.c,
 * tls-loadgen.c): WARMUP seconds unmeasured, then SECONDS measured, and the generator's
 * own CPU time over the measured window (near 100% of a core: it was the bottleneck). */
#ifndef TIMED_LOOP_H
#define TIMED_LOOP_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include "clock.h"

static int measuring; /* 1 once the warm-up is over */
static double measured_wall, measured_cpu; /* the measured window: seconds, and our CPU seconds in it */

/* Hands every event of the epoll set ep to on_event, for `warmup` then `seconds` seconds;
 * `measuring` is 1 during the latter, which measured_wall and measured_cpu describe. */
static void timed_loop(int ep, double warmup, double seconds, void (*on_event)(struct epoll_event *ev)) {
  struct epoll_event evs[256];
  uint64_t measure_at = now_ns() + (uint64_t)(warmup * 1e9), end = measure_at + (uint64_t)(seconds * 1e9);
  double cpu0 = 0;
  if (warmup <= 0) {
    measuring = 1;
    cpu0 = cpu_seconds();
  }
  for (;;) {
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) on_event(&evs[i]);
    uint64_t t = now_ns();
    if (!measuring && t >= measure_at) {
      measuring = 1;
      measure_at = t;
      cpu0 = cpu_seconds();
    }
    if (measuring && t >= end) break;
  }
  measured_cpu = cpu_seconds() - cpu0;
  measured_wall = (double)(now_ns() - measure_at) / 1e9;
}
#endif
