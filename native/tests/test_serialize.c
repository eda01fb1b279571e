/* serialize_mem_coverage's blob carries the module table: it loads into a process whose
 * modules registered in another order. The fork's legacy blob loads in registration order.
 * Garbage and truncated blobs are refused, loading nothing. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <unistd.h>

static t_region_copy ref;
static uint64_t edges_a, edges_b, base_b;

struct blob {
    uint8_t *data;
    size_t size;
};

/* --- a blob from a process with order A, B ----------------------------------------- */

struct source_ctx {
    const char *name;
    int out; /* write end: u64 size, then the blob */
};

static void source(void *arg)
{
    const struct source_ctx *c = arg;
    CHECK(mcov_attach(c->name) == 0, "attach: %s", mcov_last_error());
    t_run_inputs(0, 0, 12);
    size_t size = 0;
    uint8_t *blob = serialize_mem_coverage(&size);
    CHECK(blob && size > 0, "serialize: %s", mcov_last_error());
    uint64_t n = size;
    t_write_all(c->out, &n, sizeof n);
    t_write_all(c->out, blob, size);
    mcov_free(blob);
}

static struct blob get_blob(const char *name)
{
    int fds[2];
    t_pipe(fds);
    struct source_ctx c = {name, fds[1]};
    pid_t pid = t_fork(source, &c);
    close(fds[1]);
    uint64_t n = 0;
    t_read_all(fds[0], &n, sizeof n);
    CHECK(n > 0 && n < (1u << 24), "blob size %llu", (unsigned long long)n);
    struct blob b = {malloc(n), (size_t)n};
    CHECK(b.data, "out of memory");
    t_read_all(fds[0], b.data, b.size);
    close(fds[0]);
    t_wait_ok_within(pid, 20000);
    return b;
}

/* --- loading ----------------------------------------------------------------------- */

struct load_ctx {
    const char *name;
    int b_first;
    const struct blob *blob;
};

static void load_into_fresh(void *arg)
{
    const struct load_ctx *c = arg;
    CHECK(mcov_attach(c->name) == 0, "attach: %s", mcov_last_error());
    t_run_inputs(c->b_first, 0, 0); /* registers only */
    CHECK_EQ_U64(mcov_get_now64(), 0);
    deserialize_mem_coverage(c->blob->data, c->blob->size);
    CHECK(mcov_last_error()[0] == 0, "deserialize: %s", mcov_last_error());
}

static void refuse(void *arg)
{
    const struct load_ctx *c = arg;
    CHECK(mcov_last_error()[0] == 0, "error before: %s", mcov_last_error());
    CHECK(mcov_attach(c->name) == 0, "attach: %s", mcov_last_error());
    t_run_inputs(0, 0, 0);
    deserialize_mem_coverage(c->blob->data, c->blob->size);
    CHECK(mcov_last_error()[0] != 0, "a bad blob of %zu bytes left no error", c->blob->size);
    CHECK_EQ_U64(mcov_get_now64(), 0);
    /* An own view gets nothing either. */
    mcov_reset();
    deserialize_mem_coverage(c->blob->data, c->blob->size);
    CHECK_EQ_U64(mcov_get_now64(), 0);
}

static const char *load(const char *tag, int b_first, const struct blob *b, int bad)
{
    const char *name = t_region_name(tag);
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    struct load_ctx c = {name, b_first, b};
    t_wait_ok_within(t_fork(bad ? refuse : load_into_fresh, &c), 20000);
    return name;
}

/* CHECK that region got holds, module by module, what region want holds. */
static void check_same_modules(const char *want, const char *got)
{
    t_region_copy w = t_read_region(want), g = t_read_region(got);
    mcov_module_entry we[4], ge[4];
    CHECK_EQ_U64(t_read_entries(want, we, 4), 2);
    CHECK_EQ_U64(t_read_entries(got, ge, 4), 2);
    const char *mods[] = {"sample_a", "sample_b"};
    for (int m = 0; m < 2; m++) {
        int i = t_find_entry(we, 2, mods[m]), j = t_find_entry(ge, 2, mods[m]);
        CHECK(i >= 0 && j >= 0, "no %s entry", mods[m]);
        CHECK_EQ_U64(we[i].edge_count, ge[j].edge_count);
        for (uint64_t e = 0; e < we[i].edge_count; e++)
            CHECK(w.map[we[i].base + e] == g.map[ge[j].base + e], "%s edge %llu: %u vs %u",
                  mods[m], (unsigned long long)e, w.map[we[i].base + e], g.map[ge[j].base + e]);
    }
    CHECK_EQ_U64(t_count(g.map, g.cursor), t_count(w.map, w.cursor));
    t_free_region(&w);
    t_free_region(&g);
}

static void check_empty(const char *name)
{
    t_region_copy r = t_read_region(name);
    CHECK_EQ_U64(t_count(r.map, r.cursor), 0);
    t_free_region(&r);
}

/* The fork's blob: u32 now | u32 byte_size | bits, bit i the i-th edge in registration
 * order, here taken from the reference. */
static struct blob legacy_blob(int b_first)
{
    uint64_t edges = edges_a + edges_b;
    uint32_t bytes = (uint32_t)((edges + 7) / 8);
    struct blob b = {calloc(1, 8 + (size_t)bytes), 8 + (size_t)bytes};
    CHECK(b.data, "out of memory");
    uint32_t now = (uint32_t)t_count(ref.map, ref.cursor);
    memcpy(b.data, &now, 4);
    memcpy(b.data + 4, &bytes, 4);
    uint8_t *bits = b.data + 8;
    const uint8_t *first = b_first ? ref.map + base_b : ref.map;
    const uint8_t *second = b_first ? ref.map : ref.map + base_b;
    uint64_t n1 = b_first ? edges_b : edges_a, n2 = b_first ? edges_a : edges_b;
    for (uint64_t i = 0; i < n1; i++)
        if (first[i])
            bits[i / 8] |= (uint8_t)(1u << (i % 8));
    for (uint64_t i = 0; i < n2; i++)
        if (second[i])
            bits[(n1 + i) / 8] |= (uint8_t)(1u << ((n1 + i) % 8));
    return b;
}

int main(void)
{
    ref = t_reference_union();

    /* 1. Blob from order A, B into order B, A on a fresh region. */
    const char *src = t_region_name("src");
    CHECK(mcov_region_create(src, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    struct blob blob = get_blob(src);
    {
        mcov_module_entry e[4];
        CHECK_EQ_U64(t_read_entries(src, e, 4), 2);
        CHECK(strstr(e[0].path, "sample_a") && strstr(e[1].path, "sample_b"), "src order");
        edges_a = e[0].edge_count;
        edges_b = e[1].edge_count;
        base_b = e[1].base;
        t_region_copy s = t_read_region(src);
        CHECK(t_count(s.map, s.cursor) > 0, "the source recorded nothing");
        CHECK(t_count(s.map, s.cursor) < t_count(ref.map, ref.cursor), "half = all inputs?");
        t_free_region(&s);
    }
    const char *ba = load("ba", 1, &blob, 0);
    {
        mcov_module_entry e[4];
        CHECK_EQ_U64(t_read_entries(ba, e, 4), 2);
        CHECK(strstr(e[0].path, "sample_b"), "the B, A region starts with %s", e[0].path);
    }
    check_same_modules(src, ba);
    /* Same order: byte for byte. */
    const char *ab = load("ab", 0, &blob, 0);
    {
        t_region_copy s = t_read_region(src), g = t_read_region(ab);
        t_check_same_map(&s, &g);
        t_free_region(&s);
        t_free_region(&g);
    }

    /* 2. Legacy blobs, in both registration orders. */
    struct blob legacy = legacy_blob(0);
    const char *lab = load("legab", 0, &legacy, 0);
    {
        t_region_copy g = t_read_region(lab);
        t_check_same_map(&ref, &g);
        t_free_region(&g);
    }
    struct blob legacy_ba = legacy_blob(1);
    const char *lba = load("legba", 1, &legacy_ba, 0);
    check_same_modules(lab, lba);

    /* 3. Garbage and truncated blobs load nothing. */
    uint8_t junk[100];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    memset(junk + 4, 0xff, 4); /* not a legacy size either */
    struct blob bad[6] = {
        {junk, sizeof junk},
        {blob.data, blob.size - 9},    /* truncated memcov blob */
        {blob.data, blob.size / 2},    /* cut in half */
        {blob.data, 7},                /* shorter than any header */
        {legacy.data, legacy.size - 1} /* truncated legacy blob */,
        {NULL, 0},
    };
    /* A memcov blob with one edge byte flipped: the checksum no longer matches. */
    uint8_t *flipped = malloc(blob.size);
    CHECK(flipped, "out of memory");
    memcpy(flipped, blob.data, blob.size);
    flipped[24 + 64] ^= 0x01;
    bad[5] = (struct blob){flipped, blob.size};
    for (int i = 0; i < 6; i++) {
        const char *name = load("bad", 0, &bad[i], 1);
        check_empty(name);
    }

    free(flipped);
    free(blob.data);
    free(legacy.data);
    free(legacy_ba.data);
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
