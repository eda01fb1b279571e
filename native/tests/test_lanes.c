/* Lanes (docs/region-format.md, "Lanes"), with the samples in no-call mode, whose own views are
 * their process's lane:
 * - a fork pool's children and their parent never share a lane, and a child's own view starts as
 *   a copy of its parent's;
 * - 200 workers killed inside an own view leave every edge in the region and no unfolded lane once
 *   a reader has looked, and the lanes file's memory is back to its table;
 * - mcov_get_now on the base view equals the set bytes of mcov_copy_hitmap while other processes'
 *   lanes are live, and both are the union;
 * - a worker that aborts inside an own view loses nothing. */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { WORKERS = 200, POOL = 4 };

/* --- a fork pool --- */

struct pool_ctx {
    const char *name;
    int report; /* child -> parent: its own-view count, then waits for the pipe to close */
    int hold;
    int hold_writer; /* the parent's end, closed in each child */
};

static void pool_child(void *arg)
{
    const struct pool_ctx *c = arg;
    close(c->hold_writer);
    uint64_t inherited = mcov_get_now64(); /* the own view, copied from the parent */
    t_run_inputs(0, 1, 2);
    t_write_all(c->report, &inherited, sizeof inherited);
    char b;
    (void)read(c->hold, &b, 1); /* alive (holding its lane) until the parent has looked */
}

static void fork_pool_lanes(void)
{
    const char *name = t_region_name("pool");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_push_coverage();
    t_run_inputs(0, 0, 1);
    uint64_t parent_view = mcov_get_now64();
    CHECK(parent_view > 0, "the parent's own view is empty");
    int report[2], hold[2];
    t_pipe(report);
    t_pipe(hold);
    struct pool_ctx c = {name, report[1], hold[0], hold[1]};
    pid_t kids[POOL];
    for (int i = 0; i < POOL; i++)
        kids[i] = t_fork(pool_child, &c);
    for (int i = 0; i < POOL; i++) {
        uint64_t inherited = 0;
        t_read_all(report[0], &inherited, sizeof inherited);
        CHECK_EQ_U64(inherited, parent_view);
    }
    /* Every child is alive in its own view: one lane each, and one for the parent. */
    mcov_lanes_header lh;
    int lanes = t_open_lanes(name, &lh);
    pid_t owners[MCOV_LANE_COUNT];
    int owned = 0;
    for (uint32_t k = 0; k < lh.lane_count; k++) {
        mcov_lane_entry e = t_lane_entry(lanes, k);
        if (e.state != MCOV_LANE_OWNED)
            continue;
        for (int j = 0; j < owned; j++)
            CHECK(owners[j] != (pid_t)e.owner_pid, "pid %d owns two lanes",
                  (int)e.owner_pid);
        owners[owned++] = (pid_t)e.owner_pid;
    }
    CHECK(owned == POOL + 1, "%d lanes owned, %d processes in own views", owned, POOL + 1);
    for (int i = 0; i <= POOL; i++) {
        pid_t want = i < POOL ? kids[i] : getpid();
        bool found = false;
        for (int j = 0; j < owned; j++)
            found |= owners[j] == want;
        CHECK(found, "process %d owns no lane", (int)want);
    }
    close(lanes);
    /* The parent's own view has none of the children's hits. */
    CHECK_EQ_U64(mcov_get_now64(), parent_view);
    close(hold[1]);
    for (int i = 0; i < POOL; i++)
        t_wait_ok(kids[i]);
    close(report[0]);
    close(report[1]);
    close(hold[0]);
    mcov_pop_coverage();
    mcov_detach();
}

/* --- killed workers --- */

struct worker_ctx {
    const char *name;
    size_t input;
    int ready;
};

static void killed_worker(void *arg)
{
    const struct worker_ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    mcov_reset(); /* an own view: its lane */
    t_run_inputs(0, c->input % t_input_count, 1);
    t_write_byte(c->ready, 'r');
    for (;;)
        pause();
}

static void killed_workers_leave_no_lane(const t_region_copy *ref)
{
    const char *name = t_region_name("killed");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int ready[2];
    t_pipe(ready);
    pid_t pids[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        struct worker_ctx c = {name, (size_t)i, ready[1]};
        pids[i] = t_fork(killed_worker, &c);
    }
    for (int i = 0; i < WORKERS; i++)
        t_expect_byte(ready[0], 'r', pids[i], "worker ready");
    mcov_lanes_header lh;
    int lanes = t_open_lanes(name, &lh);
    int owned = 0;
    for (uint32_t k = 0; k < lh.lane_count; k++)
        owned += t_lane_entry(lanes, k).state == MCOV_LANE_OWNED;
    CHECK(owned == WORKERS, "%d lanes owned by %d live workers", owned, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        kill(pids[i], SIGKILL);
        int status;
        CHECK(waitpid(pids[i], &status, 0) == pids[i] && WIFSIGNALED(status), "worker %d", i);
    }
    /* A reader folds and frees every dead lane: the union of every input, nothing owned, and
     * the lanes file back to its table. */
    t_check_region_matches(name, ref);
    for (uint32_t k = 0; k < lh.lane_count; k++) {
        mcov_lane_entry e = t_lane_entry(lanes, k);
        CHECK(e.state == MCOV_LANE_FREE && e.extent == 0, "lane %u: state %u, extent %" PRIu64,
              k, e.state, e.extent);
    }
    t_check_lanes_hold_no_page(lanes, &lh);
    close(lanes);
    close(ready[0]);
    close(ready[1]);
}

/* --- readers agree while lanes are live --- */

static void live_lanes_read_alike(const t_region_copy *ref)
{
    const char *name = t_region_name("live");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    int ready[2];
    t_pipe(ready);
    pid_t pids[POOL];
    for (int i = 0; i < POOL; i++) {
        struct worker_ctx c = {name, (size_t)i, ready[1]};
        pids[i] = t_fork(killed_worker, &c); /* inputs 0..3, in own views, alive */
    }
    for (int i = 0; i < POOL; i++)
        t_expect_byte(ready[0], 'r', pids[i], "worker ready");
    /* This process runs the other inputs on the base view. */
    t_run_inputs(0, POOL, t_input_count - POOL);
    uint64_t now = mcov_get_now64();
    uint64_t total = mcov_get_total64();
    uint8_t *hm = malloc(total);
    CHECK(hm, "malloc");
    mcov_copy_hitmap((char *)hm);
    CHECK_EQ_U64(t_count(hm, total), now);
    CHECK_EQ_U64(now, t_count(ref->map, ref->cursor));
    free(hm);
    for (int i = 0; i < POOL; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    close(ready[0]);
    close(ready[1]);
    mcov_detach();
}

/* --- abort inside an own view --- */

static void aborting_worker(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    mcov_push_coverage();
    t_run_inputs(0, 0, t_input_count);
    signal(SIGABRT, SIG_DFL);
    abort();
}

static void abort_loses_nothing(const t_region_copy *ref)
{
    const char *name = t_region_name("abort");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    pid_t pid = t_fork(aborting_worker, (void *)name);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "worker status 0x%x", status);
    t_check_region_matches(name, ref);
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    t_region_copy ref = t_reference_union();
    fork_pool_lanes();
    killed_workers_leave_no_lane(&ref);
    live_lanes_read_alike(&ref);
    abort_loses_nothing(&ref);
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
