/* Views: what a process's memcov calls see while attached, row by row of the semantics.
 * Every expected map is measured in a separate fresh process: fresh[i] is the region one
 * process gets running input i alone (A then B), the reference the one running them all. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <unistd.h>

#define MAX_INPUTS 64

static t_region_copy ref;
static t_region_copy fresh[MAX_INPUTS];
static uint64_t edges_a, edges_b, base_b; /* the modules' shape in an A-then-B region */

enum { K1 = 0, K2 = 3, K3 = 10 }; /* three inputs with different edges */

/* --- helpers ---------------------------------------------------------------------- */

static const char *new_region(const char *tag)
{
    const char *name = t_region_name(tag);
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create %s: %s", name, mcov_last_error());
    mcov_detach();
    return name;
}

static void attach(const char *name)
{
    CHECK(mcov_attach(name) == 0, "attach %s: %s", name, mcov_last_error());
}

static void load_modules(void)
{
    t_run_inputs(0, 0, 0);
    CHECK_EQ_U64(mcov_module_count(), 2);
}

static void run_input(size_t i)
{
    t_run_inputs(0, i, 1);
}

static uint64_t union_count(const size_t *inputs, size_t n)
{
    uint64_t k = 0;
    for (uint64_t s = 0; s < ref.cursor; s++) {
        int set = 0;
        for (size_t j = 0; j < n; j++)
            set |= fresh[inputs[j]].map[s] != 0;
        k += set;
    }
    return k;
}

/* CHECK that map[0, ref.cursor) is exactly the union of the fresh maps of the inputs. */
static void check_union_of(const uint8_t *map, const size_t *inputs, size_t n, const char *what)
{
    for (uint64_t s = 0; s < ref.cursor; s++) {
        int set = 0;
        for (size_t j = 0; j < n; j++)
            set |= fresh[inputs[j]].map[s] != 0;
        CHECK((map[s] != 0) == set, "%s: slot %llu is %u, expected %d", what,
              (unsigned long long)s, map[s], set);
    }
}

/* The current view through mcov_copy_hitmap; total must be the region's cursor. */
static uint8_t *copy_view(void)
{
    uint64_t total = mcov_get_total64();
    CHECK_EQ_U64(total, ref.cursor);
    uint8_t *buf = malloc(total);
    CHECK(buf, "out of memory");
    mcov_copy_hitmap((char *)buf);
    return buf;
}

static void check_view_is(const size_t *inputs, size_t n, const char *what)
{
    CHECK_EQ_U64(mcov_get_now64(), union_count(inputs, n));
    uint8_t *v = copy_view();
    check_union_of(v, inputs, n, what);
    free(v);
}

/* Both read the file. In an own view, inline modules' hits reach it at the next memcov call:
 * mcov_flush is that call (and does nothing for callback modules). */
static void check_region_is(const char *name, const size_t *inputs, size_t n, const char *what)
{
    mcov_flush();
    t_region_copy r = t_read_region(name);
    CHECK_EQ_U64(r.cursor, ref.cursor);
    check_union_of(r.map, inputs, n, what);
    t_free_region(&r);
}

static void check_region_is_ref(const char *name)
{
    mcov_flush();
    t_region_copy r = t_read_region(name);
    t_check_same_map(&ref, &r);
    t_free_region(&r);
}

/* --- fresh maps -------------------------------------------------------------------- */

static void one_input(void *arg)
{
    const char *name = ((const char **)arg)[0];
    size_t i = (size_t)(uintptr_t)((const char **)arg)[1];
    attach(name);
    run_input(i);
}

static void measure_fresh(void)
{
    for (size_t i = 0; i < t_input_count; i++) {
        const char *name = new_region("fresh");
        const void *arg[2] = {name, (const void *)(uintptr_t)i};
        t_wait_ok_within(t_fork(one_input, (void *)arg), 20000);
        fresh[i] = t_read_region(name);
        CHECK_EQ_U64(fresh[i].cursor, ref.cursor);
        CHECK(t_count(fresh[i].map, fresh[i].cursor) > 0, "input %zu hits nothing", i);
        if (i == 0) {
            mcov_module_entry e[2];
            CHECK_EQ_U64(t_read_entries(name, e, 2), 2);
            CHECK(strstr(e[0].path, "sample_a") && strstr(e[1].path, "sample_b"), "order");
            edges_a = e[0].edge_count;
            edges_b = e[1].edge_count;
            base_b = e[1].base;
        }
        CHECK(mcov_region_remove(name) == 0, "remove: %s", mcov_last_error());
    }
    /* The inputs K1, K2, K3 each add edges the others do not have. */
    size_t k12[] = {K1, K2}, k123[] = {K1, K2, K3};
    CHECK(union_count(k12, 2) > t_count(fresh[K1].map, ref.cursor), "K2 adds nothing to K1");
    CHECK(union_count(k12, 2) > t_count(fresh[K2].map, ref.cursor), "K1 adds nothing to K2");
    CHECK(union_count(k123, 3) > union_count(k12, 2), "K3 adds nothing to K1, K2");
    /* The union of all fresh maps is the reference. */
    size_t all[MAX_INPUTS];
    for (size_t i = 0; i < t_input_count; i++)
        all[i] = i;
    check_union_of(ref.map, all, t_input_count, "reference vs fresh maps");
}

/* --- 1. per-input reset / push / pop in workers leave the union intact --------------- */

static void view_worker(void *arg)
{
    int w = (int)(intptr_t)arg;
    load_modules();
    for (size_t i = (size_t)w; i < t_input_count; i += 4) {
        size_t one[] = {i};
        if (w % 2 == 0) {
            mcov_reset();
            CHECK_EQ_U64(mcov_get_now64(), 0);
            run_input(i);
            check_view_is(one, 1, "own view after reset");
            mcov_push_coverage();
            CHECK_EQ_U64(mcov_get_now64(), 0);
            run_input(i);
            check_view_is(one, 1, "pushed scope");
            mcov_pop_coverage();
            check_view_is(one, 1, "own view after pop");
        } else {
            mcov_push_coverage(); /* from the base view */
            CHECK_EQ_U64(mcov_get_now64(), 0);
            run_input(i);
            check_view_is(one, 1, "scope pushed from the base view");
            mcov_pop_coverage(); /* back to the union: at least this input's edges */
            CHECK(mcov_get_now64() >= t_count(fresh[i].map, ref.cursor), "union after pop");
        }
    }
}

static void workers_keep_union(void)
{
    const char *name = t_region_name("views");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    pid_t pids[4];
    for (int w = 0; w < 4; w++)
        pids[w] = t_fork(view_worker, (void *)(intptr_t)w);
    for (int w = 0; w < 4; w++)
        t_wait_ok_within(pids[w], 20000);
    check_region_is_ref(name);

    /* 2. The base view is the region's union, even here where no module loaded. */
    CHECK_EQ_U64(mcov_module_count(), 0);
    CHECK(mcov_is_attached(), "parent not attached");
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
    CHECK_EQ_U64(mcov_get_now(), t_count(ref.map, ref.cursor));
    uint8_t *v = copy_view();
    CHECK(memcmp(v, ref.map, ref.cursor) == 0, "base view copy differs from the region");
    free(v);
    mcov_detach();
}

/* --- 3. after reset, get_now counts own hits since the reset ------------------------- */

static void reset_counts_own(void *name)
{
    attach(name);
    t_run_inputs(0, 0, t_input_count);
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
    mcov_reset();
    CHECK_EQ_U64(mcov_get_now64(), 0);
    run_input(K1);
    size_t k1[] = {K1};
    check_view_is(k1, 1, "own view after reset + K1");
    mcov_reset(); /* clears the own view */
    CHECK_EQ_U64(mcov_get_now64(), 0);
    run_input(K2);
    size_t k2[] = {K2};
    check_view_is(k2, 1, "own view after a second reset + K2");
}

/* --- 4. push from an own view, then pop, ORs the scope back ------------------------- */

static void push_pop_own(void *name)
{
    attach(name);
    load_modules();
    mcov_reset();
    run_input(K1);
    size_t k1[] = {K1}, k2[] = {K2}, k3[] = {K3}, k12[] = {K1, K2}, k123[] = {K1, K2, K3};
    check_view_is(k1, 1, "own K1");
    mcov_push_coverage();
    CHECK_EQ_U64(mcov_get_now64(), 0);
    run_input(K2);
    check_view_is(k2, 1, "scope K2");
    mcov_pop_coverage();
    check_view_is(k12, 2, "K1 | K2 after pop");
    /* Nested. */
    mcov_push_coverage();
    mcov_push_coverage();
    run_input(K3);
    check_view_is(k3, 1, "inner scope K3");
    mcov_pop_coverage();
    check_view_is(k3, 1, "outer scope after inner pop");
    mcov_pop_coverage();
    check_view_is(k123, 3, "K1 | K2 | K3 after both pops");
    /* The region got every hit meanwhile. */
    check_region_is(name, k123, 3, "region under own views");
}

static void push_pop_base(void *name)
{
    attach(name);
    t_run_inputs(0, 0, t_input_count);
    mcov_push_coverage();
    CHECK_EQ_U64(mcov_get_now64(), 0);
    run_input(K1);
    size_t k1[] = {K1};
    check_view_is(k1, 1, "scope pushed from base");
    mcov_pop_coverage();
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
    uint8_t *v = copy_view();
    CHECK(memcmp(v, ref.map, ref.cursor) == 0, "base view after pop differs from the union");
    free(v);
}

/* --- 5. pop without push is ignored, with an error ---------------------------------- */

static void pop_without_push_base(void *name)
{
    CHECK(mcov_last_error()[0] == 0, "error before: %s", mcov_last_error());
    attach(name);
    t_run_inputs(0, 0, t_input_count);
    mcov_pop_coverage();
    CHECK(mcov_last_error()[0] != 0, "pop without push left no error");
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
    check_region_is_ref(name);
}

static void pop_without_push_own(void *name)
{
    CHECK(mcov_last_error()[0] == 0, "error before: %s", mcov_last_error());
    attach(name);
    t_run_inputs(0, 0, t_input_count);
    mcov_reset();
    run_input(K1);
    mcov_push_coverage();
    run_input(K2);
    mcov_pop_coverage();
    CHECK(mcov_last_error()[0] == 0, "balanced push/pop set an error: %s", mcov_last_error());
    mcov_pop_coverage(); /* one too many */
    CHECK(mcov_last_error()[0] != 0, "pop without push left no error");
    size_t k12[] = {K1, K2}, k123[] = {K1, K2, K3};
    check_view_is(k12, 2, "own view after an unmatched pop");
    run_input(K3); /* still the own view, not the union */
    check_view_is(k123, 3, "own view keeps recording after an unmatched pop");
}

/* --- 6. set_hitmap on the base view ORs into the region, never clears ---------------- */

static void set_hitmap_base(void *name)
{
    attach(name);
    load_modules();
    run_input(K1);
    size_t k1[] = {K1}, k12[] = {K1, K2};
    check_region_is(name, k1, 1, "region after K1");
    uint32_t total = mcov_get_total();
    CHECK_EQ_U64(total, ref.cursor);
    uint8_t *buf = malloc(total);
    CHECK(buf, "out of memory");
    memcpy(buf, fresh[K2].map, total);
    mcov_set_hitmap((char *)buf);
    check_region_is(name, k12, 2, "region after set_hitmap(K2)");
    check_view_is(k12, 2, "base view after set_hitmap(K2)");
    memset(buf, 0, total);
    mcov_set_hitmap((char *)buf);
    check_region_is(name, k12, 2, "region after set_hitmap(zeros)");
    check_view_is(k12, 2, "base view after set_hitmap(zeros)");
    free(buf);
}

/* --- 7. on an own view, set_hitmap also replaces the view --------------------------- */

static void set_hitmap_own(void *name)
{
    attach(name);
    load_modules();
    run_input(K1);
    mcov_reset();
    run_input(K2);
    size_t k2[] = {K2}, k3[] = {K3}, k12[] = {K1, K2}, k123[] = {K1, K2, K3};
    check_view_is(k2, 1, "own K2");
    check_region_is(name, k12, 2, "region K1 | K2");
    uint32_t total = mcov_get_total();
    uint8_t *buf = malloc(total);
    CHECK(buf, "out of memory");
    memcpy(buf, fresh[K3].map, total);
    mcov_set_hitmap((char *)buf);
    check_view_is(k3, 1, "own view after set_hitmap(K3)");
    check_region_is(name, k123, 3, "region after set_hitmap(K3) on an own view");
    memset(buf, 0, total);
    mcov_set_hitmap((char *)buf);
    CHECK_EQ_U64(mcov_get_now64(), 0);
    check_region_is(name, k123, 3, "region after set_hitmap(zeros) on an own view");
    free(buf);
}

/* --- 8. mcov_region_reset clears the region, not an own view ------------------------ */

/* After a region reset inside an own view that holds `had`, then `input`: the region has every
 * edge of the input that the own view lacked (and, for no-call modules, the rest of the input
 * too, at the memcov call), and nothing the input did not hit. */
static void check_region_after_reset(const char *name, size_t had, size_t input, const char *what)
{
    mcov_flush();
    t_region_copy r = t_read_region(name);
    CHECK_EQ_U64(r.cursor, ref.cursor);
    for (uint64_t s = 0; s < ref.cursor; s++) {
        int hit = fresh[input].map[s] != 0;
        CHECK(!hit || fresh[had].map[s] || r.map[s], "%s: slot %llu, new to the own view, is 0",
              what, (unsigned long long)s);
        CHECK(!r.map[s] || hit, "%s: slot %llu is %u, not an edge of the input", what,
              (unsigned long long)s, r.map[s]);
    }
    t_free_region(&r);
}

static void region_reset_keeps_own(void *name)
{
    attach(name);
    t_run_inputs(0, 0, t_input_count);
    mcov_reset();
    run_input(K1);
    size_t k1[] = {K1}, k2[] = {K2}, k12[] = {K1, K2};
    CHECK(mcov_region_reset(name) == 0, "region_reset: %s", mcov_last_error());
    t_region_copy r = t_read_region(name);
    CHECK_EQ_U64(r.cursor, ref.cursor);
    CHECK_EQ_U64(r.modules, 2);
    CHECK_EQ_U64(t_count(r.map, r.cursor), 0);
    t_free_region(&r);
    check_view_is(k1, 1, "own view after region_reset");
    run_input(K2);
    check_region_after_reset(name, K1, K2, "region after region_reset + K2");
    check_view_is(k12, 2, "own view K1 | K2");
    /* A cleared own view: every hit reaches the region again. */
    mcov_reset();
    run_input(K2);
    check_region_is(name, k2, 1, "region after region_reset + K2 + mcov_reset + K2");
    check_view_is(k2, 1, "own view K2");
}

/* --- 9. copy_hitmap writes at most the last get_total() bytes ------------------------ */

#define CANARY 0xA5
#define GUARD 256

static uint8_t *guarded(uint64_t n)
{
    uint8_t *b = malloc(n + GUARD);
    CHECK(b, "out of memory");
    memset(b, CANARY, n + GUARD);
    return b;
}

static void check_guard(const uint8_t *b, uint64_t n, const char *what)
{
    for (uint64_t i = n; i < n + GUARD; i++)
        CHECK(b[i] == CANARY, "%s: byte %llu past get_total()=%llu was written", what,
              (unsigned long long)i, (unsigned long long)n);
}

static void copy_bound_attached(void *name)
{
    attach(name);
    t_run_fn run_a = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run_a(t_inputs[i]);
    uint64_t total = mcov_get_total();
    CHECK_EQ_U64(total, base_b); /* A's range */
    uint8_t *b = guarded(total);
    t_run_fn run_b = t_sym(t_load("libmcov_sample_b.so"), "sample_b_run");
    for (size_t i = 0; i < t_input_count; i++)
        run_b(t_inputs[i]);
    mcov_copy_hitmap((char *)b); /* the layout grew since get_total */
    check_guard(b, total, "attached, B registered after get_total");
    CHECK(memcmp(b, ref.map, total) == 0, "A's part of the copy differs");
    free(b);
    total = mcov_get_total();
    CHECK_EQ_U64(total, ref.cursor);
    b = guarded(total);
    mcov_copy_hitmap((char *)b);
    check_guard(b, total, "attached, after a new get_total");
    CHECK(memcmp(b, ref.map, total) == 0, "copy differs from the reference");
    free(b);
}

static void register_a_b(void *name)
{
    attach(name);
    load_modules();
}

static void copy_bound_other_process(void *name)
{
    attach(name); /* the region has A only; this process loads nothing */
    uint64_t total = mcov_get_total();
    CHECK_EQ_U64(total, base_b);
    uint8_t *b = guarded(total);
    t_wait_ok_within(t_fork(register_a_b, name), 20000); /* B claims a range: cursor grows */
    t_region_copy r = t_read_region(name);
    CHECK_EQ_U64(r.cursor, ref.cursor);
    mcov_copy_hitmap((char *)b);
    check_guard(b, total, "another process grew the cursor");
    CHECK(memcmp(b, r.map, total) == 0, "copy differs from the region");
    t_free_region(&r);
    free(b);
}

static void register_a_only(void *name)
{
    attach(name);
    t_run_fn run_a = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run_a(t_inputs[i]);
}

static void copy_bound_private(void *unused)
{
    (void)unused;
    CHECK(!mcov_is_attached(), "attached");
    t_run_fn run_a = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run_a(t_inputs[i]);
    uint64_t total = mcov_get_total();
    CHECK_EQ_U64(total, edges_a);
    uint8_t *b = guarded(total);
    t_load("libmcov_sample_b.so");
    CHECK_EQ_U64(mcov_private_module_count(), 2);
    mcov_copy_hitmap((char *)b);
    check_guard(b, total, "private, B registered after get_total");
    CHECK(memcmp(b, ref.map, total) == 0, "A's private copy differs");
    free(b);
}

/* --- 10. mcov_detach keeps the view as the private map ------------------------------ */

static void detach_keeps_view(void *name)
{
    /* The region holds inputs [0, 12) from an earlier process; this one runs [0, 6). */
    attach(name);
    t_run_inputs(0, 0, 6);
    t_region_copy before = t_read_region(name);
    uint64_t now = mcov_get_now64();
    CHECK_EQ_U64(now, t_count(before.map, before.cursor));
    mcov_detach();
    CHECK(!mcov_is_attached(), "still attached");
    CHECK(mcov_region_name()[0] == 0, "region name '%s' after detach", mcov_region_name());
    CHECK_EQ_U64(mcov_private_module_count(), 2);
    CHECK_EQ_U64(mcov_get_now64(), now); /* the union, kept privately */
    t_run_inputs(0, 12, t_input_count - 12);
    t_region_copy after = t_read_region(name);
    t_check_same_map(&before, &after); /* later hits stay private */
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
    /* The private layout: A's edges, then B's. */
    uint64_t total = mcov_get_total64();
    CHECK_EQ_U64(total, edges_a + edges_b);
    uint8_t *v = malloc(total);
    CHECK(v, "out of memory");
    mcov_copy_hitmap((char *)v);
    CHECK(memcmp(v, ref.map, edges_a) == 0, "A's private map differs from the reference");
    CHECK(memcmp(v + edges_a, ref.map + base_b, edges_b) == 0,
          "B's private map differs from the reference");
    free(v);
    t_free_region(&before);
    t_free_region(&after);
}

static void detach_keeps_own_view(void *name)
{
    attach(name);
    t_run_inputs(0, 0, t_input_count);
    mcov_reset();
    run_input(K1);
    t_region_copy before = t_read_region(name);
    size_t k1[] = {K1};
    uint64_t n1 = union_count(k1, 1);
    CHECK_EQ_U64(mcov_get_now64(), n1);
    mcov_detach();
    CHECK_EQ_U64(mcov_get_now64(), n1);
    run_input(K2);
    size_t k12[] = {K1, K2};
    CHECK_EQ_U64(mcov_get_now64(), union_count(k12, 2));
    t_region_copy after = t_read_region(name);
    t_check_same_map(&before, &after);
    t_free_region(&before);
    t_free_region(&after);
}

static void run_first_half(void *name)
{
    attach(name);
    t_run_inputs(0, 0, 12);
}

/* ------------------------------------------------------------------------------------ */

static void in_child(void (*fn)(void *), const char *tag)
{
    const char *name = new_region(tag);
    t_wait_ok_within(t_fork(fn, (void *)name), 20000);
}

int main(void)
{
    CHECK(t_input_count <= MAX_INPUTS, "too many inputs");
    CHECK(mcov_last_error()[0] == 0, "error at start: %s", mcov_last_error());
    ref = t_reference_union();
    measure_fresh();

    workers_keep_union();
    in_child(reset_counts_own, "reset");
    in_child(push_pop_own, "pushown");
    in_child(push_pop_base, "pushbase");
    in_child(pop_without_push_base, "popbase");
    in_child(pop_without_push_own, "popown");
    in_child(set_hitmap_base, "setbase");
    in_child(set_hitmap_own, "setown");
    in_child(region_reset_keeps_own, "rreset");
    in_child(copy_bound_attached, "copyatt");
    {
        const char *name = new_region("copyother");
        t_wait_ok_within(t_fork(register_a_only, (void *)name), 20000);
        t_wait_ok_within(t_fork(copy_bound_other_process, (void *)name), 20000);
    }
    t_wait_ok_within(t_fork(copy_bound_private, NULL), 20000);
    {
        const char *name = new_region("detach");
        t_wait_ok_within(t_fork(run_first_half, (void *)name), 20000);
        t_wait_ok_within(t_fork(detach_keeps_view, (void *)name), 20000);
    }
    in_child(detach_keeps_own_view, "detachown");

    for (size_t i = 0; i < t_input_count; i++)
        t_free_region(&fresh[i]);
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
