/* A worker whose modules the region's table holds already joins at start-up (MEMCOV_REGION)
 * without touching the page of the region's header and table: the claim reads them with pread
 * from the locked descriptor, since a page's first touch costs more than a read (a fault, and in
 * a VM the host's shadow page tables). Before its first hit the worker has no page of the region
 * resident; the first worker, which writes the table's entries, has. */
#define _GNU_SOURCE
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "memcov_files.h"

struct worker {
    const char *name;
    int first; /* the table gains the samples' entries; else it holds them already */
};

/* Registers the samples through MEMCOV_REGION and runs nothing. */
static void join(void *arg)
{
    const struct worker *w = arg;
    const char *name = w->name;
    char path[4096];
    t_region_path(name, path, sizeof path);
    setenv("MEMCOV_REGION", name, 1);
    t_run_inputs(0, 0, 0);
    CHECK(mcov_is_attached() == 1 && mcov_private_module_count() == 0,
          "the samples did not join through MEMCOV_REGION");
    uint64_t kib = t_resident_kib_at(path, 0); /* the mapping of the header and the map */
    if (w->first)
        CHECK(kib > 0, "the first worker wrote the table, yet its header page is not resident");
    else
        CHECK(kib == 0, "a worker whose modules the table holds touched %llu KiB of the header's "
                        "mapping before its first hit",
              (unsigned long long)kib);
}

int main(void)
{
    const char *name = t_region_name("untouched");
    CHECK(mcov_region_file_create(NULL, name, 1 << 16, NULL, NULL) == 0, "create: %s",
          mcov_last_error());
    struct worker first = {name, 1}, later = {name, 0};
    t_wait_ok_within(t_fork(join, &first), 20000);
    t_wait_ok_within(t_fork(join, &later), 20000);
    t_wait_ok_within(t_fork(join, &later), 20000);
    t_cleanup();
    return 0;
}
