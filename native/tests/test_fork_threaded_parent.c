/* fork from a multithreaded parent while other threads register modules and switch views:
 * every child gets a usable runtime (no lock left held) and its edges reach the region. */
#include "support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int s_stop;

/* Keeps the runtime's lock busy: views switch and counts are taken in a loop. */
static void *churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&s_stop)) {
        mcov_push_coverage();
        (void)mcov_get_now64();
        mcov_pop_coverage();
        (void)mcov_get_total64();
    }
    return NULL;
}

static void child(void *arg)
{
    size_t i = (size_t)(uintptr_t)arg;
    /* Registration (B is new to this child), a view switch and a count all take the lock. */
    t_run_inputs(0, i % t_input_count, 1);
    mcov_reset();
    t_run_inputs(0, i % t_input_count, 1);
    if (mcov_get_now64() == 0)
        _exit(4);
}

int main(void)
{
    t_region_copy ref = t_reference_union();
    const char *name = t_region_name("mtfork");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, 0, 0); /* A and B registered in the parent */

    pthread_t threads[3];
    for (int i = 0; i < 3; i++)
        CHECK(pthread_create(&threads[i], NULL, churn, NULL) == 0, "pthread_create");
    /* Enough forks that some land while a churn thread holds the runtime's lock. */
    for (size_t i = 0; i < 3 * t_input_count; i++)
        t_wait_ok_within(t_fork(child, (void *)(uintptr_t)i), 20000);
    atomic_store(&s_stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(threads[i], NULL);

    t_region_copy got = t_read_region(name);
    t_check_same_map(&ref, &got);
    t_free_region(&ref);
    t_free_region(&got);
    t_cleanup();
    return 0;
}
