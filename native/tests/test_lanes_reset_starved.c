/* Review reproducer (lanes): readers hold the lanes file's flock shared (LOCK_SH) while they fold,
 * and a reset polls for LOCK_EX with LOCK_NB, sleeping up to 16 ms between tries
 * (mcov_lanes_lock, lanes.c). Readers that poll the union in a loop (a fuzzing dashboard, the
 * .NET CountCovered, several tools) keep some shared lock held at almost every instant, so the
 * reset rarely or never finds a gap: it waits its 3 s and fails with MCOV_E_SYSTEM, naming a
 * process "stopped while reading" that does not exist.
 * Expected: mcov_region_reset succeeds promptly while readers run. Observed: it fails after 3 s
 * (or takes seconds). */
#define _GNU_SOURCE
#include "support.h"

#include "memcov_files.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_READERS = 8, OWNERS = 8 };
static int READERS = 3;

static void owner(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    mcov_reset(); /* a live lane with edges in it */
    t_run_inputs(0, 0, t_input_count);
    for (;;)
        pause();
}

static void reader(void *name)
{
    mcov_region_file *f;
    CHECK(mcov_region_file_open(NULL, name, &f, NULL) == 0, "reader open: %s", mcov_last_error());
    for (;;)
        mcov_region_file_sync(f);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        READERS = atoi(argv[1]) < MAX_READERS ? atoi(argv[1]) : MAX_READERS;
    const char *name = t_region_name("starve");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    pid_t owners[OWNERS];
    for (int i = 0; i < OWNERS; i++)
        owners[i] = t_fork(owner, (void *)name);
    pid_t pids[MAX_READERS];
    for (int i = 0; i < READERS; i++)
        pids[i] = t_fork(reader, (void *)name);
    usleep(300000);
    int failed = 0;
    double worst = 0;
    for (int i = 0; i < 5; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int rc = mcov_region_reset(name);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        worst = s > worst ? s : worst;
        failed += rc != 0;
    }
    for (int i = 0; i < READERS; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    for (int i = 0; i < OWNERS; i++) {
        kill(owners[i], SIGKILL);
        waitpid(owners[i], NULL, 0);
    }
    t_cleanup();
    CHECK(failed == 0 && worst < 1.0,
          "with %d processes reading the region in a loop and %d in own views, %d of 5 resets "
          "failed, the slowest took %.2f s", READERS, OWNERS, failed, worst);
    return 0;
}
