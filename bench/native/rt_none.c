/* No runtime of ours: uninstrumented builds, clang's inline counters and flags (private arrays
 * the compiler emits), and AFL++ (its own runtime, linked by afl-clang-fast). */
#include "runtime.h"

const char bench_runtime_name[] = "none";

int bench_runtime_setup(int shared)
{
    (void)shared;
    return 0;
}

int bench_runtime_teardown(void) { return 0; }

uint64_t bench_runtime_hits(void) { return 0; }
