/* Review reproducer (lanes): a reader folds a lane, and only then tries its lock to find out
 * whether the owner died (mcov_lanes_fold, lanes.c). An owner that stores into its lane after
 * the fold read those bytes and dies before the lock is tried has its last hits punched out by
 * free_lane: never folded, lost.
 *
 * The window is made deterministic by interposing fcntl in this executable: when the reader
 * tries the first lane lock, the owner (a worker in an own view, no-call samples) runs the rest
 * of the inputs and is SIGKILLed; then the reader's lock goes ahead.
 * Expected: the region holds the union of every input the worker ran (each hit is in its lane,
 * shared memory, when it is killed). Observed: only input 0's edges. */
#define _GNU_SOURCE
#include "support.h"

#include "memcov_files.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int s_armed;
static pid_t s_worker;
static int s_go = -1;

/* libmemcov.so calls fcntl through its PLT: this definition wins. */
int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (s_armed && cmd == F_OFD_SETLK) {
        const struct flock *l = arg;
        if (l->l_type == F_WRLCK && l->l_start >= (off_t)MCOV_LOCK_LANE(0) &&
            l->l_start < (off_t)MCOV_LOCK_LANE(MCOV_LANE_COUNT)) {
            s_armed = 0;
            /* The lane was folded just now: its owner records more and is killed. */
            t_write_byte(s_go, 'g');
            int status;
            CHECK(waitpid(s_worker, &status, 0) == s_worker && WIFSIGNALED(status),
                  "worker status 0x%x", status);
        }
    }
    return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

struct ctx {
    const char *name;
    int ready;
    int go;
};

static void worker(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    mcov_reset(); /* an own view: its lane */
    t_run_inputs(0, 0, 1);
    t_write_byte(c->ready, 'r');
    CHECK(t_read_byte(c->go, 20000) == 'g', "worker: no go");
    t_run_inputs(0, 1, t_input_count - 1); /* into the lane, shared memory */
    raise(SIGKILL);
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    t_region_copy ref = t_reference_union();
    const char *name = t_region_name("toctou");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int ready[2], go[2];
    t_pipe(ready);
    t_pipe(go);
    struct ctx c = {name, ready[1], go[0]};
    s_worker = t_fork(worker, &c);
    s_go = go[1];
    t_expect_byte(ready[0], 'r', s_worker, "worker ready");

    mcov_region_file *file;
    CHECK(mcov_region_file_open(NULL, name, &file, NULL) == 0, "open: %s", mcov_last_error());
    s_armed = 1;
    CHECK(mcov_region_file_sync(file) == 0, "sync: %s", mcov_last_error()); /* the racing fold */
    CHECK(!s_armed, "the reader never tried a lane lock");
    mcov_region_file_close(file);

    /* Any later reader: the lane is gone, freed by the first. */
    t_region_copy got = t_read_region(name);
    CHECK(got.cursor == ref.cursor && memcmp(got.map, ref.map, ref.cursor) == 0,
          "the region holds %llu edges, the worker's inputs hit %llu: what it stored into its "
          "lane between the reader's fold and the reader's lock was punched out",
          (unsigned long long)t_count(got.map, got.cursor),
          (unsigned long long)t_count(ref.map, ref.cursor));
    t_free_region(&got);
    t_free_region(&ref);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    t_cleanup();
    return 0;
}
