/* The old memcov design, written here as the reference: one bit per edge, set with a plain
 * read-modify-write on every hit (`map[i / 8] |= 1 << i % 8`), so every hit stores. Shared,
 * the map is one MAP_SHARED mapping that the forked processes write at once. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <sys/mman.h>

#include "runtime.h"

const char bench_runtime_name[] = "bitrmw";

#define MAP_BYTES 65536u /* room for 512 Ki edges: the workload has a few hundred */

static uint8_t s_private_map[MAP_BYTES];
static uint8_t *s_map = s_private_map;
static uint32_t s_next_edge;

void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);

void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
    uint32_t i = *guard;
    s_map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop)
{
    if (start == stop || *start)
        return;
    for (uint32_t *g = start; g < stop && s_next_edge < MAP_BYTES * 8u; g++)
        *g = s_next_edge++;
}

int bench_runtime_setup(int shared)
{
    if (!shared)
        return 0;
    void *map = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        perror("bitrmw: mmap");
        return -1;
    }
    s_map = map;
    return 0;
}
