/* A worker of callback modules whose entries the region's table holds already joins at start-up
 * (MEMCOV_REGION) without touching the page of the region's header and table: the claim reads
 * them with pread from the locked descriptor, since a page's first touch costs more than a read
 * (a fault, and in a VM the host's shadow page tables). The table holds 13 entries a tool claimed
 * before the samples', so theirs are read in a later chunk, the last ones on the header's page.
 * Before its first hit such a worker has no page of the region resident; the first worker, which
 * writes the samples' entries, has. */
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
    if (strcmp(t_samples(), "callback") != 0)
        return 77; /* no-call modules take a lane, which reads the header's reset epoch */
    const char *name = t_region_name("untouched");
    mcov_region_file *f = NULL;
    CHECK(mcov_region_file_create(NULL, name, 1 << 20, &f, NULL) == 0, "create: %s",
          mcov_last_error());
    enum { TOOL_MODULES = 13 };
    mcov_module_entry tools[TOOL_MODULES];
    uint64_t bases[TOOL_MODULES];
    for (int i = 0; i < TOOL_MODULES; i++)
        tools[i] = t_module_entry((uint8_t)(40 + i), 100);
    CHECK(mcov_region_file_claim(f, tools, TOOL_MODULES, bases, NULL) == 0, "claim: %s",
          mcov_last_error());
    mcov_region_file_close(f);
    struct worker first = {name, 1}, later = {name, 0};
    t_wait_ok_within(t_fork(join, &first), 20000);
    t_wait_ok_within(t_fork(join, &later), 20000);
    t_wait_ok_within(t_fork(join, &later), 20000);
    t_cleanup();
    return 0;
}
