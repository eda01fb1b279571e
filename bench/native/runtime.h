/* What a build variant's coverage runtime provides to main.c. Each rt_*.c file is one runtime;
 * none of them is instrumented. main.c defines weak defaults of the first three (do nothing,
 * return 0), so a runtime defines only what it does; the declarations stay strong, or a
 * runtime's own definition would be weak too and could lose to the default. */
#ifndef BENCH_RUNTIME_H
#define BENCH_RUNTIME_H

#include <stdint.h>

/* Called once before the processes fork. `shared` 1 asks for one map that every process writes
 * (a region, or a MAP_SHARED map), 2 for a hit-count region (a runtime without one takes it as
 * 1); 0: each process keeps its own. Returns 0, or -1 after printing why on stderr. */
int bench_runtime_setup(int shared);

/* Called once after every process ended. Returns 0, or -1 after printing on stderr why the
 * run does not count (e.g. the hits did not reach the shared map). */
int bench_runtime_teardown(void);

/* Edge hits this process counted so far, or 0 if the runtime does not count them. */
uint64_t bench_runtime_hits(void);

/* Optional (weak: only rt_memcov.c defines it). Opens a fresh own view in this process: from
 * now on its view holds only its hits since this call (mcov_reset), while the base view keeps
 * collecting. Returns 0, or -1 after printing why on stderr. */
int bench_runtime_reset(void) __attribute__((weak));

/* The runtime's name for the result line. */
extern const char bench_runtime_name[];

#endif
