/* Review reproducer (lanes): a region reset that finds no room for a live lane's mask (a full
 * shm directory) leaves the lane counting for nothing (mask_live_lane, lanes.c), and the owner's
 * next fold clears it without folding (fold_module with MCOV_LANE_NONE, inline.c): every edge the
 * owner hit for the first time after the reset is lost, whether it is killed or lives on.
 *
 * Expected (the invariant; docs/semantics.md, "Region reset inside an own view": an edge the own
 * view does not have yet reaches the region at its first hit): every edge the worker's inputs
 * 1..N hit that input 0 (its own view before the reset) did not is in the region (whether the
 * reset cleared the region or failed with MCOV_E_NO_SPACE and cleared nothing).
 * Observed: none of them; mcov_region_reset returned 0 and said nothing.
 *
 * Needs a small tmpfs of its own (as test_full_shm_dir.c): a private mount namespace, or a
 * re-exec under `unshare -rm`; exit 77 if neither works. */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define INNER_FLAG "--in-namespace"
#define TMPFS_BYTES (4 * 1024 * 1024)

static char s_mnt[] = "/tmp/memcov-t-masknoroom-XXXXXX";

struct ctx {
    const char *name;
    int up, down;
    int how; /* 0: SIGKILLed after the inputs; 1: mcov_reset (the owner folds), then exit */
};

static void worker(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    mcov_reset(); /* an own view: its lane */
    t_run_inputs(0, 0, 1);
    t_write_byte(c->up, 'r');
    CHECK(t_read_byte(c->down, 20000) == 'g', "worker: no go");
    t_run_inputs(0, 1, t_input_count - 1); /* first hits since the reset, most of them */
    if (c->how == 1)
        mcov_reset();
    t_write_byte(c->up, 'd');
    if (c->how == 1)
        return;
    for (;;)
        pause();
}

static void one_input(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(0, 0, 1);
}

/* Fill the directory: the filler file takes every free block. */
static int fill(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/filler", s_mnt);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0, "open filler: %s", strerror(errno));
    static char block[4096];
    memset(block, 1, sizeof block);
    while (write(fd, block, sizeof block) > 0)
        ;
    return fd;
}

static void run_case(const t_region_copy *all, const t_region_copy *first, int how)
{
    const char *name = t_region_name("noroom");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int up[2], down[2];
    t_pipe(up);
    t_pipe(down);
    struct ctx c = {name, up[1], down[0], how};
    pid_t pid = t_fork(worker, &c);
    t_expect_byte(up[0], 'r', pid, "worker ready");
    int filler = fill();
    int rc = mcov_region_reset(name);
    CHECK(rc == MCOV_OK || rc == MCOV_E_NO_SPACE, "reset with the directory full: %d '%s'", rc,
          mcov_last_error());
    t_write_byte(down[1], 'g');
    t_expect_byte(up[0], 'd', pid, "worker ran its inputs");
    if (how == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    } else {
        t_wait_ok(pid);
    }
    close(filler);
    char path[4096];
    snprintf(path, sizeof path, "%s/filler", s_mnt);
    unlink(path);
    t_region_copy got = t_read_region(name);
    uint64_t want = 0, missing = 0;
    for (uint64_t i = 0; i < all->cursor && i < got.cursor; i++)
        if (all->map[i] && !first->map[i]) {
            want++;
            missing += !got.map[i];
        }
    CHECK(got.cursor == all->cursor && missing == 0,
          "%s: %llu of the %llu edges first hit after the reset are not in the region",
          how == 0 ? "worker SIGKILLed" : "worker folded with mcov_reset and exited",
          (unsigned long long)missing, (unsigned long long)want);
    t_free_region(&got);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
}

static void run(int how)
{
    setenv("MEMCOV_SHM_DIR", s_mnt, 1);
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    t_region_copy all = t_reference_union();
    const char *refname = t_region_name("first");
    CHECK(mcov_region_create(refname, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok(t_fork(one_input, (void *)refname));
    t_region_copy first = t_read_region(refname);
    if (how < 0 || how == 0)
        run_case(&all, &first, 0);
    if (how < 0 || how == 1)
        run_case(&all, &first, 1);
    t_free_region(&all);
    t_free_region(&first);
    t_cleanup();
}

static int in_namespace(int how)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    char opts[64];
    snprintf(opts, sizeof opts, "size=%d,mode=0700", TMPFS_BYTES);
    if (mount("tmpfs", s_mnt, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
        return -1;
    run(how);
    umount2(s_mnt, MNT_DETACH);
    return 0;
}

static void remove_mount_point(void)
{
    umount2(s_mnt, MNT_DETACH);
    rmdir(s_mnt);
}

/* argv: [0|1] runs one case only. */
int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], INNER_FLAG) == 0) {
        snprintf(s_mnt, sizeof s_mnt, "%s", argv[2]);
        return in_namespace(atoi(argv[3])) == 0 ? 0 : T_SKIP;
    }
    int how = argc > 1 ? atoi(argv[1]) : -1;
    CHECK(mkdtemp(s_mnt), "mkdtemp: %s", strerror(errno));
    atexit(remove_mount_point);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0, "readlink /proc/self/exe");
    self[n] = '\0';
    int rc = -1;
    if (unshare(CLONE_NEWNS) == 0)
        rc = in_namespace(how);
    if (rc != 0) {
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
            char h[16];
            snprintf(h, sizeof h, "%d", how);
            execlp("unshare", "unshare", "-rm", self, INNER_FLAG, s_mnt, h, (char *)NULL);
            _exit(T_SKIP);
        }
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    return rc;
}
