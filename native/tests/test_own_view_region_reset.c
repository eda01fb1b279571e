/* Inside an own view (mcov_reset, or a pushed scope), edges the own view already has still
 * reach the region again after another process cleared it with mcov_region_reset: the base
 * byte is tested on every hit, whatever the own view holds. Back on the base view, the same. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>

static const char *s_name;

static void reset_region(void *arg)
{
    (void)arg;
    CHECK(mcov_region_reset(s_name) == 0, "child: region reset: %s", mcov_last_error());
}

/* Another process clears the region, this one runs every input again: the region must come
 * back to what it held, while this process's view counts `view` edges. */
static void check_refilled(const t_region_copy *full, uint64_t view, const char *what)
{
    t_wait_ok(t_fork(reset_region, NULL));
    t_region_copy cleared = t_read_region(s_name);
    CHECK_EQ_U64(t_count(cleared.map, cleared.cursor), 0);
    t_free_region(&cleared);
    t_run_inputs(0, 0, t_input_count);
    mcov_flush(); /* no-call modules in an own view reach the region at a memcov call */
    t_region_copy again = t_read_region(s_name);
    CHECK(again.cursor == full->cursor && memcmp(again.map, full->map, full->cursor) == 0,
          "%s: after another process's mcov_region_reset, the hits did not reach the region "
          "again (%llu of %llu edges)",
          what, (unsigned long long)t_count(again.map, again.cursor),
          (unsigned long long)t_count(full->map, full->cursor));
    t_free_region(&again);
    CHECK_EQ_U64(mcov_get_now64(), view);
}

int main(void)
{
    s_name = t_region_name("ownreset");
    CHECK(mcov_region_create(s_name, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, 0, t_input_count);
    mcov_flush();
    t_region_copy full = t_read_region(s_name);
    uint64_t all = t_count(full.map, full.cursor);
    CHECK(all > 20, "union %llu", (unsigned long long)all);
    CHECK_EQ_U64(mcov_get_now64(), all);

    /* An own view that has every edge already. */
    mcov_reset();
    t_run_inputs(0, 0, t_input_count);
    CHECK_EQ_U64(mcov_get_now64(), all);
    check_refilled(&full, all, "own view (mcov_reset)");

    /* A pushed scope on top of it. */
    mcov_push_coverage();
    t_run_inputs(0, 0, t_input_count);
    check_refilled(&full, all, "pushed scope");
    mcov_pop_coverage();
    CHECK_EQ_U64(mcov_get_now64(), all);

    /* Back on the base view: a scope pushed from it, then popped. */
    mcov_detach();
    CHECK(mcov_attach(s_name) == 0, "attach: %s", mcov_last_error());
    mcov_push_coverage();
    t_run_inputs(0, 0, t_input_count);
    mcov_pop_coverage();
    check_refilled(&full, all, "base view");

    t_free_region(&full);
    t_cleanup();
    return 0;
}
