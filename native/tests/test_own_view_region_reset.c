/* After another process clears the region with mcov_region_reset:
 * - on the base view, every hit reaches the region again;
 * - inside an own view (mcov_reset, or a pushed scope), every edge the own view did not have
 *   yet reaches the region at its first hit, and the edges it had come back once the own view
 *   is cleared (the next mcov_reset) or closed (a pop back to the base view).
 * No-call modules in an own view reach the region at every memcov call, so for them every hit
 * comes back at the mcov_flush below; the checks hold for both modes. */
#define _GNU_SOURCE
#include "support.h"

#include <stdlib.h>
#include <string.h>

static const char *s_name;
static t_region_copy s_full; /* every input once: the region every refill must give back */

static void reset_region(void *arg)
{
    (void)arg;
    CHECK(mcov_region_reset(s_name) == 0, "child: region reset: %s", mcov_last_error());
}

static void reset_by_another_process(void)
{
    t_wait_ok(t_fork(reset_region, NULL));
    CHECK_EQ_U64(t_region_edges(s_name), 0);
}

static void run_every_input(void)
{
    t_run_inputs(0, 0, t_input_count);
    mcov_flush(); /* no-call modules in an own view reach the region at a memcov call */
}

/* The region holds what it held after every input ran once. */
static void check_refilled(const char *what)
{
    t_region_copy again = t_read_region(s_name);
    CHECK(again.cursor == s_full.cursor && memcmp(again.map, s_full.map, s_full.cursor) == 0,
          "%s: after another process's mcov_region_reset, the hits did not reach the region "
          "again (%llu of %llu edges)",
          what, (unsigned long long)t_count(again.map, again.cursor),
          (unsigned long long)t_count(s_full.map, s_full.cursor));
    t_free_region(&again);
}

/* The open own view, in the region's layout (every module is in the region). */
static uint8_t *own_view_copy(void)
{
    uint64_t total = mcov_get_total64();
    CHECK(total >= s_full.cursor, "total %llu below the cursor", (unsigned long long)total);
    uint8_t *buf = malloc(total);
    CHECK(buf, "out of memory");
    mcov_copy_hitmap((char *)buf);
    return buf;
}

/* Half of the inputs ran in a fresh own view, the region was reset, every input ran: each edge
 * the own view did not have must be in the region, and nothing but the inputs' edges. */
static void check_first_hits_reach_region(const uint8_t *had, const char *what)
{
    uint64_t had_count = t_count(had, s_full.cursor);
    uint64_t all = t_count(s_full.map, s_full.cursor);
    CHECK(had_count > 0 && had_count < all, "%s: half the inputs hit %llu of %llu edges",
          what, (unsigned long long)had_count, (unsigned long long)all);
    t_region_copy now = t_read_region(s_name);
    for (uint64_t i = 0; i < s_full.cursor; i++) {
        CHECK(!s_full.map[i] || had[i] || now.map[i],
              "%s: slot %llu, first hit in the own view after the reset, is not in the region",
              what, (unsigned long long)i);
        CHECK(!now.map[i] || s_full.map[i], "%s: slot %llu is in the region but no input hits it",
              what, (unsigned long long)i);
    }
    t_free_region(&now);
}

/* In the current (fresh) own view: half the inputs, a reset by another process, every input. */
static void half_then_reset_then_all(const char *what)
{
    t_run_inputs(0, 0, t_input_count / 2);
    uint8_t *had = own_view_copy();
    reset_by_another_process();
    run_every_input();
    check_first_hits_reach_region(had, what);
    free(had);
}

int main(void)
{
    s_name = t_region_name("ownreset");
    CHECK(mcov_region_create(s_name, 1 << 16) == 0, "create: %s", mcov_last_error());
    run_every_input();
    s_full = t_read_region(s_name);
    uint64_t all = t_count(s_full.map, s_full.cursor);
    CHECK(all > 20, "union %llu", (unsigned long long)all);
    CHECK_EQ_U64(mcov_get_now64(), all);

    /* The base view. */
    reset_by_another_process();
    run_every_input();
    check_refilled("base view");

    /* A scope pushed from the base view; its pop closes the own view. */
    mcov_push_coverage();
    half_then_reset_then_all("scope pushed from the base view");
    mcov_pop_coverage();
    run_every_input();
    check_refilled("base view after the pop");
    CHECK_EQ_U64(mcov_get_now64(), all);

    /* An own view opened by mcov_reset; the next mcov_reset clears it. */
    mcov_reset();
    half_then_reset_then_all("own view (mcov_reset)");
    mcov_reset();
    run_every_input();
    check_refilled("own view after the next mcov_reset");
    CHECK_EQ_U64(mcov_get_now64(), all);

    /* A scope pushed from that own view; popped, then the own view cleared. */
    mcov_push_coverage();
    half_then_reset_then_all("scope pushed from an own view");
    mcov_pop_coverage();
    CHECK_EQ_U64(mcov_get_now64(), all);
    mcov_reset();
    run_every_input();
    check_refilled("own view after the pop and the next mcov_reset");

    t_free_region(&s_full);
    t_cleanup();
    return 0;
}
