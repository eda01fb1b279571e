/* An inline module linked without memcov-inline.ld: its flags are not page-aligned and
 * padded, so the runtime never maps over them. It records privately, as clang does, with
 * every memcov call working on it; the header counts it, and one 'memcov:' line says what
 * to add to the link line. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <unistd.h>

struct run {
    const char *name;
    const char *file;
    int err; /* write end for the child's stderr, or -1 */
};

static void run_all(const char *file)
{
    t_run_fn run = t_sym(t_load(file), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run(t_inputs[i]);
}

static void scripted(void *arg)
{
    const struct run *r = arg;
    if (mcov_attach(r->name) != 0)
        _exit(3);
    run_all(r->file);
}

static uint64_t s_expected;

static void unscripted(void *arg)
{
    const struct run *r = arg;
    dup2(r->err, 2);
    if (mcov_attach(r->name) != 0)
        _exit(3);
    run_all(r->file);
    CHECK_EQ_U64(mcov_module_count(), 1);
    CHECK_EQ_U64(mcov_private_module_count(), 1);
    /* The same source as the scripted build (which memcov_instrument() also lays out with the
     * plugin, where built): the same edges, counted from the private flags. */
    CHECK_EQ_U64(mcov_get_now64(), s_expected);
    uint64_t total = mcov_get_total64();
    uint8_t *buf = malloc(total);
    CHECK(buf, "out of memory");
    mcov_copy_hitmap((char *)buf);
    CHECK_EQ_U64(t_count(buf, total), s_expected);
    /* Own views: empty after reset, the edges again once the inputs run again. */
    mcov_reset();
    CHECK_EQ_U64(mcov_get_now64(), 0);
    run_all(r->file);
    CHECK_EQ_U64(mcov_get_now64(), s_expected);
    mcov_detach();
    CHECK_EQ_U64(mcov_get_now64(), s_expected);
    free(buf);
}

int main(void)
{
    const char *ref = t_region_name("noscript-ref");
    CHECK(mcov_region_create(ref, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    struct run r1 = {ref, "libmcov_sample_a_inline.so", -1};
    t_wait_ok_within(t_fork(scripted, &r1), 20000);
    t_region_copy want = t_read_region(ref);
    mcov_module_entry e;
    CHECK_EQ_U64(t_read_entries(ref, &e, 1), 1);
    CHECK_EQ_U64(e.mode, MCOV_MODE_INLINE);
    s_expected = t_count(want.map, want.cursor);
    CHECK(s_expected > 20, "the scripted build recorded %llu edges",
          (unsigned long long)s_expected);

    const char *name = t_region_name("noscript");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int err[2];
    t_pipe(err);
    struct run r2 = {name, "libmcov_sample_a_noscript.so", err[1]};
    pid_t pid = t_fork(unscripted, &r2);
    close(err[1]);
    char *out = t_read_to_end(err[0]);
    close(err[0]);
    t_wait_ok_within(pid, 20000);

    int lines = 0;
    const char *line = NULL;
    for (const char *p = out; (p = strstr(p, "memcov:")); p++, lines++)
        line = p;
    CHECK(lines == 1, "%d 'memcov:' lines on stderr:\n%s", lines, out);
    CHECK(strstr(line, "libmcov_sample_a_noscript.so"), "the line does not name the module: %s",
          line);
    CHECK(strstr(line, "-Wl,-T,memcov-inline.ld"), "the line does not say what to link: %s",
          line);
    free(out);

    t_region_copy got = t_read_region(name);
    CHECK_EQ_U64(got.modules, 0);
    CHECK_EQ_U64(got.cursor, 0);
    CHECK_EQ_U64(got.modules_private, 1);
    CHECK_EQ_U64(got.edges_dropped, e.edge_count);

    t_free_region(&want);
    t_free_region(&got);
    t_cleanup();
    return 0;
}
