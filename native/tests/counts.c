/* Test support for hit counts (counts.h). */
#define _GNU_SOURCE
#include "counts.h"

#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

t_count_fn t_counts_sym(const char *lib, const char *sym)
{
    void *p = dlsym(t_load(lib), sym);
    CHECK(p, "dlsym %s", sym);
    t_count_fn fn;
    memcpy(&fn, &p, sizeof fn);
    return fn;
}

uint8_t t_class_of(uint64_t count)
{
    uint8_t v = count ? (uint8_t)((count - 1) % 255 + 1) : 0; /* NeverZero */
    static const uint8_t bounds[] = {1, 2, 3, 4, 8, 16, 32, 128};
    uint8_t c = 0;
    for (int k = 0; k < 8; k++)
        if (v >= bounds[k])
            c = (uint8_t)(1u << k);
    return c;
}

uint8_t t_region_byte(const char *name, int64_t at)
{
    t_region_copy r = t_read_region(name);
    CHECK((uint64_t)at < r.cursor, "edge %lld beyond the cursor %llu", (long long)at,
          (unsigned long long)r.cursor);
    uint8_t b = r.map[at];
    t_free_region(&r);
    return b;
}

const char *t_counts_region(const char *tag)
{
    const char *name = t_region_name(tag);
    CHECK(mcov_region_create_counts(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    return name;
}

struct finder {
    const char *name;
    const char *lib;
    int up; /* write end: the slot, 8 bytes */
};

/* A process that hits only counts_hit's edge, in an own view, and reports the one byte set. */
static void find_hit_edge(void *arg)
{
    const struct finder *f = arg;
    if (mcov_attach(f->name) != 0)
        _exit(3);
    t_count_fn hit = t_counts_sym(f->lib, "counts_hit");
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
    t_write_all(f->up, &at, sizeof at);
    _exit(0);
}

int64_t t_counts_hit_edge(const char *lib)
{
    int fds[2];
    t_pipe(fds);
    struct finder f = {t_counts_region("find"), lib, fds[1]};
    pid_t pid = t_fork(find_hit_edge, &f);
    close(fds[1]); /* a child that fails ends the read */
    int64_t at = -1;
    t_read_all(fds[0], &at, sizeof at);
    close(fds[0]);
    t_wait_ok(pid);
    CHECK(at >= 0, "counts_hit's edge not found");
    return at;
}
