/* A worker that joins at start-up (MEMCOV_REGION) registers each callback module straight into
 * the region: no private module, and the region holds what one attached process records. A
 * module the region has no room for, or that registers after the region was removed, records
 * privately and keeps its hits, in a flag region and in a hit-count region (where counting must
 * stop while a callback module records privately). */
#define _GNU_SOURCE
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct scenario {
    const char *name;
    uint64_t reference; /* edges of the reference union */
};

static void join_all(const struct scenario *s)
{
    setenv("MEMCOV_REGION", s->name, 1);
    t_run_inputs(0, 0, t_input_count);
    CHECK(mcov_is_attached() == 1, "not attached through MEMCOV_REGION");
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    /* A hit-count region gets a live process's counts when it ends (docs/semantics.md, "Hit
     * counts"): the parent checks that one. */
    if (!strstr(s->name, "counts"))
        CHECK_EQ_U64(mcov_get_now64(), s->reference);
}

/* A region with room for one module: the second records privately, and counts. */
static void too_small(const struct scenario *s)
{
    setenv("MEMCOV_REGION", s->name, 1);
    t_run_inputs(0, 0, t_input_count);
    CHECK(mcov_is_attached() == 1, "not attached through MEMCOV_REGION");
    CHECK_EQ_U64(mcov_private_module_count(), 1);
    CHECK_EQ_U64(mcov_get_now64(), s->reference);
}

/* The region removed after the first module joined: the second registers privately. */
static void removed(const struct scenario *s)
{
    setenv("MEMCOV_REGION", s->name, 1);
    t_run_fn run_a = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    run_a(t_inputs[0]);
    CHECK(mcov_is_attached() == 1, "not attached through MEMCOV_REGION");
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    CHECK(mcov_region_remove(s->name) == 0, "remove: %s", mcov_last_error());
    t_run_inputs(0, 0, t_input_count);
    CHECK_EQ_U64(mcov_module_count(), 2);
    CHECK_EQ_U64(mcov_private_module_count(), 1);
    CHECK_EQ_U64(mcov_get_now64(), s->reference);
}

/* A worker is a fresh exec of this test, as a launcher's workers are: a fork child would inherit
 * the parent's attachment (and its choice against MEMCOV_REGION). */
static void run_worker(char *self, const char *what, const struct scenario *s)
{
    char ref[32];
    snprintf(ref, sizeof ref, "%llu", (unsigned long long)s->reference);
    char *args[] = {self, (char *)what, (char *)s->name, ref, NULL};
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        execv("/proc/self/exe", args);
        _exit(127);
    }
    t_wait_ok(pid);
}

static void create(const char *name, uint64_t capacity, int counts)
{
    int rc = counts ? mcov_region_create_counts(name, capacity) : mcov_region_create(name, capacity);
    CHECK(rc == 0, "create: %s", mcov_last_error());
    mcov_detach();
}

int main(int argc, char **argv)
{
    if (argc == 4) { /* a worker */
        struct scenario s = {argv[2], strtoull(argv[3], NULL, 10)};
        if (strcmp(argv[1], "join_all") == 0)
            join_all(&s);
        else if (strcmp(argv[1], "too_small") == 0)
            too_small(&s);
        else if (strcmp(argv[1], "removed") == 0)
            removed(&s);
        else
            return 2;
        return 0;
    }
    t_region_copy ref = t_reference_union();
    for (int counts = 0; counts <= 1; counts++) {
        struct scenario s = {t_region_name(counts ? "join-counts" : "join"), t_count(ref.map, ref.cursor)};
        create(s.name, 1 << 16, counts);
        run_worker(argv[0], "join_all", &s);
        if (counts)
            CHECK_EQ_U64(t_region_edges(s.name), s.reference);
        else
            t_check_region_matches(s.name, &ref);
        CHECK(mcov_region_remove(s.name) == 0, "remove: %s", mcov_last_error());

        create(s.name, 4096, counts);
        run_worker(argv[0], "too_small", &s);
        CHECK(mcov_region_remove(s.name) == 0, "remove: %s", mcov_last_error());

        create(s.name, 1 << 16, counts);
        run_worker(argv[0], "removed", &s);
    }
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
