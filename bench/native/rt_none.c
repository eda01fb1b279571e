/* No runtime of ours: uninstrumented builds, clang's inline counters and flags (private arrays
 * the compiler emits), and AFL++ (its own runtime, linked by afl-clang-fast). */
#include "runtime.h"

const char bench_runtime_name[] = "none";
