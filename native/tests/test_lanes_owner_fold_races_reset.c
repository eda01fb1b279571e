/* Review reproducer (lanes): an owner's fold-and-clear (mcov_reset in an own view: lane_fold in
 * inline.c) reads the region's epoch, folds, clears, and then stamps its lane with the epoch it
 * read (mcov_lane_adopt_epoch), without any lock against a reset. A reset in another process
 * that runs in between masks the lane as it was before the clear and publishes mask_epoch = the
 * new epoch; the owner then stamps seen_epoch = the old one. The lane is left "beyond the mask"
 * with a mask of what it held before the owner cleared it, so every edge of that mask the owner
 * hits again after both calls returned - first hits of a view cleared after the reset - never
 * counts, and is cleared at its next fold.
 *
 * The window is made deterministic by interposing pread in the worker: its fold reads the lane's
 * mask (part = beyond mask, after a first reset) with pread; there the parent resets the region.
 * Expected: the region holds the edges of the inputs the worker ran after both calls returned.
 * Observed: it holds none of them. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int s_armed;
static int s_up = -1, s_down = -1;

/* libmemcov.so calls pread through its PLT: this definition wins. */
ssize_t pread(int fd, void *buf, size_t n, off_t at)
{
    if (s_armed) {
        s_armed = 0;
        t_write_byte(s_up, '2'); /* inside the owner's fold: the parent resets now */
        CHECK(t_read_byte(s_down, 20000) == 'g', "worker: no go");
    }
    return syscall(SYS_pread64, fd, buf, n, at);
}

struct ctx {
    const char *name;
};

static void worker(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    mcov_reset(); /* an own view: the lane */
    t_run_inputs(0, 0, 1);
    t_write_byte(s_up, '1');
    CHECK(t_read_byte(s_down, 20000) == 'g', "worker: no go"); /* reset #1 done */
    t_run_inputs(0, 1, 1);
    s_armed = 1;
    mcov_reset(); /* fold and clear; reset #2 runs inside */
    CHECK(!s_armed, "the fold never read the mask");
    /* Both calls returned: a fresh own view, and every hit below is a first hit since. */
    t_run_inputs(0, 0, 2);
    mcov_reset(); /* the owner folds what counts */
    t_write_byte(s_up, '3');
}

static void two_inputs(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(0, 0, 2);
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    const char *refname = t_region_name("ref");
    CHECK(mcov_region_create(refname, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok(t_fork(two_inputs, (void *)refname));
    t_region_copy ref = t_read_region(refname);

    const char *name = t_region_name("race");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int up[2], down[2];
    t_pipe(up);
    t_pipe(down);
    s_up = up[1];
    s_down = down[0];
    struct ctx c = {name};
    pid_t pid = t_fork(worker, &c);
    t_expect_byte(up[0], '1', pid, "input 0 ran");
    CHECK(mcov_region_reset(name) == 0, "reset #1: %s", mcov_last_error());
    t_write_byte(down[1], 'g');
    t_expect_byte(up[0], '2', pid, "inside the worker's fold");
    CHECK(mcov_region_reset(name) == 0, "reset #2: %s", mcov_last_error());
    t_write_byte(down[1], 'g');
    t_expect_byte(up[0], '3', pid, "inputs 0 and 1 ran again");
    t_wait_ok(pid);
    t_region_copy got = t_read_region(name);
    uint64_t missing = 0;
    for (uint64_t i = 0; i < ref.cursor && i < got.cursor; i++)
        missing += ref.map[i] && !got.map[i];
    CHECK(got.cursor == ref.cursor && missing == 0,
          "%llu of the %llu edges of inputs 0 and 1, run in an own view cleared after the last "
          "reset returned, are not in the region",
          (unsigned long long)missing, (unsigned long long)t_count(ref.map, ref.cursor));
    t_free_region(&got);
    t_free_region(&ref);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
    t_cleanup();
    return 0;
}
