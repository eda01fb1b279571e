/* A module of MODULE_EDGES guards for the Python spawn workers of bench/gather_python.py, built
 * as a shared library linked to Memcov's hook object and libmemcov, as memcov_instrument() links
 * an instrumented library: its constructor registers the guards (the call clang's trace-pc-guard
 * emits), and bench_module_hits makes pseudo-random hits, the same sequence as bench_gather's
 * workers for a seed. */
#include <stdint.h>

void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);

static uint32_t s_guards[MODULE_EDGES];

__attribute__((constructor)) static void register_guards(void)
{
    __sanitizer_cov_trace_pc_guard_init(s_guards, s_guards + MODULE_EDGES);
}

void bench_module_hits(uint64_t seed, uint32_t count)
{
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t k = 0; k < count; k++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        __sanitizer_cov_trace_pc_guard(&s_guards[state % MODULE_EDGES]);
    }
}
