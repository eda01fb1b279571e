/* The floor of callback mode: trace-pc-guard callbacks that do nothing, so what is left is the
 * call itself. Defined in the executable, so the workload reaches them by a direct call, as an
 * instrumented module reaches Memcov's hidden hook object. */
#include "runtime.h"

const char bench_runtime_name[] = "empty";

void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);

__attribute__((noinline)) void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
    __asm__ volatile("" : : "r"(guard)); /* keeps the call: the body is empty on purpose */
}

void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop)
{
    (void)start;
    (void)stop;
}
