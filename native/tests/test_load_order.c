/* The module table, not the load order, places a module's edges: a process that loads
 * B then A writes into the ranges a process that loaded A then B claimed. A module
 * dlopened late gets a fresh range after those claimed before it. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <unistd.h>

static void register_only(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(0, 0, 0); /* A then B: registers, runs nothing */
    CHECK_EQ_U64(mcov_module_count(), 2);
    CHECK_EQ_U64(mcov_private_module_count(), 0);
}

static void b_first_runs_all(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(1, 0, t_input_count);
    CHECK_EQ_U64(mcov_module_count(), 2);
    CHECK_EQ_U64(mcov_private_module_count(), 0);
}

static void late_dlopen(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_fn run_a = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run_a(t_inputs[i]);

    t_region_copy before = t_read_region(name);
    mcov_module_entry e[4];
    CHECK_EQ_U64(t_read_entries(name, e, 4), 1);
    CHECK(strstr(e[0].path, "sample_a"), "entry 0 is %s", e[0].path);
    CHECK_EQ_U64(e[0].base, 0);
    CHECK_EQ_U64(before.cursor, (e[0].edge_count + MCOV_EDGE_ALIGN - 1) / MCOV_EDGE_ALIGN *
                                    MCOV_EDGE_ALIGN);
    uint64_t a_hits = t_count(before.map, before.cursor);
    CHECK(a_hits > 0, "A recorded nothing");
    CHECK_EQ_U64(mcov_get_now64(), a_hits);

    /* Later: B is dlopened, registers and runs. */
    t_run_fn run_b = t_sym(t_load("libmcov_sample_b.so"), "sample_b_run");
    mcov_module_entry e2[4];
    CHECK_EQ_U64(t_read_entries(name, e2, 4), 2);
    CHECK(strstr(e2[1].path, "sample_b"), "entry 1 is %s", e2[1].path);
    CHECK_EQ_U64(e2[0].base, e[0].base);
    CHECK_EQ_U64(e2[1].base, before.cursor); /* fresh, right after A */
    for (size_t i = 0; i < t_input_count; i++)
        run_b(t_inputs[i]);
    t_region_copy after = t_read_region(name);
    CHECK(after.cursor > before.cursor, "cursor %llu -> %llu",
          (unsigned long long)before.cursor, (unsigned long long)after.cursor);
    CHECK_EQ_U64(after.cursor, before.cursor + (e2[1].edge_count + MCOV_EDGE_ALIGN - 1) /
                                                   MCOV_EDGE_ALIGN * MCOV_EDGE_ALIGN);
    CHECK(memcmp(before.map, after.map, before.cursor) == 0, "A's range changed when B came");
    CHECK_EQ_U64(mcov_module_count(), 2);
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    CHECK_EQ_U64(mcov_get_now64(), t_count(after.map, after.cursor));
    t_free_region(&before);
    t_free_region(&after);
}

int main(void)
{
    t_region_copy ref = t_reference_union();

    const char *r2 = t_region_name("order");
    CHECK(mcov_region_create(r2, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(register_only, (void *)r2), 20000);
    t_region_copy mid = t_read_region(r2);
    CHECK_EQ_U64(mid.modules, 2);
    CHECK_EQ_U64(mid.cursor, ref.cursor);
    CHECK_EQ_U64(t_count(mid.map, mid.cursor), 0); /* registering runs no edge */
    t_free_region(&mid);

    t_wait_ok_within(t_fork(b_first_runs_all, (void *)r2), 20000);
    t_region_copy got = t_read_region(r2);
    CHECK_EQ_U64(got.modules, 2);
    CHECK_EQ_U64(got.modules_private, 0);
    t_check_same_map(&ref, &got);

    /* Exactly two entries: A's, claimed first by the A-then-B process, then B's. */
    mcov_module_entry e[4];
    CHECK_EQ_U64(t_read_entries(r2, e, 4), 2);
    CHECK(strstr(e[0].path, "sample_a") && strstr(e[1].path, "sample_b"), "entries %s, %s",
          e[0].path, e[1].path);
    CHECK_EQ_U64(e[0].base, 0);
    CHECK(e[1].base >= e[0].edge_count && e[1].base % MCOV_EDGE_ALIGN == 0, "B at %llu",
          (unsigned long long)e[1].base);
    t_free_region(&got);

    const char *r3 = t_region_name("late");
    CHECK(mcov_region_create(r3, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(late_dlopen, (void *)r3), 20000);
    t_region_copy late = t_read_region(r3);
    CHECK_EQ_U64(late.modules, 2);
    /* A's inputs, then B's: the same edges, in the same layout, as the reference. */
    t_check_same_map(&ref, &late);
    t_free_region(&late);

    t_free_region(&ref);
    t_cleanup();
    return 0;
}
