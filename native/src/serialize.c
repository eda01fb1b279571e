/* serialize_mem_coverage / deserialize_mem_coverage: a blob that carries the module table,
 * so it loads into a process whose modules registered in another order.
 *
 * Blob, version 1, little-endian:
 *   "MCOVBLOB" | u32 version | u32 module_count | u64 blob_size
 *   per module: u64 edge_count | u64 file_size | u32 mode | u32 id_kind | u32 id_len |
 *               u32 0 | u8 id[32] | edge bits, LSB first, padded to 8 bytes
 *   u64 FNV-1a-64 of every byte before it
 * The fork's legacy blob (u32 now | u32 byte_size | bits) is accepted too. */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "runtime.h"

#define BLOB_MAGIC "MCOVBLOB"
#define BLOB_VERSION 1u
#define BLOB_HEADER 24u
#define BLOB_RECORD 64u

struct blob_module {
    struct mcov_identity id;
    const uint8_t *bytes; /* the view's bytes for this module */
};

static uint64_t bits_bytes(uint64_t edges)
{
    return mcov_round_up((edges + 7) / 8, 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The modules of the current view: the region's whole table on the base view, else this
 * process's own modules. */
static size_t view_modules(struct blob_module **out)
{
    bool region_wide = mcov_rt.view == MCOV_VIEW_BASE && mcov_rt.attached;
    uint32_t table = region_wide ? mcov_region_module_count(&mcov_rt.region) : 0;
    struct blob_module *list = calloc((size_t)table + mcov_rt.module_count + 1, sizeof *list);
    if (!list)
        return (size_t)-1;
    size_t n = 0;
    for (uint32_t i = 0; i < table; i++) {
        mcov_module_entry e;
        if (!mcov_region_read_entry(&mcov_rt.region, i, &e))
            continue;
        mcov_identity_from_entry(&e, &list[n].id);
        list[n++].bytes = mcov_rt.region.map + e.base;
    }
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        if (region_wide && m->region_base >= 0)
            continue;
        list[n].id = m->id;
        list[n++].bytes = (mcov_rt.view == MCOV_VIEW_OWN ? mcov_rt.own : mcov_rt.window) + m->local;
    }
    *out = list;
    return n;
}

uint8_t *serialize_mem_coverage(size_t *size)
{
    mcov_clear_error();
    if (size)
        *size = 0;
    mcov_lock();
    struct blob_module *mods = NULL;
    size_t count = view_modules(&mods);
    if (count == (size_t)-1) {
        mcov_unlock();
        mcov_fail(MCOV_E_SYSTEM, "out of memory in serialize_mem_coverage");
        return NULL;
    }
    uint64_t total = BLOB_HEADER + 8;
    for (size_t i = 0; i < count; i++)
        total += BLOB_RECORD + bits_bytes(mods[i].id.edge_count);
    uint8_t *blob = calloc(1, total);
    if (!blob) {
        mcov_unlock();
        free(mods);
        mcov_fail(MCOV_E_SYSTEM, "out of memory in serialize_mem_coverage (%llu bytes)",
                  (unsigned long long)total);
        return NULL;
    }
    memcpy(blob, BLOB_MAGIC, 8);
    put32(blob + 8, BLOB_VERSION);
    put32(blob + 12, (uint32_t)count);
    put64(blob + 16, total);
    uint8_t *p = blob + BLOB_HEADER;
    for (size_t i = 0; i < count; i++) {
        const struct mcov_identity *id = &mods[i].id;
        put64(p, id->edge_count);
        put64(p + 8, id->file_size);
        put32(p + 16, id->mode);
        put32(p + 20, id->kind);
        put32(p + 24, id->len);
        memcpy(p + 32, id->bytes, sizeof id->bytes);
        p += BLOB_RECORD;
        for (uint64_t e = 0; e < id->edge_count; e++)
            if (__atomic_load_n(&mods[i].bytes[e], __ATOMIC_RELAXED))
                p[e / 8] |= (uint8_t)(1u << (e % 8));
        p += bits_bytes(id->edge_count);
    }
    put64(p, mcov_fnv1a(blob, (size_t)(total - 8), MCOV_FNV_OFFSET));
    mcov_unlock();
    free(mods);
    if (size)
        *size = (size_t)total;
    return blob;
}

void mcov_free(void *ptr)
{
    free(ptr);
}

/* OR edges [first, first + n) of a bit array into a module's base map and open own view. */
static void or_bits(const struct mcov_module *m, const uint8_t *bits, uint64_t first, uint64_t n)
{
    for (uint64_t e = 0; e < n; e++) {
        uint64_t b = first + e;
        if (!(bits[b / 8] >> (b % 8) & 1u))
            continue;
        uint8_t one = 1;
        mcov_or_into(mcov_rt.window + m->local + e, &one, 1);
        if (mcov_rt.view == MCOV_VIEW_OWN)
            mcov_or_into(mcov_rt.own + m->local + e, &one, 1);
    }
}

static void load_blob(const uint8_t *data, uint64_t size)
{
    uint32_t count = get32(data + 12);
    const uint8_t *p = data + BLOB_HEADER;
    uint32_t ignored = 0;
    for (uint32_t r = 0; r < count; r++) {
        struct mcov_identity id;
        memset(&id, 0, sizeof id);
        id.edge_count = get64(p);
        id.file_size = get64(p + 8);
        id.mode = get32(p + 16);
        id.kind = get32(p + 20);
        id.len = get32(p + 24);
        memcpy(id.bytes, p + 32, sizeof id.bytes);
        const uint8_t *bits = p + BLOB_RECORD;
        p = bits + bits_bytes(id.edge_count);
        bool done = false;
        for (uint32_t i = 0; i < mcov_rt.module_count && !done; i++) {
            if (mcov_identity_equal(&mcov_rt.modules[i].id, &id)) {
                or_bits(&mcov_rt.modules[i], bits, 0, id.edge_count);
                done = true;
            }
        }
        uint32_t table = mcov_rt.attached ? mcov_region_module_count(&mcov_rt.region) : 0;
        for (uint32_t i = 0; i < table && !done; i++) {
            mcov_module_entry e;
            if (mcov_region_read_entry(&mcov_rt.region, i, &e) && mcov_identity_matches(&id, &e)) {
                uint8_t *dst = mcov_rt.region.map + e.base;
                for (uint64_t b = 0; b < id.edge_count; b++)
                    if (bits[b / 8] >> (b % 8) & 1u && !__atomic_load_n(&dst[b], __ATOMIC_RELAXED))
                        __atomic_store_n(&dst[b], 1, __ATOMIC_RELAXED);
                done = true;
            }
        }
        ignored += !done;
    }
    (void)size;
    if (ignored)
        mcov_warn("deserialize_mem_coverage: %u module(s) of the blob are neither loaded here "
                  "nor in the region: their edges were not loaded",
                  ignored);
}

/* The whole blob is checked before a byte of it is used. */
static bool blob_valid(const uint8_t *data, uint64_t size)
{
    if (size < BLOB_HEADER + 8 || memcmp(data, BLOB_MAGIC, 8) != 0)
        return false;
    if (get32(data + 8) != BLOB_VERSION || get64(data + 16) != size)
        return false;
    uint32_t count = get32(data + 12);
    uint64_t at = BLOB_HEADER;
    for (uint32_t r = 0; r < count; r++) {
        if (size - 8 - at < BLOB_RECORD)
            return false;
        uint64_t edges = get64(data + at);
        if (get32(data + at + 24) > 32 || edges > MCOV_REGION_MAX_CAPACITY)
            return false;
        at += BLOB_RECORD;
        if (size - 8 - at < bits_bytes(edges))
            return false;
        at += bits_bytes(edges);
    }
    return at == size - 8 && get64(data + at) == mcov_fnv1a(data, (size_t)at, MCOV_FNV_OFFSET);
}

/* The fork's blob: bit i is the i-th edge in the order modules registered here. */
static void load_legacy(const uint8_t *bits, uint64_t nbits)
{
    uint64_t first = 0;
    for (uint32_t i = 0; i < mcov_rt.module_count && first < nbits; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        uint64_t n = m->id.edge_count < nbits - first ? m->id.edge_count : nbits - first;
        or_bits(m, bits, first, n);
        first += m->id.edge_count;
    }
}

void deserialize_mem_coverage(uint8_t *data, size_t size)
{
    mcov_clear_error();
    if (!data) {
        mcov_fail(MCOV_E_INVALID_ARG, "deserialize_mem_coverage: data is NULL");
        return;
    }
    if (size >= 8 && memcmp(data, BLOB_MAGIC, 8) == 0) {
        if (!blob_valid(data, size)) {
            mcov_fail(MCOV_E_CORRUPT, "deserialize_mem_coverage: the blob (%zu bytes) is "
                                      "truncated or corrupt: nothing was loaded",
                      size);
            return;
        }
        mcov_lock();
        load_blob(data, size);
        mcov_unlock();
        return;
    }
    if (size >= 8 && (uint64_t)get32(data + 4) + 8 == size) {
        mcov_lock();
        load_legacy(data + 8, (uint64_t)get32(data + 4) * 8);
        mcov_unlock();
        return;
    }
    mcov_fail(MCOV_E_CORRUPT, "deserialize_mem_coverage: %zu bytes are neither a memcov blob "
                              "nor a legacy memcov blob: nothing was loaded",
              size);
}
