/* Review reproducer (lanes): a region reset leaves stale mask bytes in a lane chunk that holds
 * nothing at the time of the reset, and edges hit for the first time after a later reset are
 * then never counted.
 *
 * A worker in an own view (no-call samples, so its own view is its lane):
 *   1. runs input 0;                        lane = E0
 *   2. another process resets the region:   mask = E0, mask_epoch = 2
 *   3. the worker clears its own view (mcov_reset): the lane is folded and cleared, seen_epoch 2
 *   4. another process resets the region:   the lane's chunk is all zero, so mask_live_lane skips
 *                                           it (lanes.c), and the mask keeps E0; mask_epoch = 3
 *   5. the worker runs input 0 again:        lane = E0, every edge a first hit since the reset
 *   6. the worker is killed (or calls mcov_reset, or exits: same result).
 * Expected (docs/semantics.md, "Region reset inside an own view": an edge the own view does not
 * have yet reaches the region at its first hit): the region holds E0.
 * Observed: the region holds nothing: the lane counts only beyond its mask, and the mask is
 * the one written at step 2. */
#define _GNU_SOURCE
#include "support.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct ctx {
    const char *name;
    int to_parent;
    int from_parent;
    int how; /* 0: SIGKILLed, 1: a last mcov_reset then exit */
};

static void wait_go(int fd)
{
    CHECK(t_read_byte(fd, 20000) == 'g', "worker: no go from the parent");
}

static void worker(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    mcov_reset(); /* an own view: the lane, taken when the modules load */
    t_run_inputs(0, 0, 1);
    t_write_byte(c->to_parent, '1');
    wait_go(c->from_parent); /* reset #1 done */
    mcov_reset();            /* fold and clear the lane */
    t_write_byte(c->to_parent, '2');
    wait_go(c->from_parent); /* reset #2 done */
    t_run_inputs(0, 0, 1);   /* first hits since reset #2 */
    if (c->how == 1) {
        mcov_reset(); /* the owner folds: what counts of its lane reaches the base */
        t_write_byte(c->to_parent, '3');
        return; /* _exit(0): the lane is folded again at exit anyway */
    }
    t_write_byte(c->to_parent, '3');
    for (;;)
        pause();
}

static void reference(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(0, 0, 1);
}

static void run(const t_region_copy *ref, int how)
{
    const char *name = t_region_name("stale");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int up[2], down[2];
    t_pipe(up);
    t_pipe(down);
    struct ctx c = {name, up[1], down[0], how};
    pid_t pid = t_fork(worker, &c);
    t_expect_byte(up[0], '1', pid, "input 0 ran in the own view");
    CHECK(mcov_region_reset(name) == 0, "reset #1: %s", mcov_last_error());
    t_write_byte(down[1], 'g');
    t_expect_byte(up[0], '2', pid, "own view cleared");
    CHECK(mcov_region_reset(name) == 0, "reset #2: %s", mcov_last_error());
    t_write_byte(down[1], 'g');
    t_expect_byte(up[0], '3', pid, "input 0 ran again");
    if (how == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    } else {
        t_wait_ok(pid);
    }
    t_region_copy got = t_read_region(name);
    uint64_t want = t_count(ref->map, ref->cursor), have = t_count(got.map, got.cursor);
    CHECK(got.cursor == ref->cursor && memcmp(got.map, ref->map, ref->cursor) == 0,
          "%s: the region holds %llu edges after input 0 ran in a fresh own view since the last "
          "reset; input 0 hits %llu",
          how == 0 ? "worker SIGKILLed" : "worker folded its lane with mcov_reset and exited",
          (unsigned long long)have, (unsigned long long)want);
    t_free_region(&got);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
}

int main(int argc, char **argv)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    const char *refname = t_region_name("ref");
    CHECK(mcov_region_create(refname, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok(t_fork(reference, (void *)refname));
    t_region_copy ref = t_read_region(refname);
    CHECK(t_count(ref.map, ref.cursor) > 0, "input 0 hits nothing");
    /* argv[1]: only that case (0: SIGKILL, 1: mcov_reset and exit) */
    if (argc < 2 || argv[1][0] == '0')
        run(&ref, 0);
    if (argc < 2 || argv[1][0] == '1')
        run(&ref, 1);
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
