/* A hit-count region holds AFL++'s classes of the counts a module had, in no-call mode (its
 * counters) and in callback mode (the callback counts in the lane): an edge run 1, 2, 3, 5, 9,
 * 20, 100, 128, 255, 256 or 300 times holds the class of that count (counts are NeverZero: 256
 * reads 1, 300 reads 45), whether the process folded it at mcov_reset in an own view, at exit, or
 * died and a reader folded it. Two processes OR their classes, and a reader never folds a live
 * process's partial counts. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

typedef int64_t (*count_fn)(int64_t);

enum how { OWN_VIEW_RESET, EXIT, DIE, WAIT_THEN_EXIT };

struct ctx {
    const char *name;
    int64_t n;
    enum how how;
    int up;   /* write end: 'r' once the counts are made (WAIT_THEN_EXIT) */
    int down; /* read end: any byte lets it exit (WAIT_THEN_EXIT) */
};

/* The build of the counts module under test. */
static const char *s_lib;

static count_fn load(const char *sym)
{
    void *lib = t_load(s_lib);
    void *p = dlsym(lib, sym);
    CHECK(p, "dlsym %s", sym);
    count_fn fn;
    memcpy(&fn, &p, sizeof fn);
    return fn;
}

static void counter(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    count_fn repeat = load("counts_repeat");
    if (c->how == OWN_VIEW_RESET)
        mcov_reset();
    repeat(c->n);
    switch (c->how) {
    case OWN_VIEW_RESET:
        mcov_reset(); /* the end of an input: its counts go to the region as classes */
        _exit(0);
    case EXIT:
        exit(0);
    case DIE:
        _exit(0); /* no destructor: a reader folds the dead process's lane */
    case WAIT_THEN_EXIT:
        t_write_byte(c->up, 'r');
        (void)t_read_byte(c->down, 10000);
        exit(0);
    }
}

/* The edge of counts_hit: its index in the module, from a process that hits only it. */
static void find_hit_edge(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    count_fn hit = load("counts_hit");
    mcov_reset();
    hit(1);
    uint64_t total = mcov_get_total64();
    uint8_t *buf = calloc(1, total);
    CHECK(buf && mcov_copy_hitmap_n(buf, total) == total, "copy");
    int64_t at = -1;
    for (uint64_t i = 0; i < total; i++)
        if (buf[i]) {
            CHECK(at < 0, "more than one edge: %lld and %llu", (long long)at, (unsigned long long)i);
            at = (int64_t)i;
        }
    free(buf);
    t_write_all(c->up, &at, sizeof at);
    _exit(0);
}

static uint8_t class_of(uint64_t count)
{
    uint8_t v = count ? (uint8_t)((count - 1) % 255 + 1) : 0; /* NeverZero */
    static const uint8_t bounds[] = {1, 2, 3, 4, 8, 16, 32, 128};
    uint8_t c = 0;
    for (int k = 0; k < 8; k++)
        if (v >= bounds[k])
            c = (uint8_t)(1u << k);
    return c;
}

static uint8_t region_byte(const char *name, int64_t at)
{
    t_region_copy r = t_read_region(name);
    CHECK((uint64_t)at < r.cursor, "edge %lld beyond the cursor %llu", (long long)at,
          (unsigned long long)r.cursor);
    uint8_t b = r.map[at];
    t_free_region(&r);
    return b;
}

static const char *counts_region(const char *tag)
{
    const char *name = t_region_name(tag);
    CHECK(mcov_region_create_counts(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    return name;
}

static void check_classes(void)
{
    int fds[2];
    t_pipe(fds);
    struct ctx c = {counts_region("find"), 0, EXIT, fds[1], -1};
    pid_t pid = t_fork(find_hit_edge, &c);
    close(fds[1]); /* a child that fails ends the read */
    int64_t at = -1;
    t_read_all(fds[0], &at, sizeof at);
    close(fds[0]);
    t_wait_ok(pid);
    CHECK(at >= 0, "counts_hit's edge not found");

    static const int64_t counts[] = {1, 2, 3, 5, 9, 20, 100, 128, 255, 256, 300};
    static const enum how hows[] = {OWN_VIEW_RESET, EXIT, DIE};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        for (size_t h = 0; h < sizeof hows / sizeof hows[0]; h++) {
            struct ctx k = {counts_region("classes"), counts[i], hows[h], -1, -1};
            t_wait_ok(t_fork(counter, &k));
            uint8_t got = region_byte(k.name, at);
            CHECK(got == class_of((uint64_t)counts[i]),
                  "%s, %lld hits (ending %d): class 0x%02x, expected 0x%02x", s_lib,
                  (long long)counts[i], (int)hows[h], got, class_of((uint64_t)counts[i]));
        }

    /* Two processes' classes OR. */
    struct ctx a = {counts_region("or"), 3, DIE, -1, -1}, b = a;
    b.n = 20;
    t_wait_ok(t_fork(counter, &a));
    t_wait_ok(t_fork(counter, &b));
    CHECK_EQ_U64(region_byte(a.name, at), class_of(3) | class_of(20));

    /* A live process's counts stay out until it ends. */
    int up[2], down[2];
    t_pipe(up);
    t_pipe(down);
    struct ctx w = {counts_region("live"), 5, WAIT_THEN_EXIT, up[1], down[0]};
    pid = t_fork(counter, &w);
    t_expect_byte(up[0], 'r', pid, "the counting child did not report");
    CHECK_EQ_U64(region_byte(w.name, at), 0);
    t_write_byte(down[1], 'q');
    t_wait_ok(pid);
    CHECK_EQ_U64(region_byte(w.name, at), class_of(5));
}

int main(void)
{
    static const char *const libs[] = {"libmcov_sample_counts_inline.so", "libmcov_sample_counts.so"};
    for (size_t i = 0; i < 2; i++) {
        s_lib = libs[i];
        check_classes();
    }
    t_cleanup();
    return 0;
}
