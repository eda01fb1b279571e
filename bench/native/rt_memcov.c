/* Memcov's runtime (libmemcov.so, with the hook object memcov_instrument() links), in callback
 * or no-call mode. Private: the module records into this process's private map (no-call: its
 * own counters or flags). Shared: the parent creates a region, which moves the module into it
 * (no-call: maps its lane over the counters, or the region over the flags), and the forked
 * processes inherit the attachment, each with a lane of its own. Counts: the same with a
 * hit-count region. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <unistd.h>

#include <memcov.h>

#include "runtime.h"

const char bench_runtime_name[] = "memcov";

static char s_region[64];

int bench_runtime_setup(int shared)
{
    if (!shared)
        return 0;
    snprintf(s_region, sizeof s_region, "bench-record-%ld", (long)getpid());
    if ((shared == 2 ? mcov_region_create_counts : mcov_region_create)(s_region, 1u << 20) != 0) {
        fprintf(stderr, "memcov: %s\n", mcov_last_error());
        return -1;
    }
    if (mcov_private_module_count() != 0) {
        fprintf(stderr, "memcov: the workload did not join region %s\n", s_region);
        mcov_region_remove(s_region);
        return -1;
    }
    return 0;
}

/* The processes end with _exit: in no-call mode only counters in their lanes and flags mapped
 * straight onto the region (shared memory, not mirrored) have put their hits where the count
 * finds them. Check that they did. */
int bench_runtime_teardown(void)
{
    if (!s_region[0])
        return 0;
    uint64_t now = mcov_get_now64();
    mcov_region_remove(s_region);
    if (now == 0) {
        fprintf(stderr, "memcov: the workload's hits did not reach region %s\n", s_region);
        return -1;
    }
    return 0;
}

/* What a fuzzer's worker calls before each input. */
int bench_runtime_reset(void)
{
    mcov_reset();
    const char *e = mcov_last_error();
    if (e[0]) {
        fprintf(stderr, "memcov: mcov_reset: %s\n", e);
        return -1;
    }
    return 0;
}
