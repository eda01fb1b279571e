/* A hit-count region holds AFL++'s classes of the counts a module had, in no-call mode (its
 * counters) and in callback mode (the callback counts in the lane): an edge run 1, 2, 3, 5, 9,
 * 20, 100, 128, 255, 256 or 300 times holds the class of that count (counts are NeverZero: 256
 * reads 1, 300 reads 45), whether the process folded it at mcov_reset in an own view, at exit, or
 * died and a reader folded it. Two processes OR their classes, and a reader never folds a live
 * process's partial counts. */
#define _GNU_SOURCE
#include "support.h"

#include "counts.h"

#include <stdbool.h>
#include <string.h>
#include <unistd.h>

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

static void counter(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    t_count_fn repeat = t_counts_sym(s_lib, "counts_repeat");
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

static void check_classes(void)
{
    int64_t at = t_counts_hit_edge(s_lib);

    static const int64_t counts[] = {1, 2, 3, 5, 9, 20, 100, 128, 255, 256, 300};
    static const enum how hows[] = {OWN_VIEW_RESET, EXIT, DIE};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        for (size_t h = 0; h < sizeof hows / sizeof hows[0]; h++) {
            struct ctx k = {t_counts_region("classes"), counts[i], hows[h], -1, -1};
            t_wait_ok(t_fork(counter, &k));
            uint8_t got = t_region_byte(k.name, at);
            CHECK(got == t_class_of((uint64_t)counts[i]),
                  "%s, %lld hits (ending %d): class 0x%02x, expected 0x%02x", s_lib,
                  (long long)counts[i], (int)hows[h], got, t_class_of((uint64_t)counts[i]));
        }

    /* Two processes' classes OR. */
    struct ctx a = {t_counts_region("or"), 3, DIE, -1, -1}, b = a;
    b.n = 20;
    t_wait_ok(t_fork(counter, &a));
    t_wait_ok(t_fork(counter, &b));
    CHECK_EQ_U64(t_region_byte(a.name, at), t_class_of(3) | t_class_of(20));

    /* A live process's counts stay out until it ends. */
    int up[2], down[2];
    t_pipe(up);
    t_pipe(down);
    struct ctx w = {t_counts_region("live"), 5, WAIT_THEN_EXIT, up[1], down[0]};
    pid_t pid = t_fork(counter, &w);
    t_expect_byte(up[0], 'r', pid, "the counting child did not report");
    CHECK_EQ_U64(t_region_byte(w.name, at), 0);
    t_write_byte(down[1], 'q');
    t_wait_ok(pid);
    CHECK_EQ_U64(t_region_byte(w.name, at), t_class_of(5));
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
