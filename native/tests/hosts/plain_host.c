/* A plain executable loads a module built the memcov fork's way (trace-pc-guard, linked
 * with libmemcov.so only, no hooks): the callbacks libmemcov.so exports register it and
 * record its edges into the attached region. */
#include "support.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* hosts.cmake builds this host twice: for the callback module, and for the same source
 * compiled with inline-bool-flag and linked with memcov-inline.ld and -lmemcov alone. */
#ifndef MCOV_PLAIN_LIB
#define MCOV_PLAIN_LIB "libmcov_sample_plain.so"
#define MCOV_PLAIN_MODE MCOV_MODE_CALLBACK
#endif

int main(void)
{
    const char *name = t_region_name("plain-host");
    CHECK(mcov_region_create(name, 1 << 16) == MCOV_OK, "create: %s", mcov_last_error());
    void *lib = t_load(MCOV_PLAIN_LIB);
    t_run_fn run = t_sym(lib, "sample_plain_run");
    CHECK_EQ_U64(mcov_module_count(), 1);
    CHECK_EQ_U64(mcov_private_module_count(), 0);

    run("");
    t_region_copy one = t_read_region(name);
    CHECK_EQ_U64(one.modules, 1);
    CHECK_EQ_U64(one.cursor, 4096);
    uint64_t first = t_count(one.map, one.cursor);
    CHECK(first > 0, "no edge recorded for the first input");
    CHECK_EQ_U64(mcov_get_now64(), first);
    t_free_region(&one);

    /* More input, more edges: coverage depends on what ran. */
    run("12(ab)cdef!");
    run("9999");
    t_region_copy more = t_read_region(name);
    uint64_t later = t_count(more.map, more.cursor);
    CHECK(later > first, "no new edges (%llu, first %llu)", (unsigned long long)later,
          (unsigned long long)first);
    CHECK_EQ_U64(mcov_get_now64(), later);
    t_free_region(&more);

    /* The module's entry: the plain library, callback mode. */
    char path[4096];
    t_region_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open %s", path);
    mcov_module_entry e;
    CHECK(pread(fd, &e, sizeof e, MCOV_MODULE_TABLE_OFFSET) == (ssize_t)sizeof e, "pread");
    close(fd);
    e.path[sizeof e.path - 1] = '\0';
    CHECK(strstr(e.path, MCOV_PLAIN_LIB), "entry path '%s'", e.path);
    CHECK_EQ_U64(e.mode, MCOV_PLAIN_MODE);
    CHECK_EQ_U64(e.base, 0);
    CHECK(e.edge_count > 3 && e.edge_count <= 4096, "edge count %llu",
          (unsigned long long)e.edge_count);

    mcov_detach();
    t_cleanup();
    return 0;
}
