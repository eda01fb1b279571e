/* A scope pushed from an own view, an attach or a detach inside it, then a pop back into the
 * own view: the pop brings back the outer own view's edges, so the base (the new region, or the
 * private pages) must hold them too, or the hot path, which tests the own view alone, would
 * never write them there again. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <sys/wait.h>

enum { K = 3 };

/* 1. Switching regions inside a scope pushed from an own view. */
static void switch_region(void *arg)
{
    (void)arg;
    const char *r1 = t_region_name("nest1"), *r2 = t_region_name("nest2");
    CHECK(mcov_region_create(r1, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, 0, 0);  /* A and B join r1 */
    mcov_reset();           /* own view */
    t_run_inputs(0, K, 1);  /* K's edges: in r1 and in the own view */
    uint64_t k = t_region_edges(r1);
    CHECK(k > 0, "input K hit nothing");
    mcov_push_coverage();   /* saves the own view, opens an empty scope */
    CHECK(mcov_region_create(r2, 1 << 16) == 0, "create r2: %s", mcov_last_error());
    mcov_pop_coverage();    /* own view = K's edges again; r2 has none of them */
    t_run_inputs(0, K, 1);  /* K hit again, now attached to r2 */
    mcov_flush();
    uint64_t got = t_region_edges(r2);
    t_cleanup();
    CHECK(got == k, "attached to r2, input K ran, but r2 holds %llu of its %llu edges",
          (unsigned long long)got, (unsigned long long)k);
}

/* 2. Detach inside a scope pushed from an own view, then back to the base view. */
static void detach_inside(void *arg)
{
    (void)arg;
    const char *r1 = t_region_name("nest3");
    CHECK(mcov_region_create(r1, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, 0, 0);
    mcov_push_coverage();   /* base -> own view O */
    t_run_inputs(0, K, 1);
    uint64_t k = mcov_get_now64();
    CHECK(k > 0, "input K hit nothing");
    mcov_push_coverage();   /* saves O */
    mcov_detach();          /* private base := the inner (empty) own view */
    mcov_pop_coverage();    /* O again: K's edges; the private base has none */
    t_run_inputs(0, K, 1);  /* K hit while detached: belongs in the private base */
    mcov_pop_coverage();    /* base view: the private pages */
    uint64_t got = mcov_get_now64();
    t_cleanup();
    CHECK(got == k, "detached, input K ran, base view holds %llu of its %llu edges",
          (unsigned long long)got, (unsigned long long)k);
}

int main(void)
{
    if (strcmp(t_samples(), "callback") != 0)
        return T_SKIP;
    int fails = 0;
    void (*cases[])(void *) = {switch_region, detach_inside};
    for (int i = 0; i < 2; i++) {
        fflush(NULL);
        pid_t p = t_fork(cases[i], NULL);
        int st = 0;
        waitpid(p, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "case %d failed\n", i + 1);
            fails++;
        }
    }
    return fails ? 1 : 0;
}
