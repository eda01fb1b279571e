/* A region reset hides what a live process's counters held, and gives back each edge as it is
 * hit again, while that process makes no memcov call: counters on the base view record into the
 * process's lane, which the reset masks and never writes. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

typedef int64_t (*count_fn)(int64_t);
typedef int64_t (*once_fn)(void);

struct ctx {
    const char *name;
    int to_child;   /* read end */
    int from_child; /* write end */
    bool first_run; /* run counts_once and the loop 300 times before waiting */
};

static void *load_counts(void)
{
    return t_load("libmcov_sample_counts_inline.so");
}

static void worker(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    void *lib = load_counts();
    count_fn loop;
    once_fn once;
    void *p = dlsym(lib, "counts_loop"), *q = dlsym(lib, "counts_once");
    if (!p || !q)
        _exit(4);
    memcpy(&loop, &p, sizeof loop);
    memcpy(&once, &q, sizeof once);
    if (c->first_run) {
        once();
        loop(300);
        t_write_byte(c->from_child, 'r');
        if (t_read_byte(c->to_child, 10000) != 'g')
            _exit(5);
    }
    loop(5);
    t_write_byte(c->from_child, 'd');
    (void)t_read_byte(c->to_child, 10000); /* alive, no memcov call, until the parent is done */
    _exit(0);
}

/* Edges of a process that runs only the loop (5 times), in a region of its own. */
static uint64_t loop_only_edges(void)
{
    const char *name = t_region_name("loop-only");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int down[2], up[2];
    t_pipe(down);
    t_pipe(up);
    struct ctx c = {name, down[0], up[1], false};
    pid_t pid = t_fork(worker, &c);
    t_expect_byte(up[0], 'd', pid, "the loop-only child did not report");
    t_write_byte(down[1], 'q');
    t_wait_ok(pid);
    uint64_t edges = t_region_edges(name);
    CHECK(mcov_region_remove(name) == 0, "remove: %s", mcov_last_error());
    return edges;
}

int main(void)
{
    uint64_t loop_only = loop_only_edges();

    const char *name = t_region_name("reset-counts");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int down[2], up[2];
    t_pipe(down);
    t_pipe(up);
    struct ctx c = {name, down[0], up[1], true};
    pid_t pid = t_fork(worker, &c);
    t_expect_byte(up[0], 'r', pid, "the child did not run");
    uint64_t before = t_region_edges(name);
    CHECK(before > loop_only, "the first run covers %llu edges, the loop alone %llu",
          (unsigned long long)before, (unsigned long long)loop_only);

    CHECK(mcov_region_reset(name) == 0, "reset: %s", mcov_last_error());
    CHECK_EQ_U64(t_region_edges(name), 0);

    t_write_byte(down[1], 'g');
    t_expect_byte(up[0], 'd', pid, "the child did not run the loop again");
    /* Every loop edge is back, counts_once's is not; the child is still alive. */
    CHECK_EQ_U64(t_region_edges(name), loop_only);
    t_write_byte(down[1], 'q');
    t_wait_ok(pid);
    CHECK_EQ_U64(t_region_edges(name), loop_only);
    t_cleanup();
    return 0;
}
