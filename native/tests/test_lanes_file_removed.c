/* Review reproducer (lanes): the lanes file is removed (or replaced) while processes are in own
 * views. Two defects:
 *
 * A. A process that opens the region afterwards opens it without lanes, and its
 *    mcov_region_reset bumps the epoch without masking (mcov_region_clear, region.c): every live
 *    lane now counts for nothing (neither seen_epoch nor mask_epoch is the new epoch), and its
 *    owner's next fold clears it without folding (fold_module, inline.c). Every edge the owner
 *    hits for the first time after that reset is lost.
 *    Expected: those edges reach the region. Observed: none do.
 *
 * B. A handle opened before the removal (a tool's mcov_region_file, or an attached process's
 *    reset through one) cannot reset any more: mcov_lanes_lock opens the lanes file by path,
 *    which is gone, and mcov_region_file_reset fails with "region ... was removed" (it was not)
 *    and leaves the map as it was. Readers through such a handle (mcov_region_file_sync) fail
 *    the same way and fold nothing.
 *
 * C. The same after mcov_region_remove while processes stay attached (docs/semantics.md: they
 *    "keep their mapping and keep recording into the unlinked file"): a worker killed inside an
 *    own view is never folded, since no reader can take the lanes flock by path any more, and
 *    the attached creator's union (mcov_get_now on the base view) lacks its edges. */
#define _GNU_SOURCE
#include "support.h"

#include "memcov_files.h"

#include <dirent.h>
#include <signal.h>
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
    t_run_inputs(0, 1, t_input_count - 1); /* first hits since the reset */
    mcov_reset();                          /* the owner folds its lane */
}

static void one_input(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(0, 0, 1);
}

static void case_a(const t_region_copy *all, const t_region_copy *first)
{
    const char *name = t_region_name("lanesgone");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int up[2], down[2];
    t_pipe(up);
    t_pipe(down);
    struct ctx c = {name, up[1], down[0]};
    pid_t pid = t_fork(worker, &c);
    t_expect_byte(up[0], 'r', pid, "worker ready");
    CHECK_EQ_U64(t_remove_lanes_files(name), 1);
    int rc = mcov_region_reset(name);
    fprintf(stderr, "A: mcov_region_reset after the lanes file was removed: %d '%s'\n", rc,
            mcov_last_error());
    t_write_byte(down[1], 'g');
    t_wait_ok(pid);
    t_region_copy got = t_read_region(name);
    uint64_t want = 0, missing = 0;
    for (uint64_t i = 0; i < all->cursor && i < got.cursor; i++)
        if (all->map[i] && !first->map[i]) {
            want++;
            missing += !got.map[i];
        }
    EXPECT(missing == 0,
           "A: %llu of the %llu edges the worker first hit after the reset are not in the "
           "region (it folded them itself, with mcov_reset, and exited)",
           (unsigned long long)missing, (unsigned long long)want);
    t_free_region(&got);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
}

static void case_b(void)
{
    const char *name = t_region_name("lanesgone-b");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, 0, t_input_count); /* base view: into the map */
    mcov_detach();
    CHECK(t_region_edges(name) > 0, "nothing recorded");
    mcov_region_file *file;
    CHECK(mcov_region_file_open(NULL, name, &file, NULL) == 0, "open: %s", mcov_last_error());
    CHECK_EQ_U64(t_remove_lanes_files(name), 1);
    int rc = mcov_region_file_sync(file);
    EXPECT(rc == 0, "B: mcov_region_file_sync = %d '%s'", rc, mcov_last_error());
    rc = mcov_region_file_reset(file);
    EXPECT(rc == 0, "B: mcov_region_file_reset = %d '%s'", rc, mcov_last_error());
    mcov_region_file_close(file);
    uint64_t left = t_region_edges(name);
    EXPECT(left == 0, "B: the region holds %llu edges after mcov_region_file_reset",
           (unsigned long long)left);
}

static void killed_worker(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    mcov_reset(); /* an own view: its lane, taken as the modules load */
    t_run_inputs(0, 0, 1);
    t_write_byte(c->up, 'r');
    CHECK(t_read_byte(c->down, 20000) == 'g', "worker: no go"); /* the region was removed */
    t_run_inputs(0, 1, t_input_count - 1);
    t_write_byte(c->up, 'd');
    for (;;)
        pause();
}

static void case_c(const t_region_copy *all)
{
    const char *name = t_region_name("removed-c");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    int up[2], down[2];
    t_pipe(up);
    t_pipe(down);
    struct ctx c = {name, up[1], down[0]};
    pid_t pid = t_fork(killed_worker, &c);
    t_expect_byte(up[0], 'r', pid, "worker ready");
    CHECK(mcov_region_remove(name) == 0, "remove: %s", mcov_last_error());
    t_write_byte(down[1], 'g');
    t_expect_byte(up[0], 'd', pid, "worker ran every input");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    uint64_t now = mcov_get_now64(); /* the creator, attached to the unlinked region */
    uint64_t want = t_count(all->map, all->cursor);
    EXPECT(now == want, "C: the creator, still attached after mcov_region_remove, counts %llu "
                        "edges; the worker killed in its own view hit %llu",
           (unsigned long long)now, (unsigned long long)want);
    mcov_detach();
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    t_region_copy all = t_reference_union();
    const char *refname = t_region_name("first");
    CHECK(mcov_region_create(refname, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok(t_fork(one_input, (void *)refname));
    t_region_copy first = t_read_region(refname);
    case_c(&all); /* first: this process has loaded no module yet, so adds nothing itself */
    case_a(&all, &first);
    case_b();
    t_free_region(&all);
    t_free_region(&first);
    t_cleanup();
    return s_failures ? 1 : 0;
}
