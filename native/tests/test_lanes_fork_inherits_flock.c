/* Review reproducer (lanes): mcov_lanes_lock (lanes.c) holds the lanes file's flock through a
 * descriptor that lives for the fold or reset. memcov_files.h calls (mcov_region_file_sync,
 * mcov_region_file_reset: the .NET library's reads, a tool's) do not take the process mutex that
 * pthread_atfork holds, so a fork in another thread while one runs gives the child a copy of that
 * descriptor: the child shares the open file description, and the flock stays held as long as the
 * child lives. Every reset of the region (LOCK_EX) then waits 3 s and fails with MCOV_E_SYSTEM
 * ("stayed locked by another process ... stopped while reading?"); a reader would likewise wait
 * out a reset's lock held by a child.
 *
 * Expected: once the reading thread is done, mcov_region_reset succeeds.
 * Observed: it fails after 3 s while the fork children live. */
#define _GNU_SOURCE
#include "support.h"

#include "memcov_files.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { KIDS = 32 };

static mcov_region_file *s_file;
static volatile int s_stop;

static void *reader(void *arg)
{
    (void)arg;
    while (!s_stop)
        mcov_region_file_sync(s_file);
    return NULL;
}

static void sleeper(void *arg)
{
    int *fd = arg;
    (void)t_read_byte(*fd, 30000); /* a long-lived worker */
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    const char *name = t_region_name("flockfork");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    CHECK(mcov_region_file_open(NULL, name, &s_file, NULL) == 0, "open: %s", mcov_last_error());
    int hold[2];
    t_pipe(hold);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, reader, NULL) == 0, "pthread_create");
    pid_t kids[KIDS];
    for (int i = 0; i < KIDS; i++) {
        kids[i] = t_fork(sleeper, &hold[0]);
        usleep(2000);
    }
    s_stop = 1;
    pthread_join(th, NULL);
    mcov_region_file_close(s_file);

    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = mcov_region_reset(name);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    char err[1024];
    snprintf(err, sizeof err, "%s", mcov_last_error());
    close(hold[1]);
    for (int i = 0; i < KIDS; i++)
        waitpid(kids[i], NULL, 0);
    close(hold[0]);
    t_cleanup();
    CHECK(rc == 0, "mcov_region_reset = %d after %.1f s with no reader left, only fork children "
                   "of one: '%s'", rc, s, err);
    return 0;
}
