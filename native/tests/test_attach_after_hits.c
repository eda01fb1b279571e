/* Hits a process recorded before it attached are not lost: mcov_region_create and
 * mcov_attach move them into the region, into each module's range. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <unistd.h>

static t_region_copy ref;

/* Runs everything unattached, then creates the region. */
static void create_after_hits(void *name)
{
    CHECK(!mcov_is_attached(), "attached at start");
    t_run_inputs(0, 0, t_input_count);
    CHECK_EQ_U64(mcov_private_module_count(), 2);
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    CHECK_EQ_U64(mcov_get_total64(), ref.cursor);
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
}

/* Runs inputs [0, 12) attached, order A then B: claims the ranges. */
static void first_half_attached(void *name)
{
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    t_run_inputs(0, 0, 12);
}

/* Runs inputs [12, end) unattached, loading B first, then attaches. */
static void attach_after_hits(void *name)
{
    t_run_inputs(1, 12, t_input_count - 12);
    CHECK_EQ_U64(mcov_private_module_count(), 2);
    t_region_copy before = t_read_region(name);
    uint64_t mine = mcov_get_now64();
    CHECK(mine > 0, "nothing recorded privately");
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    /* Attaching added this process's private hits, and did not take any away. */
    t_region_copy after = t_read_region(name);
    for (uint64_t i = 0; i < before.cursor; i++)
        CHECK(!before.map[i] || after.map[i], "slot %llu was cleared by attaching",
              (unsigned long long)i);
    CHECK(t_count(after.map, after.cursor) > t_count(before.map, before.cursor),
          "attaching added nothing");
    CHECK_EQ_U64(mcov_get_now64(), t_count(after.map, after.cursor));
    t_free_region(&before);
    t_free_region(&after);
}

int main(void)
{
    ref = t_reference_union();
    CHECK_EQ_U64(ref.modules, 2); /* so every region that matches it has both modules */

    /* mcov_region_create after hits. */
    const char *r1 = t_region_name("create");
    t_wait_ok_within(t_fork(create_after_hits, (void *)r1), 20000);
    t_check_region_matches(r1, &ref);

    /* mcov_attach to an existing region after hits, in another load order. */
    const char *r2 = t_region_name("attach");
    CHECK(mcov_region_create(r2, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(first_half_attached, (void *)r2), 20000);
    t_wait_ok_within(t_fork(attach_after_hits, (void *)r2), 20000);
    t_check_region_matches(r2, &ref);

    t_free_region(&ref);
    t_cleanup();
    return 0;
}
