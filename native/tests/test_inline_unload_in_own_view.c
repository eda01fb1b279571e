/* A no-call module unloaded inside an own view: its destructor (in the hook object) hands
 * its flags to the runtime a last time, so the region and the own view keep its hits, and no
 * later call reads the unmapped flags. Loaded again, it gets its slots back and records
 * straight into the region once the process is on the base view. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <unistd.h>

static void run_all(void *lib)
{
    t_run_fn run = t_sym(lib, "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run(t_inputs[i]);
}

static void reference(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    run_all(t_load("libmcov_sample_a_inline.so"));
}

static t_region_copy s_ref;

static void unload_in_own_view(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    mcov_push_coverage();
    void *lib = t_load("libmcov_sample_a_inline.so");
    run_all(lib);
    CHECK(dlclose(lib) == 0, "dlclose: %s", dlerror());
    t_region_copy got = t_read_region(name); /* no memcov call since the inputs ran */
    t_check_same_map(&s_ref, &got);
    t_free_region(&got);
    uint64_t want = t_count(s_ref.map, s_ref.cursor);
    CHECK_EQ_U64(mcov_get_now64(), want);
    mcov_pop_coverage();
    CHECK_EQ_U64(mcov_get_now64(), want);

    /* Loaded again: the same slots, and the flags are the region's again. */
    mcov_region_reset(name);
    lib = t_load("libmcov_sample_a_inline.so");
    CHECK_EQ_U64(mcov_module_count(), 1);
    run_all(lib);
    got = t_read_region(name);
    t_check_same_map(&s_ref, &got);
    t_free_region(&got);
}

int main(void)
{
    const char *ref = t_region_name("unload-ref");
    CHECK(mcov_region_create(ref, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(reference, (void *)ref), 20000);
    s_ref = t_read_region(ref);
    CHECK(t_count(s_ref.map, s_ref.cursor) > 20, "the reference recorded too little");

    const char *name = t_region_name("unload");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(unload_in_own_view, (void *)name), 20000);

    t_free_region(&s_ref);
    t_cleanup();
    return 0;
}
