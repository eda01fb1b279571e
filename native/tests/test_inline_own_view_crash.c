/* What a crash loses in no-call mode: nothing. The process's lane is mapped over the flags on
 * the base view and in an own view alike, so a process SIGKILLed inside an own view, long after
 * its last memcov call, leaves every edge it hit in the region once a reader folds its lane. */
#define _GNU_SOURCE
#include "support.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

enum { HALF = 12 };

struct ctx {
    const char *name;
    bool pop_first; /* back on the base view before the second half */
    int ready;
};

static void first_half_only(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(0, 0, HALF);
}

static void victim(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    t_run_inputs(0, 0, 0); /* A then B: the reference's layout */
    mcov_push_coverage();
    t_run_inputs(0, 0, HALF);
    if (c->pop_first)
        mcov_pop_coverage(); /* the flags are the region's again */
    else
        (void)mcov_get_now64(); /* a memcov call: the first half reaches the region */
    t_run_inputs(0, HALF, t_input_count - HALF);
    t_write_byte(c->ready, 'r');
    for (;;)
        pause();
}

static t_region_copy killed_after(const char *name, bool pop_first)
{
    int fds[2];
    t_pipe(fds);
    struct ctx c = {name, pop_first, fds[1]};
    pid_t pid = t_fork(victim, &c);
    close(fds[1]);
    int b = t_read_byte(fds[0], 20000);
    kill(pid, SIGKILL);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHECK(b == 'r', "the child did not report (got %d)", b);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status 0x%x", status);
    close(fds[0]);
    return t_read_region(name);
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    t_region_copy ref = t_reference_union();

    const char *half_name = t_region_name("half");
    CHECK(mcov_region_create(half_name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(first_half_only, (void *)half_name), 20000);
    t_region_copy half = t_read_region(half_name);
    CHECK(t_count(half.map, half.cursor) < t_count(ref.map, ref.cursor),
          "the second half hits no new edge: the test shows nothing");

    /* Killed inside an own view, the second half run after its last memcov call: nothing lost. */
    const char *own = t_region_name("own");
    CHECK(mcov_region_create(own, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_region_copy got = killed_after(own, false);
    t_check_same_map(&ref, &got);
    t_free_region(&got);

    /* Killed on the base view again (after pop): nothing lost. */
    const char *base = t_region_name("base");
    CHECK(mcov_region_create(base, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    got = killed_after(base, true);
    t_check_same_map(&ref, &got);
    t_free_region(&got);

    t_free_region(&half);
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
