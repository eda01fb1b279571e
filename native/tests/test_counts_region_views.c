/* The views of a hit-count region keep counts as counts and classes as classes, in no-call and
 * callback mode: an own view of 5 hits reads class 4-7 (0x08) after a push and pop, after
 * set_hitmap of its own copy, and in a process that got no lane (a callback module there records
 * class 1); its region gets that class when the count ends; deserialize ORs a map's classes
 * (0x10) and flags (1, class 1) into the region's. */
#define _GNU_SOURCE
#include "support.h"

#include "counts.h"
#include "memcov_files.h"

#include <stdbool.h>
#include <string.h>
#include <unistd.h>

enum scenario { PUSH_POP, SET_OWN_COPY, NO_LANE };

struct ctx {
    const char *name;
    enum scenario scenario;
    int up;
    int64_t at;
    uint8_t *blob;
    size_t size;
};

/* The build of the counts module under test: no-call, or callback. */
static const char *s_lib;

static t_count_fn load(const char *sym)
{
    return t_counts_sym(s_lib, sym);
}

static uint8_t view_byte(int64_t at)
{
    uint64_t total = mcov_get_total64();
    uint8_t *buf = calloc(1, total);
    CHECK(buf && mcov_copy_hitmap_n(buf, total) == total, "copy");
    uint8_t b = buf[at];
    free(buf);
    return b;
}

static void own_view_child(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    t_count_fn repeat = load("counts_repeat");
    mcov_reset();
    repeat(5);
    uint8_t v[2];
    v[0] = view_byte(c->at);
    if (c->scenario == PUSH_POP) {
        mcov_push_coverage();
        mcov_pop_coverage();
    } else if (c->scenario == SET_OWN_COPY) {
        char *buf = calloc(1, mcov_get_total());
        CHECK(buf, "calloc");
        mcov_copy_hitmap(buf);
        mcov_set_hitmap(buf);
        free(buf);
    }
    v[1] = view_byte(c->at);
    t_write_all(c->up, v, 2);
    mcov_reset(); /* the count ends */
    _exit(0);
}

static void counter(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    load("counts_repeat")(5);
    exit(0);
}

static void loader(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    deserialize_mem_coverage(c->blob, c->size);
    exit(mcov_last_error()[0] ? 4 : 0);
}

static void check_deserialize(int64_t at)
{
    struct ctx c = {t_counts_region("deser"), PUSH_POP, -1, at, NULL, 0};
    t_wait_ok(t_fork(counter, &c));
    CHECK_EQ_U64(t_region_byte(c.name, at), t_class_of(5));
    mcov_module_entry e[8];
    uint32_t n = t_read_entries(c.name, e, 8);
    int k = t_find_entry(e, n, "sample_counts");
    CHECK(k >= 0, "no entry of the counts module");
    mcov_module_entry m = e[k];
    uint64_t rel = (uint64_t)at - m.base;
    m.base = 0;
    uint8_t *edges = calloc(1, m.edge_count);
    CHECK(edges, "calloc");
    const uint32_t kinds[2] = {MCOV_MAP_CLASSES, MCOV_MAP_FLAGS};
    const uint8_t values[2] = {0x10, 0x01};
    uint8_t want = t_class_of(5);
    for (int i = 0; i < 2; i++) {
        edges[rel] = values[i];
        uint64_t size = mcov_map_file_size(1, m.edge_count);
        uint8_t *blob = malloc(size);
        CHECK(blob && mcov_map_write(&m, 1, kinds[i], edges, m.edge_count, blob, size) == 0,
              "map_write: %s", mcov_last_error());
        c.blob = blob;
        c.size = size;
        t_wait_ok(t_fork(loader, &c));
        want |= values[i];
        CHECK_EQ_U64(t_region_byte(c.name, at), want);
        free(blob);
    }
    free(edges);
}

static void check_views(void)
{
    int64_t at = t_counts_hit_edge(s_lib);
    static const enum scenario scenarios[] = {PUSH_POP, SET_OWN_COPY, NO_LANE};
    static const char *const what[] = {"push and pop", "set_hitmap of its copy", "no lane"};
    for (size_t s = 0; s < 3; s++) {
        int fds[2];
        t_pipe(fds);
        struct ctx c = {t_counts_region("views"), scenarios[s], fds[1], at, NULL, 0};
        if (scenarios[s] == NO_LANE) /* as with 256 lanes owned: the counters are private */
            CHECK_EQ_U64(t_remove_lanes_files(c.name), 1);
        pid_t pid = t_fork(own_view_child, &c);
        close(fds[1]);
        uint8_t v[2];
        t_read_all(fds[0], v, 2);
        close(fds[0]);
        t_wait_ok(pid);
        uint8_t got = t_region_byte(c.name, at);
        bool flags = scenarios[s] == NO_LANE && !strstr(s_lib, "inline");
        uint8_t want = t_class_of(flags ? 1 : 5);
        CHECK(v[0] == want && v[1] == want && got == want,
              "%s, %s: own view 0x%02x, then 0x%02x; region 0x%02x; expected 0x%02x", s_lib,
              what[s], v[0], v[1], got, want);
    }
    check_deserialize(at);
}

int main(void)
{
    static const char *const libs[] = {"libmcov_sample_counts_inline.so", "libmcov_sample_counts.so"};
    for (size_t i = 0; i < 2; i++) {
        s_lib = libs[i];
        check_views();
    }
    t_cleanup();
    return 0;
}
