/* A live process that holds the registration lock and never lets go (stopped, stuck) does
 * not hang the others: registration waits a few seconds, then the module records privately
 * with one memcov: warning, and later modules do not wait again. Once the holder lets go,
 * attaching again joins the region with every hit. */
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
    int command; /* read end: a byte releases the lock */
};

static void holder(void *arg)
{
    const struct holder_ctx *c = arg;
    char path[4096];
    t_region_path(c->name, path, sizeof path);
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX) != 0)
        _exit(3);
    t_write_byte(c->ready, 'L');
    (void)t_read_byte(c->command, -1);
    close(fd);
}

struct registrant_ctx {
    const char *name;
    int err;      /* write end: this child's stderr */
    int progress; /* write end: 'p' once A and B record privately */
    int go;       /* read end: the lock is free now */
};

static void registrant(void *arg)
{
    const struct registrant_ctx *c = arg;
    if (dup2(c->err, STDERR_FILENO) < 0)
        _exit(2);
    if (mcov_attach(c->name) != 0)
        _exit(3);
    t_run_inputs(0, 0, t_input_count); /* A waits and gives up; B only tries */
    if (mcov_module_count() != 2 || mcov_private_module_count() != 2 || mcov_get_now64() == 0)
        _exit(4);
    t_write_byte(c->progress, 'p');
    if (t_read_byte(c->go, 20000) != 'g')
        _exit(5);
    if (mcov_attach(c->name) != 0 || mcov_private_module_count() != 0)
        _exit(6);
}

/* memcov: lines of text that contain part. */
static int count_lines(const char *text, const char *part)
{
    char copy[8192], *save = NULL;
    snprintf(copy, sizeof copy, "%s", text);
    int n = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        n += strncmp(line, "memcov:", 7) == 0 && strstr(line, part) != NULL;
    return n;
}

int main(void)
{
    t_region_copy ref = t_reference_union();
    const char *name = t_region_name("stuck");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();

    int ready[2], command[2];
    t_pipe(ready);
    t_pipe(command);
    struct holder_ctx hc = {name, ready[1], command[0]};
    pid_t h = t_fork(holder, &hc);
    close(ready[1]);
    close(command[0]);
    t_expect_byte(ready[0], 'L', h, "the holder did not take the lock");
    close(ready[0]);

    int err[2], progress[2], go[2];
    t_pipe(err);
    t_pipe(progress);
    t_pipe(go);
    struct registrant_ctx rc = {name, err[1], progress[1], go[0]};
    pid_t r = t_fork(registrant, &rc);
    close(err[1]);
    close(progress[1]);
    close(go[0]);
    int b = t_read_byte(progress[0], 20000);
    if (b != 'p') {
        kill(h, SIGKILL);
        kill(r, SIGKILL);
        waitpid(h, NULL, 0);
        waitpid(r, NULL, 0);
    }
    CHECK(b == 'p', "registration did not give up on a lock that is never released (got %d)", b);
    t_region_copy held = t_read_region(name);
    CHECK_EQ_U64(held.modules, 0);
    t_free_region(&held);

    t_write_byte(command[1], 'u');
    t_wait_ok_within(h, 20000);
    t_write_byte(go[1], 'g');
    t_wait_ok_within(r, 20000);
    char *text = t_read_to_end(err[0]);
    CHECK(count_lines(text, "stayed locked") == 1, "expected one lock warning, stderr:\n%s", text);
    free(text);
    close(err[0]);
    close(progress[0]);
    close(go[1]);
    close(command[1]);

    t_check_region_matches(name, &ref);
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
