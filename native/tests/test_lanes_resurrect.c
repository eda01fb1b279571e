/* Review reproducer (lanes): edges cleared by a region reset come back into the union without
 * being hit again, where docs/semantics.md ("Region reset inside an own view") says they stay out
 * until the own view holding them is cleared or closed:
 *
 * P. A pop back into an own view ORs the saved view into the lane (views.c), after a reset that
 *    masked only what the lane held then: the saved bytes are beyond the mask, so the next reader
 *    folds them into the map.
 * F. A fork child of a process in an own view copies the own view into a fresh lane
 *    (mcov_inline_after_fork) whose seen_epoch is the current epoch: all of it counts, so the
 *    next reader folds the parent's pre-reset own view into the map.
 *
 * Expected: the region stays empty (nothing was hit after the reset, and no own view was cleared
 * or closed). Observed: input 0's edges are back. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int s_failures;
#define EXPECT(cond, ...)                                                                   \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: EXPECT(%s) failed: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            s_failures++;                                                                   \
        }                                                                                   \
    } while (0)

struct ctx {
    const char *name;
    int up, down;
    int fork_child;
};

static const struct ctx *s_ctx;

static void idle_child(void *arg)
{
    (void)arg;
    t_write_byte(s_ctx->up, '2'); /* its lane is taken: the at-fork handler ran */
    (void)t_read_byte(s_ctx->down, 20000); /* alive, holding its lane, until the parent looked */
}

static void worker(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    mcov_push_coverage(); /* own view A: the lane */
    t_run_inputs(0, 0, 1);
    if (!c->fork_child)
        mcov_push_coverage(); /* scope B: A's bytes saved, the lane folded and cleared */
    t_write_byte(c->up, '1');
    CHECK(t_read_byte(c->down, 20000) == 'g', "worker: no go"); /* the region was reset */
    pid_t kid = -1;
    s_ctx = c;
    if (c->fork_child) {
        kid = t_fork(idle_child, NULL);
    } else {
        mcov_pop_coverage(); /* back into A */
        t_write_byte(c->up, '2');
    }
    CHECK(t_read_byte(c->down, 20000) == 'g', "worker: no go");
    if (kid > 0)
        waitpid(kid, NULL, 0);
    _exit(0); /* no exit-time fold: only what readers folded counts */
}

static void run(int fork_child)
{
    const char *name = t_region_name(fork_child ? "resurrect-fork" : "resurrect-pop");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int up[2], down[2];
    t_pipe(up);
    t_pipe(down);
    struct ctx c = {name, up[1], down[0], fork_child};
    pid_t pid = t_fork(worker, &c);
    t_expect_byte(up[0], '1', pid, "input 0 ran");
    CHECK(mcov_region_reset(name) == 0, "reset: %s", mcov_last_error());
    CHECK(t_region_edges(name) == 0, "the reset left edges");
    t_write_byte(down[1], 'g');
    t_expect_byte(up[0], '2', pid, fork_child ? "forked" : "popped");
    uint64_t back = t_region_edges(name);
    EXPECT(back == 0, "%s: %llu edges cleared by the reset are back in the region, none hit "
                      "since", fork_child ? "fork in an own view" : "pop back into an own view",
           (unsigned long long)back);
    t_write_byte(down[1], 'g');
    t_write_byte(down[1], 'g');
    t_wait_ok(pid);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    run(0);
    run(1);
    t_cleanup();
    return s_failures ? 1 : 0;
}
