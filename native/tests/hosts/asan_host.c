/* An AddressSanitizer executable (its runtime defines weak __sanitizer_cov_trace_pc_guard
 * callbacks) dlopens libmcov_sample_a.so, built through memcov_instrument(), while attached
 * to a region: the module's hidden hooks keep its edges for memcov, so they land in the
 * region. Built and compiled with -fsanitize=address by hosts.cmake. */
#include "support.h"

#include <string.h>

int main(void)
{
#if !defined(__has_feature)
#define __has_feature(x) 0
#endif
#if !__has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#error "asan_host.c must be compiled with -fsanitize=address"
#endif
    const char *name = t_region_name("asan-host");
    CHECK(mcov_region_create(name, 1 << 16) == MCOV_OK, "create: %s", mcov_last_error());
    CHECK_EQ_U64(mcov_module_count(), 0);

    void *lib = t_load("libmcov_sample_a.so");
    t_run_fn run = t_sym(lib, "sample_a_run");
    CHECK_EQ_U64(mcov_module_count(), 1); /* registered with memcov, not with ASan */
    CHECK_EQ_U64(mcov_private_module_count(), 0);

    t_region_copy empty = t_read_region(name);
    CHECK(empty.modules == 1 && empty.cursor >= 4096, "module not in the region (%u, %llu)",
          empty.modules, (unsigned long long)empty.cursor);
    uint64_t before = t_count(empty.map, empty.cursor);
    t_free_region(&empty);

    for (size_t i = 0; i < t_input_count; i++)
        run(t_inputs[i]);

    t_region_copy got = t_read_region(name);
    uint64_t hits = t_count(got.map, got.cursor);
    CHECK(hits > before && hits > 20, "the module's edges are not recorded (%llu set, %llu before)",
          (unsigned long long)hits, (unsigned long long)before);
    CHECK_EQ_U64(mcov_get_now64(), hits);
    CHECK_EQ_U64(mcov_get_total64(), got.cursor);
    t_free_region(&got);

    /* ASan itself still works in this process: a heap buffer it knows is poisoned after free
     * is not something to test here, but its runtime is present. */
    mcov_detach();
    t_cleanup();
    return 0;
}
