/* Exec'd children join a region through MEMCOV_REGION alone: four mcov_worker processes,
 * one input slice each, add up to the union one process gets. */
#define _GNU_SOURCE
#include "support.h"

#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MCOV_TEST_WORKER
#error "MCOV_TEST_WORKER names the mcov_worker executable"
#endif

extern char **environ;

/* environ without any MEMCOV_REGION, plus MEMCOV_REGION=name. */
static char **child_env(const char *name, char *var, size_t var_len)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    CHECK(env, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "MEMCOV_REGION=", 14) != 0)
            env[k++] = environ[i];
    snprintf(var, var_len, "MEMCOV_REGION=%s", name);
    env[k++] = var;
    env[k] = NULL;
    return env;
}

int main(void)
{
    t_region_copy ref = t_reference_union();

    const char *name = t_region_name("exec");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    CHECK(!mcov_is_attached(), "still attached after mcov_detach");

    char var[300];
    char **env = child_env(name, var, sizeof var);
    enum { WORKERS = 4 };
    size_t per = (t_input_count + WORKERS - 1) / WORKERS;
    pid_t pids[WORKERS];
    char first[WORKERS][32], count[WORKERS][32];
    for (int i = 0; i < WORKERS; i++) {
        snprintf(first[i], sizeof first[i], "%zu", (size_t)i * per);
        snprintf(count[i], sizeof count[i], "%zu", per);
        /* Worker 0 registers A then B alone, fixing the reference's layout; the others run
         * together and the odd ones load B first: the module table places their edges. */
        char *argv[] = {(char *)MCOV_TEST_WORKER, first[i], count[i], i % 2 ? "b-first" : NULL,
                        NULL};
        fflush(NULL);
        int rc = posix_spawn(&pids[i], MCOV_TEST_WORKER, NULL, NULL, argv, env);
        CHECK(rc == 0, "posix_spawn %s: %s", MCOV_TEST_WORKER, strerror(rc));
        if (i == 0)
            t_wait_ok_within(pids[0], 20000);
    }
    for (int i = 1; i < WORKERS; i++)
        t_wait_ok_within(pids[i], 20000);
    free(env);

    t_region_copy got = t_read_region(name);
    CHECK_EQ_U64(got.modules, 2);
    CHECK_EQ_U64(got.modules_private, 0);
    CHECK_EQ_U64(got.edges_dropped, 0);
    t_check_same_map(&ref, &got);
    CHECK_EQ_U64(t_count(got.map, got.cursor), t_count(ref.map, ref.cursor));

    t_free_region(&ref);
    t_free_region(&got);
    t_cleanup();
    return 0;
}
