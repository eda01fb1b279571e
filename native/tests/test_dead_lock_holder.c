/* The registration lock is flock on a fresh open of the region file: a holder that dies
 * (SIGKILL) releases it, so the next process registers and records; a live holder really
 * holds registration back until it lets go. */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

struct holder_ctx {
    const char *name;
    int ready;   /* write end: 'L' once the lock is held */
    int command; /* read end: any byte (or end of file) releases the lock; for the holder
                    that is killed, nothing is ever written and only the parent's death
                    (end of file) would end the wait */
    int unused;  /* the parent's end of the command pipe, closed here */
};

static void holder(void *arg)
{
    const struct holder_ctx *c = arg;
    if (c->unused >= 0)
        close(c->unused);
    char path[4096];
    t_region_path(c->name, path, sizeof path);
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX) != 0)
        _exit(3);
    t_write_byte(c->ready, 'L');
    (void)t_read_byte(c->command, -1);
    if (flock(fd, LOCK_UN) != 0)
        _exit(4);
    close(fd);
}

struct registrant_ctx {
    const char *name;
    int progress; /* write end: 'a' attached, 'r' registered and ran every input */
    int unused;   /* the parent's end of the holder's command pipe, closed here */
};

static void registrant(void *arg)
{
    const struct registrant_ctx *c = arg;
    close(c->unused);
    if (mcov_attach(c->name) != 0)
        _exit(3);
    t_write_byte(c->progress, 'a');
    t_run_inputs(0, 0, t_input_count); /* registers A and B under the region's lock */
    if (mcov_module_count() != 2 || mcov_private_module_count() != 0)
        _exit(5);
    t_write_byte(c->progress, 'r');
}

static void fresh_child(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(0, 0, t_input_count);
    if (mcov_module_count() != 2 || mcov_private_module_count() != 0)
        _exit(5);
}

static pid_t start_holder(const char *name, int command, int unused)
{
    int ready[2];
    t_pipe(ready);
    struct holder_ctx c = {name, ready[1], command, unused};
    pid_t pid = t_fork(holder, &c);
    close(ready[1]);
    t_expect_byte(ready[0], 'L', pid, "the holder did not take the lock");
    close(ready[0]);
    return pid;
}

int main(void)
{
    t_region_copy ref = t_reference_union();

    /* 1. A holder killed with the lock held leaves nothing blocked. */
    const char *dead = t_region_name("dead");
    CHECK(mcov_region_create(dead, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int never[2];
    t_pipe(never);
    pid_t h = start_holder(dead, never[0], never[1]);
    close(never[0]);
    CHECK(kill(h, SIGKILL) == 0, "kill");
    int status = 0;
    CHECK(waitpid(h, &status, 0) == h, "waitpid");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "holder status 0x%x", status);
    close(never[1]);
    t_wait_ok_within(t_fork(fresh_child, (void *)dead), 20000);
    t_check_region_matches(dead, &ref);

    /* 2. While a live holder has the lock, registration waits for it. */
    const char *live = t_region_name("live");
    CHECK(mcov_region_create(live, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int command[2], progress[2];
    t_pipe(command);
    h = start_holder(live, command[0], command[1]);
    close(command[0]);
    t_pipe(progress);
    struct registrant_ctx rc = {live, progress[1], command[1]};
    pid_t r = t_fork(registrant, &rc);
    close(progress[1]);
    int b = t_read_byte(progress[0], 20000);
    CHECK(b == 'a', "the registrant did not attach (got %d)", b);
    /* Attached, now registering: it must not get through while the lock is held. */
    b = t_read_byte(progress[0], 200);
    t_region_copy blocked = t_read_region(live);
    if (b != -1) {
        kill(h, SIGKILL);
        kill(r, SIGKILL);
        waitpid(h, NULL, 0);
        waitpid(r, NULL, 0);
    }
    CHECK(b == -1, "the registrant went on while the lock was held (got %d)", b);
    CHECK_EQ_U64(blocked.modules, 0);
    CHECK_EQ_U64(blocked.cursor, 0);
    t_free_region(&blocked);

    t_write_byte(command[1], 'u'); /* release */
    b = t_read_byte(progress[0], 20000);
    CHECK(b == 'r', "the registrant did not finish after the release (got %d)", b);
    t_wait_ok_within(h, 20000);
    t_wait_ok_within(r, 20000);
    close(command[1]);
    close(progress[0]);
    t_check_region_matches(live, &ref);

    t_free_region(&ref);
    t_cleanup();
    return 0;
}
