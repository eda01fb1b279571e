/* Who holds a region comes from the kernel (OFD locks on the region file): a region is held while
 * a process is attached to it or a tool has it open, and by its creator while the creator runs;
 * a fork child holds it through a descriptor without the creator lock, so its parent's exit ends
 * the creator's hold (also when modules joined at the create: their slices are not mapped from
 * the creator's); nothing holds a region whose processes died. Only an unused region is swept,
 * and a held one is never removed. */
#define _GNU_SOURCE
#include "support.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memcov_files.h"

static uint32_t liveness(const char *name)
{
    uint32_t state = 99;
    CHECK(mcov_region_file_liveness(NULL, name, &state) == 0, "liveness: %s", mcov_last_error());
    return state;
}

/* A child that attaches to NAME and waits until its pipe closes. */
static void attach_and_wait(void *arg)
{
    const char **a = arg;
    CHECK(mcov_attach(a[0]) == 0, "attach: %s", mcov_last_error());
    close(atoi(a[3])); /* the write end: the test's close is the end of the wait */
    t_write_byte(atoi(a[1]), 'r');
    char c;
    while (read(atoi(a[2]), &c, 1) > 0) {
    }
}

/* A creator that forks a child holding the region, then exits; the child waits. With a[4] "1",
 * the samples register (privately) before the create, and join the region at it. */
static void create_fork_and_exit(void *arg)
{
    const char **a = arg;
    if (strcmp(a[4], "1") == 0) {
        t_run_inputs(0, 0, 0);
        CHECK(mcov_private_module_count() == 2, "the samples did not register");
    }
    CHECK(mcov_region_create(a[0], 1 << 16) == 0, "create: %s", mcov_last_error());
    CHECK(mcov_private_module_count() == 0, "the samples did not join the region");
    pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0) {
        close(atoi(a[3]));
        t_write_byte(atoi(a[1]), 'r');
        char c;
        while (read(atoi(a[2]), &c, 1) > 0) {
        }
        _exit(0);
    }
    _exit(0);
}

int main(void)
{
    /* A tool's create holds the region as its creator; closing ends both holds. */
    const char *tool = t_region_name("live-tool");
    mcov_region_file *f = NULL;
    CHECK(mcov_region_file_create(NULL, tool, 4096, &f, NULL) == 0, "create: %s",
          mcov_last_error());
    CHECK_EQ_U64(liveness(tool), MCOV_LIVE_ATTACHED | MCOV_LIVE_CREATOR);
    CHECK(mcov_region_file_remove_unused(NULL, tool) == MCOV_E_IN_USE, "a held region was swept");
    mcov_region_file_close(f);
    CHECK_EQ_U64(liveness(tool), 0);
    CHECK(mcov_region_file_remove_unused(NULL, tool) == 0, "sweep: %s", mcov_last_error());
    CHECK(mcov_region_file_liveness(NULL, tool, NULL) == MCOV_E_NOT_FOUND, "the swept file is there");

    /* An attached process holds it until it dies, even by SIGKILL. */
    const char *held = t_region_name("live-held");
    CHECK(mcov_region_file_create(NULL, held, 4096, NULL, NULL) == 0, "create");
    CHECK_EQ_U64(liveness(held), 0);
    int ready[2], hold[2];
    t_pipe(ready);
    t_pipe(hold);
    char r1[16], h0[16], h1[16];
    snprintf(r1, sizeof r1, "%d", ready[1]);
    snprintf(h0, sizeof h0, "%d", hold[0]);
    snprintf(h1, sizeof h1, "%d", hold[1]);
    const char *args[] = {held, r1, h0, h1};
    pid_t child = t_fork(attach_and_wait, args);
    t_expect_byte(ready[0], 'r', child, "the attached child");
    CHECK_EQ_U64(liveness(held), MCOV_LIVE_ATTACHED);
    CHECK(mcov_region_file_remove_unused(NULL, held) == MCOV_E_IN_USE, "a held region was swept");
    CHECK(mcov_region_file_liveness(NULL, held, NULL) == 0, "the held region was removed");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    CHECK_EQ_U64(liveness(held), 0);
    close(ready[0]);
    close(ready[1]);
    close(hold[0]);
    close(hold[1]);

    /* A creator's fork child holds the region after the creator exits, but not as creator. */
    for (int modules = 0; modules < 2; modules++) {
        const char *forked = t_region_name(modules ? "live-fork-modules" : "live-fork");
        t_pipe(ready);
        t_pipe(hold);
        snprintf(r1, sizeof r1, "%d", ready[1]);
        snprintf(h0, sizeof h0, "%d", hold[0]);
        snprintf(h1, sizeof h1, "%d", hold[1]);
        const char *fork_args[] = {forked, r1, h0, h1, modules ? "1" : "0"};
        pid_t creator = t_fork(create_fork_and_exit, fork_args);
        t_expect_byte(ready[0], 'r', creator, "the creator's child");
        t_wait_ok_within(creator, 20000);
        CHECK_EQ_U64(liveness(forked), MCOV_LIVE_ATTACHED);
        /* The grandchild ends; it is not ours to wait for, so its exit is the end of the ready
         * pipe (the last write end is its copy), and the kernel drops its locks as it exits. */
        close(hold[1]);
        close(ready[1]);
        CHECK(t_read_byte(ready[0], 20000) == -2, "the grandchild did not end");
        for (int i = 0; i < 1000 && liveness(forked) != 0; i++)
            usleep(1000);
        CHECK_EQ_U64(liveness(forked), 0);
        CHECK(mcov_region_file_remove_unused(NULL, forked) == 0, "sweep: %s", mcov_last_error());
        close(ready[0]);
        close(hold[0]);
    }

    /* This process's own attachment holds a region, as its creator. */
    const char *own = t_region_name("live-own");
    CHECK(mcov_region_create(own, 4096) == 0, "create: %s", mcov_last_error());
    CHECK_EQ_U64(liveness(own), MCOV_LIVE_ATTACHED | MCOV_LIVE_CREATOR);
    mcov_detach();
    CHECK_EQ_U64(liveness(own), 0);

    t_cleanup();
    return 0;
}
