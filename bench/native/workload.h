#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stdint.h>

/* Runs the workload over `bytes` bytes of text made from `seed`; returns its checksum. */
uint64_t workload_run(uint64_t bytes, uint64_t seed);

#endif
