/* A MAP_FIXED remap can fail, and the kernel may already have removed the old pages. Joining
 * a region (region pages over private ones) and detaching (private pages over region ones)
 * then leave no hole under the module's live guards: the module keeps its old pages, or gets
 * private pages holding what it had, and recording goes on. This executable's mmap() takes
 * the place of libc's for libmemcov.so and fails one chosen remap on request. */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { FAIL_SHARED_FIXED = 1, FAIL_PRIVATE_FIXED = 2 };
static int s_fail;      /* which kind of MAP_FIXED call fails, once */
static int s_drop_old;  /* the failing call removes the old pages first */
static int s_failed;    /* calls that failed */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    int kind = 0;
    if (flags & MAP_FIXED)
        kind = flags & MAP_SHARED ? FAIL_SHARED_FIXED : FAIL_PRIVATE_FIXED;
    if (kind && (__atomic_fetch_and(&s_fail, ~kind, __ATOMIC_RELAXED) & kind)) {
        if (s_drop_old)
            syscall(SYS_munmap, addr, len);
        __atomic_fetch_add(&s_failed, 1, __ATOMIC_RELAXED);
        errno = ENOMEM;
        return MAP_FAILED;
    }
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return r == -1 ? MAP_FAILED : (void *)r;
}

static t_run_fn s_run;

static void run_range(size_t first, size_t count)
{
    for (size_t i = first; i < first + count && i < t_input_count; i++)
        s_run(t_inputs[i]);
}

/* Private hits, then an attach whose region map fails: the module stays private with them. */
static void join_fails(void *arg)
{
    const char *name = arg;
    s_run = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    run_range(0, 12);
    uint64_t hits = mcov_get_now64();
    CHECK(hits > 0, "no private hits");
    s_fail = FAIL_SHARED_FIXED;
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    CHECK_EQ_U64(s_failed, 1);
    CHECK_EQ_U64(mcov_private_module_count(), 1);
    CHECK_EQ_U64(mcov_get_now64(), hits);
    run_range(12, t_input_count - 12); /* the guards' slots are mapped */
    CHECK(mcov_get_now64() > hits, "recording stopped");
    t_region_copy r = t_read_region(name);
    CHECK_EQ_U64(t_count(r.map, r.cursor), 0);
    t_free_region(&r);
}

/* Attached hits, then a detach whose private map fails: the module keeps what it had. */
static void detach_fails(void *arg)
{
    const char *name = arg;
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    s_run = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    run_range(0, 12);
    uint64_t hits = mcov_get_now64();
    CHECK(hits > 0, "no hits");
    s_fail = FAIL_PRIVATE_FIXED;
    mcov_detach();
    CHECK_EQ_U64(s_failed, 1);
    CHECK_EQ_U64(mcov_get_now64(), hits);
    run_range(12, t_input_count - 12);
    CHECK(mcov_get_now64() > hits, "recording stopped");
}

static void each_way(void (*fn)(void *), const char *tag, int drop_old)
{
    const char *name = t_region_name(tag);
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    s_drop_old = drop_old;
    t_wait_ok_within(t_fork(fn, (void *)name), 20000);
    /* The region keeps every edge a process wrote into it. */
    t_region_copy r = t_read_region(name);
    CHECK_EQ_U64(r.modules, 1);
    t_free_region(&r);
}

int main(void)
{
    each_way(join_fails, "join-kept", 0);
    each_way(join_fails, "join-hole", 1);
    each_way(detach_fails, "detach-kept", 0);
    each_way(detach_fails, "detach-hole", 1);
    t_cleanup();
    return 0;
}
