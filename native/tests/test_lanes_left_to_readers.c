/* A process that ends normally in a flag region leaves its lane to readers, and a process taking
 * a lane takes a free one rather than fold a dead owner's: two workers that count with the
 * counters sample and exit one after the other leave two owned lanes, each its own; a reader's
 * count is then the union of both, as one process doing both counts, and it frees both lanes. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct work {
    const char *name;
    int once;       /* run counts_once */
    int loop_times; /* run counts_loop this many times */
};

/* Attach, count, and end with exit (destructors run), as a worker that returns from main. */
static void worker(void *arg)
{
    const struct work *w = arg;
    if (mcov_attach(w->name) != 0)
        _exit(3);
    void *lib = t_load("libmcov_sample_counts_inline.so");
    int64_t (*once)(void) = (int64_t (*)(void))dlsym(lib, "counts_once");
    int64_t (*loop)(int64_t) = (int64_t (*)(int64_t))dlsym(lib, "counts_loop");
    if (!once || !loop)
        _exit(4);
    if (w->once)
        once();
    if (w->loop_times)
        loop(w->loop_times);
    exit(0);
}

/* The lanes of region name that are owned: their owners' pids in owners[], how many. */
static int owned_lanes(const char *name, pid_t *owners)
{
    int fd = t_open_lanes(name, NULL);
    int n = 0;
    for (uint32_t k = 0; k < MCOV_LANE_COUNT; k++) {
        mcov_lane_entry e = t_lane_entry(fd, k);
        if (e.state != MCOV_LANE_FREE) {
            CHECK(e.extent > 0, "owned lane %u holds nothing", k);
            owners[n++] = (pid_t)e.owner_pid;
        }
    }
    close(fd);
    return n;
}

static uint64_t count_as_reader(const char *name)
{
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    uint64_t edges = mcov_get_now64();
    mcov_detach();
    return edges;
}

int main(void)
{
    pid_t owners[MCOV_LANE_COUNT];
    /* One process doing both counts. */
    const char *one = t_region_name("one");
    CHECK(mcov_region_create(one, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    struct work both = {one, 1, 5};
    t_wait_ok(t_fork(worker, &both));
    uint64_t reference = count_as_reader(one);
    CHECK(reference > 2, "the counters sample reached %llu edges", (unsigned long long)reference);
    CHECK_EQ_U64(owned_lanes(one, owners), 0);

    const char *name = t_region_name("two");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    struct work first = {name, 1, 0}, second = {name, 0, 5};
    pid_t a = t_fork(worker, &first);
    t_wait_ok(a);
    CHECK_EQ_U64(owned_lanes(name, owners), 1);
    CHECK(owners[0] == a, "the lane left is pid %d's, not the first worker's (%d)", (int)owners[0],
          (int)a);
    pid_t b = t_fork(worker, &second);
    t_wait_ok(b);
    CHECK_EQ_U64(owned_lanes(name, owners), 2);
    CHECK((owners[0] == a && owners[1] == b) || (owners[0] == b && owners[1] == a),
          "the lanes left are pids %d and %d's, not %d and %d", (int)owners[0], (int)owners[1],
          (int)a, (int)b);
    CHECK_EQ_U64(count_as_reader(name), reference);
    CHECK_EQ_U64(owned_lanes(name, owners), 0);
    t_cleanup();
    return 0;
}
