/* Counts edge hits: run once to know how many edges the workload executes, which turns each
 * variant's time into ns per edge hit. */
#include "runtime.h"

const char bench_runtime_name[] = "count";

static uint64_t s_hits;

void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);

void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
    (void)guard;
    s_hits++;
}

void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop)
{
    (void)start;
    (void)stop;
}

uint64_t bench_runtime_hits(void) { return s_hits; }
