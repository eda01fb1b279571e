/* Hits are in the region as they happen: a child SIGKILLed after running every input
 * (no exit path, no flush) leaves the whole union behind. */
#define _GNU_SOURCE
#include "support.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

struct ctx {
    const char *name;
    int ready; /* write end: one byte once every input ran */
    int hold;  /* read end: never written; end of file only if the parent dies */
    int hold_end;
};

static void victim(void *arg)
{
    const struct ctx *c = arg;
    close(c->hold_end);
    if (mcov_attach(c->name) != 0)
        _exit(3);
    t_run_inputs(0, 0, t_input_count);
    t_write_byte(c->ready, 'r');
    (void)t_read_byte(c->hold, -1); /* blocks until SIGKILL (or the parent's death) */
    _exit(7);
}

int main(void)
{
    t_region_copy ref = t_reference_union();

    const char *name = t_region_name("kill");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();

    int fds[2], hold[2];
    t_pipe(fds);
    t_pipe(hold);
    struct ctx c = {name, fds[1], hold[0], hold[1]};
    pid_t pid = t_fork(victim, &c);
    close(fds[1]);
    close(hold[0]);
    t_expect_byte(fds[0], 'r', pid, "the child did not report");
    CHECK(kill(pid, SIGKILL) == 0, "kill");
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status 0x%x", status);
    close(fds[0]);
    close(hold[1]);

    t_region_copy got = t_read_region(name);
    t_check_same_map(&ref, &got);
    CHECK(t_count(got.map, got.cursor) > 50, "region covers %llu edges",
          (unsigned long long)t_count(got.map, got.cursor));
    /* A process attaching afterwards sees it all in its base view. */
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
    mcov_detach();

    t_free_region(&ref);
    t_free_region(&got);
    t_cleanup();
    return 0;
}
