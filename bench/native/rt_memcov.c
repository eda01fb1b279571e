/* Memcov's runtime (libmemcov.so, with the hook object memcov_instrument() links). Private: the
 * module records into this process's private map. Shared: the parent creates a region, which
 * moves the module into it, and the forked processes inherit the attachment. */
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
    if (mcov_region_create(s_region, 1u << 16) != 0) {
        fprintf(stderr, "memcov: %s\n", mcov_last_error());
        return -1;
    }
    if (mcov_private_module_count() != 0) {
        fprintf(stderr, "memcov: the workload did not join region %s\n", s_region);
        return -1;
    }
    return 0;
}

void bench_runtime_teardown(void)
{
    if (s_region[0])
        mcov_region_remove(s_region);
}

uint64_t bench_runtime_hits(void) { return 0; }
