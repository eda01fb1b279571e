/* A worker that joins at start-up (MEMCOV_REGION) registers each callback module straight into
 * the region: no private module, and the region holds what one attached process records. A
 * module the region has no room for, or that registers after the region was removed, records
 * privately and keeps its hits. All of it again with the windows reserved as address space only
 * (RLIMIT_DATA refuses writable reservations of 4 GiB, as strict overcommit does), in a fresh
 * exec of this test. */
#define _GNU_SOURCE
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define T_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define T_ASAN 1
#endif

struct scenario {
    const char *name;
    uint64_t reference; /* edges of the reference union */
};

/* Whether this process has a window reservation of at least 3 GiB with these permissions. */
static int has_reservation(const char *perms)
{
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f, "open /proc/self/maps");
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long from, to;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &from, &to, p) == 3 && to - from >= (3ul << 30) &&
            strcmp(p, perms) == 0)
            found = 1;
    }
    fclose(f);
    return found;
}

static void check_windows(int limited)
{
    /* Writable: both windows are one readable, writable mapping each. Limited: address space,
     * with a module's slices mapped inside, so the largest pieces are the reservation's. */
    CHECK(has_reservation(limited ? "---p" : "rw-p"), "no %s window reservation",
          limited ? "address-space-only" : "writable");
}

static void join_all(const struct scenario *s)
{
    setenv("MEMCOV_REGION", s->name, 1);
    t_run_inputs(0, 0, t_input_count);
    CHECK(mcov_is_attached() == 1, "not attached through MEMCOV_REGION");
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    CHECK_EQ_U64(mcov_get_now64(), s->reference);
    check_windows(getenv("T_LIMITED") != NULL);
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
static void run_worker(char *self, const char *what, const struct scenario *s, int limited)
{
    char ref[32];
    snprintf(ref, sizeof ref, "%llu", (unsigned long long)s->reference);
    char *args[] = {self, (char *)what, (char *)s->name, ref, NULL};
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        struct rlimit lim = {1ul << 30, 1ul << 30};
        if (limited && (setrlimit(RLIMIT_DATA, &lim) != 0 || setenv("T_LIMITED", "1", 1) != 0))
            _exit(5);
        execv("/proc/self/exe", args);
        _exit(127);
    }
    t_wait_ok(pid);
}

static void run_scenarios(char *self, const t_region_copy *ref, int limited)
{
    struct scenario s = {t_region_name(limited ? "join-limited" : "join"),
                         t_count(ref->map, ref->cursor)};
    CHECK(mcov_region_create(s.name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    run_worker(self, "join_all", &s, limited);
    t_check_region_matches(s.name, ref);
    CHECK(mcov_region_remove(s.name) == 0, "remove: %s", mcov_last_error());

    CHECK(mcov_region_create(s.name, 4096) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    run_worker(self, "too_small", &s, limited);
    CHECK(mcov_region_remove(s.name) == 0, "remove: %s", mcov_last_error());

    CHECK(mcov_region_create(s.name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    run_worker(self, "removed", &s, limited);
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
    run_scenarios(argv[0], &ref, 0);
#ifndef T_ASAN /* ASan's shadow counts as data: the limit would refuse ASan's own mappings */
    run_scenarios(argv[0], &ref, 1);
#endif
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
