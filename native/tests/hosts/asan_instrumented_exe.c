/* An AddressSanitizer executable instrumented through memcov_instrument() records its own
 * edges: ASan's runtime defines weak trace-pc-guard callbacks in this same executable, so
 * only a hook object that is always linked in (not an archive member the linker may skip)
 * keeps the executable's edges for memcov. Built with -fsanitize=address by hosts.cmake. */
#include "support.h"

#include <string.h>

/* hosts.cmake builds it in both modes: MODE inline must keep ASan's weak
 * __sanitizer_cov_bool_flag_init from taking the executable's flags. */
#ifndef MCOV_EXE_MODE
#define MCOV_EXE_MODE MCOV_MODE_CALLBACK
#endif

#if !defined(__has_feature)
#define __has_feature(x) 0
#endif
#if !__has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#error "asan_instrumented_exe.c must be compiled with -fsanitize=address"
#endif

/* Instrumented code of the executable itself: its edges depend on the input. */
static int score(const char *s)
{
    int n = 0;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            n += 3;
        else if (*s == '(' || *s == ')')
            n += 5;
        else if (*s == ' ')
            n += 1;
        else
            n += 7;
    }
    return n;
}

int main(void)
{
    /* The executable's guards registered before main, privately. */
    CHECK_EQ_U64(mcov_module_count(), 1);
    CHECK_EQ_U64(mcov_private_module_count(), 1);

    const char *name = t_region_name("asan-exe");
    CHECK(mcov_region_create(name, 1 << 16) == MCOV_OK, "create: %s", mcov_last_error());
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    t_region_copy before = t_read_region(name);
    CHECK_EQ_U64(before.modules, 1);
    uint64_t first = t_count(before.map, before.cursor);
    t_free_region(&before);

    int total = 0;
    for (size_t i = 0; i < t_input_count; i++)
        total += score(t_inputs[i]);
    CHECK(total > 0, "score");

    t_region_copy got = t_read_region(name);
    uint64_t hits = t_count(got.map, got.cursor);
    CHECK(hits > first, "the executable's edges are not recorded (%llu set, %llu before)",
          (unsigned long long)hits, (unsigned long long)first);
    CHECK_EQ_U64(mcov_get_now64(), hits);
    t_free_region(&got);

    mcov_module_entry e;
    CHECK_EQ_U64(t_read_entries(name, &e, 1), 1);
    e.path[sizeof e.path - 1] = '\0';
    CHECK(strstr(e.path, "mcov_asan_exe"), "entry path '%s'", e.path);
    CHECK_EQ_U64(e.mode, MCOV_EXE_MODE);

    mcov_detach();
    t_cleanup();
    return 0;
}
