/* mcov_region_file_fault_ahead maps a reader's view of the map up to where it will read, with one
 * call, so that a reader counting with its own kernels (the .NET library) takes no page fault
 * while it reads, whatever the creator's prefault covered:
 * 1. a handle opened on a region whose pages workers wrote has none of the map resident; after
 *    fault_ahead to the cursor it has the pages up to the cursor, and not the ones beyond;
 * 2. a reach that ends inside a page maps that page; one beyond the capacity is bounded by it;
 * 3. it changes no byte: a count of the map after it equals the bytes the workers set.
 * /proc/self/smaps tells how much of the region's mappings is resident in this process. A file
 * system that caches in folios larger than a page (huge tmpfs pages, large folios elsewhere) maps
 * up to a folio more: the bounds allow 2 MiB. A kernel without MADV_POPULATE_READ (before 5.14)
 * maps nothing ahead, as documented: the test is skipped there. */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "memcov_files.h"

#define CAPACITY (16u << 20)
#define CLAIMED (5u << 20)
#define SLACK_KIB 2048u

/* A reader in a process of its own: nothing of the region is mapped in it yet. */
static void reader(void *name)
{
    char path[4096];
    t_region_path(name, path, sizeof path);
    mcov_region_file *f = NULL;
    mcov_region_facts facts;
    CHECK(mcov_region_file_open(NULL, name, &f, &facts) == 0, "open: %s", mcov_last_error());
    uint64_t before = t_resident_kib(path);
    CHECK(before < 64, "a fresh handle has %llu KiB of the region resident",
          (unsigned long long)before);

    mcov_region_counters c;
    mcov_region_file_counters(f, &c);
    CHECK(c.alloc_cursor == CLAIMED, "cursor %llu", (unsigned long long)c.alloc_cursor);
    mcov_region_file_fault_ahead(f, c.alloc_cursor);
    uint64_t kib = t_resident_kib(path);
    CHECK(kib >= CLAIMED / 1024 && kib < CLAIMED / 1024 + SLACK_KIB,
          "after fault_ahead to %u KiB of map, %llu KiB are resident", CLAIMED / 1024,
          (unsigned long long)kib);

    /* One byte into a page maps that page too (pages no worker wrote are mapped as well: the
     * region's file holds every page of its map). */
    mcov_region_file_fault_ahead(f, (CLAIMED + (2u << 20)) + 1);
    kib = t_resident_kib(path);
    CHECK(kib >= (CLAIMED + (2u << 20) + 4096) / 1024 &&
              kib < (CLAIMED + (2u << 20)) / 1024 + SLACK_KIB,
          "a reach one byte into a page left %llu KiB resident", (unsigned long long)kib);
    mcov_region_file_fault_ahead(f, UINT64_MAX);
    kib = t_resident_kib(path);
    CHECK(kib >= CAPACITY / 1024 && kib < CAPACITY / 1024 + SLACK_KIB,
          "a reach beyond the capacity left %llu KiB resident", (unsigned long long)kib);

    const uint8_t *map = facts.base + facts.map_offset;
    uint64_t set = 0;
    for (uint64_t i = 0; i < CAPACITY; i++)
        set += map[i] != 0;
    CHECK(set == CLAIMED / 4096, "the map holds %llu set bytes, the workers set %u",
          (unsigned long long)set, CLAIMED / 4096);
    mcov_region_file_close(f);
}

int main(void)
{
    void *probe = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(probe != MAP_FAILED, "mmap: %s", strerror(errno));
    bool populates = madvise(probe, 4096, MADV_POPULATE_READ) == 0;
    munmap(probe, 4096);
    if (!populates)
        return T_SKIP;
    const char *name = t_region_name("fault-ahead");
    mcov_region_file *f = NULL;
    mcov_region_facts facts;
    CHECK(mcov_region_file_create(NULL, name, CAPACITY, &f, &facts) == 0, "create: %s",
          mcov_last_error());
    mcov_module_entry e = t_module_entry(7, CLAIMED);
    uint64_t base = 0, needed = 0;
    CHECK(mcov_region_file_claim(f, &e, 1, &base, &needed) == 0 && base == 0, "claim: %s",
          mcov_last_error());
    /* The workers' hits: one byte of each claimed page. */
    uint8_t *map = facts.base + facts.map_offset;
    for (uint64_t at = 0; at < CLAIMED; at += 4096)
        map[at + 17] = 1;

    t_wait_ok(t_fork(reader, (void *)name));
    mcov_region_file_close(f);
    t_cleanup();
    return 0;
}
