/* A module unloaded (dlclose) and loaded again is the same module: it gets its old slots
 * back, so the process lists it once, get_total does not grow, the own view keeps the hits
 * of both loads (an OR, not the second load's alone) and get_now counts each edge once. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

static char s_path[4096];

/* dlclose A and check it is really gone, so the next load registers its guards again. */
static void unload(void *lib)
{
    struct link_map *lm = NULL;
    CHECK(dlinfo(lib, RTLD_DI_LINKMAP, &lm) == 0 && lm, "dlinfo");
    snprintf(s_path, sizeof s_path, "%s", lm->l_name);
    CHECK(dlclose(lib) == 0, "dlclose: %s", dlerror());
    void *still = dlopen(s_path, RTLD_NOW | RTLD_NOLOAD);
    if (still) {
        fprintf(stderr, "skipped: %s stays loaded after dlclose\n", s_path);
        t_cleanup();
        exit(T_SKIP);
    }
}

static void run_range(void *lib, size_t first, size_t count)
{
    t_run_fn run = t_sym(lib, "sample_a_run");
    for (size_t i = first; i < first + count && i < t_input_count; i++)
        run(t_inputs[i]);
}

/* The current view, as copy_hitmap_n gives it. */
static uint8_t *copy_view(uint64_t *total)
{
    *total = mcov_get_total64();
    uint8_t *buf = malloc(*total ? *total : 1);
    CHECK(buf, "malloc");
    CHECK_EQ_U64(mcov_copy_hitmap_n(buf, *total), *total);
    return buf;
}

int main(void)
{
    const char *name = t_region_name("reload");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    void *a = t_load("libmcov_sample_a.so");
    CHECK_EQ_U64(mcov_module_count(), 1);
    CHECK(mcov_region_reset(name) == 0, "reset: %s", mcov_last_error());
    mcov_push_coverage(); /* an own view: this process's hits from now on */

    /* Attached: the first load runs half the inputs, the second load the other half. */
    run_range(a, 0, 12);
    uint64_t total = mcov_get_total64();
    unload(a);
    a = t_load("libmcov_sample_a.so");
    CHECK_EQ_U64(mcov_module_count(), 1);
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    run_range(a, 12, t_input_count - 12);
    CHECK_EQ_U64(mcov_get_total64(), total);

    /* Every hit since the reset is in the region and in the own view. */
    t_region_copy region = t_read_region(name);
    CHECK_EQ_U64(region.modules, 1);
    uint64_t union_count = t_count(region.map, region.cursor);
    CHECK(union_count > 20, "union %llu", (unsigned long long)union_count);
    CHECK_EQ_U64(mcov_get_now64(), union_count);
    uint64_t n;
    uint8_t *own = copy_view(&n);
    CHECK_EQ_U64(n, region.cursor);
    CHECK(memcmp(own, region.map, n) == 0, "the own view is not the union of both loads");
    free(own);

    /* Detached: the module records privately, and a reload keeps that too. */
    mcov_pop_coverage();
    mcov_detach();
    uint64_t edges = mcov_get_total64();
    CHECK(edges > 0 && edges <= 4096, "total %llu", (unsigned long long)edges);
    CHECK_EQ_U64(mcov_get_now64(), union_count);
    unload(a);
    a = t_load("libmcov_sample_a.so");
    CHECK_EQ_U64(mcov_module_count(), 1);
    CHECK_EQ_U64(mcov_get_total64(), edges);
    run_range(a, 0, t_input_count);
    CHECK_EQ_U64(mcov_get_now64(), union_count);
    uint8_t *base = copy_view(&n);
    CHECK(memcmp(base, region.map, n) == 0, "the private view differs from the union");
    free(base);

    t_free_region(&region);
    dlclose(a);
    t_cleanup();
    return 0;
}
