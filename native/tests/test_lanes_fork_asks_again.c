/* A fork child asks for a lane of its own whatever its parent was told: a parent refused a lane
 * (here the lanes lock was held elsewhere while its counters module joined, so its take gave up
 * after 3 s) forks a child once the lock is free; the child opens an own view, which needs a lane,
 * and takes one, so what it records there is in shared memory: after it aborts, a reader finds
 * its edges. Before, the child inherited the refusal with the parent's memory, asked for no lane,
 * and its own view's counters were private memory that the abort lost. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int64_t (*s_loop)(int64_t);

/* An own view, its hits, then abort: nothing but a lane keeps them. */
static void child(void *arg)
{
    (void)arg;
    mcov_reset();
    s_loop(3);
    abort();
}

int main(void)
{
    const char *name = t_region_name("asks-again");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    int lanes = t_open_lanes(name, NULL);
    CHECK(flock(lanes, LOCK_EX) == 0, "flock");
    setenv("MEMCOV_QUIET", "1", 1); /* the refusal's line */
    void *lib = t_load("libmcov_sample_counts_inline.so");
    s_loop = (int64_t (*)(int64_t))dlsym(lib, "counts_loop");
    CHECK(s_loop != NULL, "counts_loop");
    CHECK(flock(lanes, LOCK_UN) == 0, "unlock");
    for (uint32_t k = 0; k < MCOV_LANE_COUNT; k++)
        CHECK(t_lane_entry(lanes, k).state == MCOV_LANE_FREE, "lane %u is taken: the parent was "
              "not refused", k);

    pid_t pid = t_fork(child, NULL);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
          "the child did not abort");
    int owned = 0;
    for (uint32_t k = 0; k < MCOV_LANE_COUNT; k++) {
        mcov_lane_entry e = t_lane_entry(lanes, k);
        owned += e.state == MCOV_LANE_OWNED && e.owner_pid == (uint64_t)pid;
    }
    CHECK_EQ_U64(owned, 1);
    close(lanes);
    /* The parent has counted nothing: what a reader finds is the child's. */
    CHECK(t_region_edges(name) > 0, "the child's edges were lost");
    t_cleanup();
    return 0;
}
