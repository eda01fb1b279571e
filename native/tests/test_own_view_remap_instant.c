/* The remap instant of an attach inside an own view: a first hit another thread makes between
 * the copy of a module's private slice and the remap lands on the page about to be replaced and
 * in the own view. The runtime puts the own view into the new base after the remap, so the
 * region gets the edge although the hot path, testing the own view, skips it from then on.
 * mmap is interposed so that the first MAP_SHARED|MAP_FIXED mapping runs an input right then,
 * standing in for that thread. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { K = 3 };
static t_run_fn s_a;
static int s_armed;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (s_armed && (flags & MAP_FIXED) && (flags & MAP_SHARED)) {
        s_armed = 0;
        s_a(t_inputs[K]); /* "another thread", inside the window */
    }
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static void reference(void *name)
{
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_fn a = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    a(t_inputs[K]);
}

static void create_only(void *name)
{
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
}

int main(void)
{
    if (strcmp(t_samples(), "callback") != 0)
        return T_SKIP;
    const char *ref = t_region_name("ri-ref"), *name = t_region_name("ri");
    t_wait_ok(t_fork(reference, (void *)ref));
    uint64_t k = t_region_edges(ref);
    CHECK(k > 0, "K hits nothing in A");
    t_wait_ok(t_fork(create_only, (void *)name));

    s_a = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    mcov_reset(); /* own view, detached */
    s_armed = 1;
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    CHECK(!s_armed, "the interposed mmap did not run");
    s_a(t_inputs[K]); /* K again, attached: every edge of K belongs in the region now */
    uint64_t got = t_region_edges(name);
    t_cleanup();
    CHECK(got == k, "attached, in an own view, input K ran after the attach: the region holds "
          "%llu of its %llu edges", (unsigned long long)got, (unsigned long long)k);
    return 0;
}
