/* A no-call counter hit 256 or 512 times (or any other count) between two folds reads as hit: the
 * plugin's increment never wraps to 0. Each count runs in a child on the base view (its lane
 * folded by the reader after it exits without a memcov call) and in an own view (get_now of
 * the lane, before any fold); both must cover exactly the edges two runs of the loop cover, and
 * more than none. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

typedef int64_t (*loop_fn)(int64_t);

struct ctx {
    const char *name;
    int64_t n;
    int out; /* write end: the own view's get_now, 8 bytes */
};

static loop_fn load_loop(void)
{
    void *lib = t_load("libmcov_sample_counts_inline.so");
    loop_fn fn;
    void *p = dlsym(lib, "counts_loop");
    CHECK(p, "dlsym counts_loop");
    memcpy(&fn, &p, sizeof fn);
    return fn;
}

static void base_view_child(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    load_loop()(c->n);
    _exit(0); /* no memcov call, no destructor: the lane alone holds the counts */
}

static void own_view_child(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    loop_fn loop = load_loop();
    mcov_reset();
    loop(c->n);
    uint64_t now = mcov_get_now64();
    t_write_all(c->out, &now, sizeof now);
    _exit(0);
}

static uint64_t base_view_edges(int64_t n)
{
    const char *name = t_region_name("wrap");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    struct ctx c = {name, n, -1};
    t_wait_ok(t_fork(base_view_child, &c));
    uint64_t edges = t_region_edges(name);
    CHECK(mcov_region_remove(name) == 0, "remove: %s", mcov_last_error());
    return edges;
}

static uint64_t own_view_edges(int64_t n)
{
    const char *name = t_region_name("wrap-own");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int fds[2];
    t_pipe(fds);
    struct ctx c = {name, n, fds[1]};
    pid_t pid = t_fork(own_view_child, &c);
    close(fds[1]);
    uint64_t now = 0;
    t_read_all(fds[0], &now, sizeof now);
    close(fds[0]);
    t_wait_ok(pid);
    CHECK(mcov_region_remove(name) == 0, "remove: %s", mcov_last_error());
    return now;
}

int main(void)
{
    /* Two runs of the loop take every edge of it, whether the compiler made the body one block
     * (hit n times) or a back edge (n - 1). */
    uint64_t none = base_view_edges(0), once = base_view_edges(2);
    CHECK(none < once, "the loop adds no edge: %llu, then %llu", (unsigned long long)none,
          (unsigned long long)once);
    CHECK_EQ_U64(own_view_edges(2), once);
    const int64_t counts[] = {255, 256, 257, 300, 511, 512, 513, 65536, 65537};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        uint64_t base = base_view_edges(counts[i]), own = own_view_edges(counts[i]);
        CHECK(base == once && own == once,
              "a loop body hit %lld times: %llu edges on the base view, %llu in an own view, "
              "where one hit covers %llu",
              (long long)counts[i], (unsigned long long)base, (unsigned long long)own,
              (unsigned long long)once);
    }
    t_cleanup();
    return 0;
}
