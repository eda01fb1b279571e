/* The offline map codec (memcov_files.h): a map file of version 2 round-trips its modules and
 * edges, equal maps give equal files, map files of version 1 and serialize blobs of version 1 read
 * back the same modules, and damaged or hostile input is refused with its reason, never read out
 * of bounds (thousands of seeded mutations; run under ASan too). */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>

#include "memcov_files.h"

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t s_rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545F4914F6CDD1Dull;
}

#define MODULES 3
static mcov_module_entry s_mods[MODULES];
static uint8_t s_edges[5000 + 300 + 4097];
static uint64_t s_edge_count;

static void make_modules(void)
{
    static const uint64_t counts[MODULES] = {5000, 300, 4097};
    memset(s_mods, 0, sizeof s_mods);
    uint64_t at = 0;
    for (int i = 0; i < MODULES; i++) {
        mcov_module_entry *e = &s_mods[i];
        e->base = at;
        e->edge_count = counts[i];
        e->mode = i == 1 ? MCOV_MODE_INLINE : MCOV_MODE_CALLBACK;
        e->id_kind = i == 1 ? MCOV_ID_PATH : MCOV_ID_BUILD_ID;
        e->id_len = i == 1 ? 8 : (i == 0 ? 20 : 32);
        e->file_size = i == 1 ? 12345 : 0;
        for (uint32_t k = 0; k < e->id_len; k++)
            e->id[k] = (uint8_t)(17 * i + k + 1);
        snprintf(e->path, sizeof e->path, "/lib/module-%d.so", i);
        at += counts[i];
    }
    s_edge_count = at;
    for (uint64_t k = 0; k < at; k++)
        s_edges[k] = (next() % 3 == 0) ? (uint8_t)(1 + next() % 255) : 0; /* any non-zero is a hit */
}

static uint8_t *write_map(uint64_t *size)
{
    *size = mcov_map_file_size(MODULES, s_edge_count);
    uint8_t *out = malloc(*size);
    CHECK(out, "out of memory");
    CHECK(mcov_map_write(s_mods, MODULES, MCOV_MAP_FLAGS, s_edges, s_edge_count, out, *size) == 0,
          "write: %s", mcov_last_error());
    return out;
}

/* Reads data and checks it holds exactly the test's modules (paths only when with_paths). */
static void check_reads_back(const uint8_t *data, uint64_t size, uint32_t format, int with_paths)
{
    mcov_map_summary s;
    CHECK(mcov_map_check(data, size, &s) == 0, "check: %s", mcov_last_error());
    CHECK(s.format == format && s.kind == MCOV_MAP_FLAGS && s.module_count == MODULES &&
              s.edge_count == s_edge_count,
          "summary: format %u kind %u, %u modules, %llu edges", s.format, s.kind, s.module_count,
          (unsigned long long)s.edge_count);
    mcov_module_entry mods[MODULES];
    uint8_t *edges = malloc(s_edge_count);
    CHECK(mcov_map_read(data, size, mods, MODULES, edges, s_edge_count) == 0, "read: %s",
          mcov_last_error());
    for (int i = 0; i < MODULES; i++) {
        const mcov_module_entry *a = &mods[i], *b = &s_mods[i];
        CHECK(a->base == b->base && a->edge_count == b->edge_count && a->mode == b->mode &&
                  a->id_kind == b->id_kind && a->id_len == b->id_len &&
                  memcmp(a->id, b->id, b->id_len) == 0 && a->file_size == b->file_size,
              "module %d's entry differs", i);
        CHECK(!with_paths || strcmp(a->path, b->path) == 0, "module %d's path is '%s'", i, a->path);
    }
    for (uint64_t k = 0; k < s_edge_count; k++)
        CHECK(edges[k] == (s_edges[k] != 0), "edge %llu reads %u for %u", (unsigned long long)k,
              edges[k], s_edges[k]);
    free(edges);
}

/* A map file of version 1 (docs/map-file-format.md, "Version 1"), written by hand. */
static uint8_t *write_map1(uint64_t *size)
{
    *size = 32 + 256ull * MODULES + s_edge_count + 8;
    uint8_t *f = calloc(1, *size);
    memcpy(f, "MCOVMAPF", 8);
    uint32_t v = 1, hs = 32, n = MODULES;
    memcpy(f + 8, &v, 4);
    memcpy(f + 12, &hs, 4);
    memcpy(f + 16, &n, 4);
    memcpy(f + 24, &s_edge_count, 8);
    memcpy(f + 32, s_mods, sizeof s_mods);
    for (uint64_t k = 0; k < s_edge_count; k++)
        f[32 + 256 * MODULES + k] = s_edges[k] != 0;
    uint64_t h = fnv(f, *size - 8);
    memcpy(f + *size - 8, &h, 8);
    return f;
}

/* A serialize_mem_coverage blob of version 1: records of identity and bits, no paths. */
static uint8_t *write_blob1(uint64_t *size)
{
    uint64_t total = 24 + 8;
    for (int i = 0; i < MODULES; i++)
        total += 64 + (s_mods[i].edge_count + 63) / 64 * 8;
    uint8_t *f = calloc(1, total);
    memcpy(f, "MCOVBLOB", 8);
    uint32_t v = 1, n = MODULES;
    memcpy(f + 8, &v, 4);
    memcpy(f + 12, &n, 4);
    memcpy(f + 16, &total, 8);
    uint8_t *p = f + 24;
    for (int i = 0; i < MODULES; i++) {
        const mcov_module_entry *e = &s_mods[i];
        memcpy(p, &e->edge_count, 8);
        memcpy(p + 8, &e->file_size, 8);
        memcpy(p + 16, &e->mode, 4);
        memcpy(p + 20, &e->id_kind, 4);
        memcpy(p + 24, &e->id_len, 4);
        memcpy(p + 32, e->id, 32);
        p += 64;
        for (uint64_t k = 0; k < e->edge_count; k++)
            if (s_edges[e->base + k])
                p[k / 8] |= (uint8_t)(1u << (k % 8));
        p += (e->edge_count + 63) / 64 * 8;
    }
    uint64_t h = fnv(f, total - 8);
    memcpy(p, &h, 8);
    *size = total;
    return f;
}

static void refit_checksum(uint8_t *f, uint64_t size)
{
    uint64_t h = fnv(f, size - 8);
    memcpy(f + size - 8, &h, 8);
}

static void expect_refused(const uint8_t *f, uint64_t size, int code, const char *why,
                           const char *what)
{
    mcov_map_summary s;
    int rc = mcov_map_check(f, size, &s);
    CHECK(rc == code, "%s: check returned %d, expected %d (%s)", what, rc, code, mcov_last_error());
    CHECK(strstr(mcov_last_error(), why), "%s: the reason '%s' does not say '%s'", what,
          mcov_last_error(), why);
}

static void refusals(const uint8_t *good, uint64_t size)
{
    uint8_t *f = malloc(size);
    memcpy(f, good, size);
    f[size / 2] ^= 1;
    expect_refused(f, size, MCOV_E_CORRUPT, "checksum", "a flipped bit");
    expect_refused(good, size - 1, MCOV_E_CORRUPT, "does not match", "a cut file");
    memcpy(f, good, size);
    f[8] = 3;
    expect_refused(f, size, MCOV_E_VERSION, "version 3", "version 3");
    memcpy(f, good, size);
    f[64 + 320 * MODULES] = 2;
    refit_checksum(f, size);
    expect_refused(f, size, MCOV_E_CORRUPT, "neither 0 nor 1", "an edge byte of 2");
    memcpy(f, good, size);
    uint32_t mode = 3;
    memcpy(f + 64 + 320 + 24, &mode, 4);
    refit_checksum(f, size);
    expect_refused(f, size, MCOV_E_CORRUPT, "not a valid module", "mode 3");
    memcpy(f, good, size);
    uint64_t pcs = 7;
    memcpy(f + 64 + 256, &pcs, 8);
    memcpy(f + 64 + 264, &pcs, 8);
    refit_checksum(f, size);
    expect_refused(f, size, MCOV_E_CORRUPT, "PC table", "a PC table outside its section");
    expect_refused((const uint8_t *)"NOTAMAP!", 8, MCOV_E_CORRUPT, "MCOVMAPF", "other bytes");
    free(f);

    /* Writing: an identity twice, a wrong size, an identity of 33 bytes. */
    mcov_module_entry twice[2] = {s_mods[0], s_mods[0]};
    twice[1].base = 0;
    uint64_t need = mcov_map_file_size(2, 10000);
    uint8_t *out = malloc(need);
    CHECK(mcov_map_write(twice, 2, MCOV_MAP_FLAGS, s_edges, 10000, out, need) ==
              MCOV_E_INVALID_ARG && strstr(mcov_last_error(), "twice"),
          "an identity given twice was written: %s", mcov_last_error());
    CHECK(mcov_map_write(s_mods, MODULES, MCOV_MAP_FLAGS, s_edges, s_edge_count, out, need) ==
              MCOV_E_INVALID_ARG,
          "a map was written into the wrong size");
    mcov_module_entry wide = s_mods[0];
    wide.id_len = 33;
    CHECK(mcov_map_write(&wide, 1, MCOV_MAP_FLAGS, s_edges, 5000, out,
                         mcov_map_file_size(1, 5000)) == MCOV_E_INVALID_ARG,
          "an identity of 33 bytes was written");
    free(out);
}

/* Seeded mutations: whatever check accepts reads back within its own sizes. */
static void fuzz(const uint8_t *good, uint64_t size, int iterations, const char *what)
{
    uint8_t *f = malloc(size);
    int accepted = 0;
    for (int i = 0; i < iterations; i++) {
        memcpy(f, good, size);
        uint64_t len = size;
        int mutations = 1 + (int)(next() % 3);
        for (int m = 0; m < mutations && len > 0; m++) {
            switch (next() % 4) {
            case 0: f[next() % len] = (uint8_t)next(); break;
            case 1: { /* a u32 or u64 of the header or a record to an edge value */
                static const uint64_t edge[] = {0, 1, 2, 31, 32, 33, 320, 4096, 65536, 65537,
                                                1ull << 32, (1ull << 32) + 1, ~0ull, 1ull << 63};
                uint64_t at = next() % (64 + 320 * MODULES - 8);
                uint64_t v = edge[next() % (sizeof edge / sizeof edge[0])];
                memcpy(f + at, &v, next() % 2 ? 4 : 8);
                break;
            }
            case 2: len = next() % len; break;
            default: f[next() % 64] ^= (uint8_t)(1u << (next() % 8)); break;
            }
        }
        if (len >= 8 && next() % 2)
            refit_checksum(f, len);
        mcov_map_summary s;
        if (mcov_map_check(f, len, &s) != 0)
            continue;
        accepted++;
        CHECK(s.module_count <= 65536 && s.edge_count <= len * 8, "%s: accepted %u modules, %llu edges in %llu bytes",
              what, s.module_count, (unsigned long long)s.edge_count, (unsigned long long)len);
        mcov_module_entry *mods = malloc((s.module_count + 1) * sizeof *mods);
        uint8_t *edges = malloc(s.edge_count + 1);
        CHECK(mcov_map_read(f, len, mods, s.module_count, edges, s.edge_count) == 0,
              "%s: checked but not read: %s", what, mcov_last_error());
        for (uint64_t k = 0; k < s.edge_count; k++)
            CHECK(edges[k] <= 1, "%s: a flags map read an edge byte of %u", what, edges[k]);
        free(mods);
        free(edges);
    }
    CHECK(accepted > iterations / 20, "%s: only %d of %d mutated maps were accepted", what,
          accepted, iterations);
    free(f);
}

int main(void)
{
    make_modules();
    uint64_t size, size2, size1, sizeb;
    uint8_t *map = write_map(&size);
    check_reads_back(map, size, MCOV_MAP_FORMAT_MAP2, 1);
    uint8_t *again = write_map(&size2);
    CHECK(size == size2 && memcmp(map, again, size) == 0, "equal maps gave different files");

    uint8_t *map1 = write_map1(&size1);
    check_reads_back(map1, size1, MCOV_MAP_FORMAT_MAP1, 1);
    uint8_t *blob = write_blob1(&sizeb);
    check_reads_back(blob, sizeb, MCOV_MAP_FORMAT_BLOB1, 0);

    refusals(map, size);
    fuzz(map, size, 20000, "map file v2");
    fuzz(map1, size1, 5000, "map file v1");
    fuzz(blob, sizeb, 5000, "blob v1");
    free(map);
    free(again);
    free(map1);
    free(blob);
    return 0;
}
