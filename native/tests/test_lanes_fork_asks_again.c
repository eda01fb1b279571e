/* A fork child asks for a lane again where its parent was refused one for the parent's own
 * descriptor: here the host closed the descriptor the runtime holds the region through, so the
 * parent's counters module gets no lane (its counters are private memory). A fork child opens the
 * region again; the own view it opens takes a lane, so what it records there is in shared memory: after it
 * aborts, a reader finds its edges. Before, the child inherited the refusal with the parent's
 * memory, asked for no lane, and the abort lost its own view's counters. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
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

/* Closes this process's descriptors of the file at path, as a host closing descriptors it does
 * not know does; how many. */
static int close_descriptors_of(const char *path)
{
    int fds[64];
    int n = t_descriptors_of(path, fds, 64);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    return n;
}

static void fork_and_abort(pid_t *pid)
{
    *pid = t_fork(child, NULL);
    int status;
    CHECK(waitpid(*pid, &status, 0) == *pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
          "the child did not abort");
}

/* Refused for the region's lanes (their lock held elsewhere for the 3 s a take waits), a parent's
 * child does not ask again, even once the lock is free: it would wait as long again, at each fork
 * while the lock stays held. */
static void refused_for_the_lanes(void)
{
    const char *name = t_region_name("lanes-refused");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int lanes = t_open_lanes(name, NULL);
    CHECK(flock(lanes, LOCK_EX) == 0, "flock");
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error()); /* the counters module asks */
    CHECK(flock(lanes, LOCK_UN) == 0, "unlock");
    close(lanes);
    CHECK_EQ_U64(t_lanes_owned_by(name, getpid()), 0);
    pid_t pid;
    fork_and_abort(&pid);
    CHECK_EQ_U64(t_lanes_owned_by(name, pid), 0);
}

int main(void)
{
    setenv("MEMCOV_QUIET", "1", 1); /* the refusals' lines */
    const char *name = t_region_name("asks-again");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    char path[4096];
    t_region_path(name, path, sizeof path);
    /* The creator's, and the one its fork children share instead (without the creator lock). */
    CHECK(close_descriptors_of(path) == 2, "the runtime holds the region through two descriptors");
    void *lib = t_load("libmcov_sample_counts_inline.so");
    s_loop = (int64_t (*)(int64_t))dlsym(lib, "counts_loop");
    CHECK(s_loop != NULL, "counts_loop");
    /* Counters want a lane at once (where the layout plugin is built: otherwise the sample's
     * flags need none on the base view, and the parent is not refused). */
    int lanes = t_open_lanes(name, NULL);
    for (uint32_t k = 0; k < MCOV_LANE_COUNT; k++)
        CHECK(t_lane_entry(lanes, k).state == MCOV_LANE_FREE, "lane %u is taken: the parent was "
              "not refused", k);

    close(lanes);
    pid_t pid;
    fork_and_abort(&pid);
    CHECK_EQ_U64(t_lanes_owned_by(name, pid), 1);
    /* The parent has counted nothing into the region: what a reader finds is the child's. */
    CHECK(t_region_edges(name) > 0, "the child's edges were lost");
    refused_for_the_lanes();
    t_cleanup();
    return 0;
}
