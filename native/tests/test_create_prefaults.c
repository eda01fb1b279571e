/* mcov_region_create maps the creator's view of the map up front (up to 64 MiB): a parent that
 * counts its workers' edges later reads pages that are mapped already, with no page fault
 * then. /proc/self/smaps tells how much of the region's mapping is resident in this process;
 * a process that only attaches maps nothing before it reads. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>

static void attach_only(void *name)
{
    char path[4096];
    t_region_path(name, path, sizeof path);
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    uint64_t kib = t_resident_kib(path);
    /* The header page is read at attach; the map is not touched. */
    CHECK(kib < 1024, "an attaching process has %llu KiB of the region resident",
          (unsigned long long)kib);
}

int main(void)
{
    const char *name = t_region_name("prefault");
    char path[4096];
    t_region_path(name, path, sizeof path);
    CHECK(mcov_region_create(name, 4u << 20) == 0, "create: %s", mcov_last_error());
    uint64_t kib = t_resident_kib(path);
    CHECK(kib >= 4096, "after create, %llu KiB of the 4 MiB map are resident in the creator",
          (unsigned long long)kib);

    /* Capped: a 128 Mi-edge region maps its first 64 MiB. */
    const char *big = t_region_name("prefault-big");
    char big_path[4096];
    t_region_path(big, big_path, sizeof big_path);
    CHECK(mcov_region_create(big, 128u << 20) == 0, "create: %s", mcov_last_error());
    kib = t_resident_kib(big_path);
    CHECK(kib >= (64u << 10) && kib < (65u << 10),
          "after create of 128 MiB, %llu KiB are resident (want the first 64 MiB)",
          (unsigned long long)kib);

    t_wait_ok(t_fork(attach_only, (void *)name));
    t_cleanup();
    return 0;
}
