/* The offline map format (memcov_map.h): writing version 2, and reading version 2, map files of
 * version 1 and serialize blobs of version 1. Every offline map of C, C#, Python and the memcov
 * command goes through here. A reader checks the whole input before it uses a byte of it. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "memcov_files.h"
#include "runtime.h"

#define MAP1_HEADER 32u
#define BLOB_MAGIC "MCOVBLOB"
#define BLOB_HEADER 24u
#define BLOB_RECORD 64u

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

static uint64_t blob_bits_bytes(uint64_t edges)
{
    return mcov_round_up((edges + 7) / 8, 8);
}

/* --- identities seen twice --- */

struct keyed {
    uint64_t hash;
    uint32_t index;
};

static int by_hash(const void *a, const void *b)
{
    uint64_t x = ((const struct keyed *)a)->hash, y = ((const struct keyed *)b)->hash;
    return x < y ? -1 : x > y;
}

/* -1: no identity is there twice; else the index of one that is; -2: out of memory. */
static int64_t find_twice(const mcov_module_entry *entries, uint32_t n)
{
    if (n < 2)
        return -1;
    struct keyed *k = malloc((size_t)n * sizeof *k);
    if (!k)
        return -2;
    for (uint32_t i = 0; i < n; i++)
        k[i] = (struct keyed){mcov_identity_hash(&entries[i]), i};
    qsort(k, n, sizeof *k, by_hash);
    int64_t twice = -1;
    for (uint32_t i = 0; i + 1 < n && twice < 0; i++)
        for (uint32_t j = i + 1; j < n && k[j].hash == k[i].hash && twice < 0; j++) {
            struct mcov_identity a, b;
            mcov_identity_from_entry(&entries[k[i].index], &a);
            mcov_identity_from_entry(&entries[k[j].index], &b);
            if (mcov_identity_equal(&a, &b))
                twice = k[j].index;
        }
    free(k);
    return twice;
}

/* --- checking --- */

/* The entries of a map file (either version) in a caller's array, after their own checks. */
static int check_entries(const mcov_module_entry *entries, uint32_t n, uint64_t edge_bytes,
                         const char *what, bool unique)
{
    uint64_t offset = 0;
    for (uint32_t i = 0; i < n; i++) {
        const mcov_module_entry *e = &entries[i];
        if (!mcov_entry_identity_valid(e) || e->base != offset || e->edge_count > edge_bytes - offset)
            return mcov_fail(MCOV_E_CORRUPT,
                             "%s: module %u (base %llu, %llu edges, mode %u, identity kind %u of "
                             "%u bytes) is not a valid module right after the one before it",
                             what, i, (unsigned long long)e->base,
                             (unsigned long long)e->edge_count, e->mode, e->id_kind, e->id_len);
        offset += e->edge_count;
    }
    if (offset != edge_bytes)
        return mcov_fail(MCOV_E_CORRUPT, "%s: its modules have %llu edges, its header says %llu",
                         what, (unsigned long long)offset, (unsigned long long)edge_bytes);
    int64_t twice = unique ? find_twice(entries, n) : -1;
    if (twice == -2)
        return mcov_fail(MCOV_E_SYSTEM, "%s: out of memory checking %u modules", what, n);
    if (twice >= 0)
        return mcov_fail(MCOV_E_CORRUPT, "%s: module %lld (%.184s) appears twice", what,
                         (long long)twice, entries[twice].path);
    return MCOV_OK;
}

static bool only_flags(const uint8_t *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i] > 1)
            return false;
    return true;
}

static int check_map2(const uint8_t *data, uint64_t size, mcov_map_summary *out)
{
    const char *what = "map file (version 2)";
    mcov_map_header h;
    if (size < sizeof h + MCOV_MAP_TRAILER)
        return mcov_fail(MCOV_E_CORRUPT, "%s: %llu bytes, fewer than a header and a trailer", what,
                         (unsigned long long)size);
    memcpy(&h, data, sizeof h);
    if (h.header_size != sizeof h || h.module_count > MCOV_MAP_MAX_MODULES ||
        (h.kind != MCOV_MAP_FLAGS && h.kind != MCOV_MAP_CLASSES) || h.pc_bytes % sizeof(mcov_map_pc))
        return mcov_fail(MCOV_E_CORRUPT,
                         "%s: header size %u, %u modules, kind %u, PC section of %llu bytes: out "
                         "of range",
                         what, h.header_size, h.module_count, h.kind,
                         (unsigned long long)h.pc_bytes);
    uint64_t table = (uint64_t)h.module_count * sizeof(mcov_map_module);
    uint64_t room = size - sizeof h - MCOV_MAP_TRAILER;
    if (table > room || h.edge_bytes > room - table || h.pc_bytes != room - table - h.edge_bytes)
        return mcov_fail(MCOV_E_CORRUPT,
                         "%s: its header (%u modules, %llu edges, %llu bytes of PC tables) does "
                         "not match its %llu bytes",
                         what, h.module_count, (unsigned long long)h.edge_bytes,
                         (unsigned long long)h.pc_bytes, (unsigned long long)size);
    uint64_t sum = get64(data + size - MCOV_MAP_TRAILER);
    if (mcov_fnv1a(data, (size_t)(size - MCOV_MAP_TRAILER), MCOV_FNV_OFFSET) != sum)
        return mcov_fail(MCOV_E_CORRUPT, "%s: its checksum does not match its bytes", what);
    mcov_module_entry *entries = malloc((size_t)(h.module_count ? h.module_count : 1) *
                                        sizeof *entries);
    if (!entries)
        return mcov_fail(MCOV_E_SYSTEM, "%s: out of memory", what);
    const uint8_t *records = data + sizeof h;
    const uint8_t *edges = records + table;
    int rc = MCOV_OK;
    uint32_t pc_modules = 0;
    for (uint32_t i = 0; i < h.module_count && rc == MCOV_OK; i++) {
        mcov_map_module m;
        memcpy(&m, records + (uint64_t)i * sizeof m, sizeof m);
        entries[i] = m.entry;
        pc_modules += m.pc_count != 0;
        bool pcs_ok = m.pc_count == 0 ? m.pc_offset == 0
                                      : m.pc_count == m.entry.edge_count &&
                                            m.pc_offset % sizeof(mcov_map_pc) == 0 &&
                                            m.pc_offset <= h.pc_bytes &&
                                            m.pc_count <= (h.pc_bytes - m.pc_offset) /
                                                              sizeof(mcov_map_pc);
        if (!pcs_ok)
            rc = mcov_fail(MCOV_E_CORRUPT,
                           "%s: module %u's PC table (%llu entries at %llu) is outside the PC "
                           "section or does not have one entry per edge",
                           what, i, (unsigned long long)m.pc_count,
                           (unsigned long long)m.pc_offset);
    }
    if (rc == MCOV_OK)
        rc = check_entries(entries, h.module_count, h.edge_bytes, what, true);
    free(entries);
    if (rc)
        return rc;
    if (h.kind == MCOV_MAP_FLAGS && !only_flags(edges, h.edge_bytes))
        return mcov_fail(MCOV_E_CORRUPT, "%s of flags: an edge byte is neither 0 nor 1", what);
    out->format = MCOV_MAP_FORMAT_MAP2;
    out->kind = h.kind;
    out->pc_modules = pc_modules;
    out->module_count = h.module_count;
    out->edge_count = h.edge_bytes;
    return MCOV_OK;
}

static int check_map1(const uint8_t *data, uint64_t size, mcov_map_summary *out)
{
    const char *what = "map file (version 1)";
    if (size < MAP1_HEADER + MCOV_MAP_TRAILER)
        return mcov_fail(MCOV_E_CORRUPT, "%s: %llu bytes, fewer than a header and a trailer", what,
                         (unsigned long long)size);
    uint32_t header = get32(data + 12), n = get32(data + 16);
    uint64_t edges = get64(data + 24);
    uint64_t room = size - MAP1_HEADER - MCOV_MAP_TRAILER;
    uint64_t table = (uint64_t)n * sizeof(mcov_module_entry);
    if (header != MAP1_HEADER || n > MCOV_MAP_MAX_MODULES || table > room || edges != room - table)
        return mcov_fail(MCOV_E_CORRUPT,
                         "%s: its header (size %u, %u modules, %llu edges) does not match its "
                         "%llu bytes",
                         what, header, n, (unsigned long long)edges, (unsigned long long)size);
    if (mcov_fnv1a(data, (size_t)(size - MCOV_MAP_TRAILER), MCOV_FNV_OFFSET) !=
        get64(data + size - MCOV_MAP_TRAILER))
        return mcov_fail(MCOV_E_CORRUPT, "%s: its checksum does not match its bytes", what);
    mcov_module_entry *entries = malloc((size_t)(n ? n : 1) * sizeof *entries);
    if (!entries)
        return mcov_fail(MCOV_E_SYSTEM, "%s: out of memory", what);
    memcpy(entries, data + MAP1_HEADER, (size_t)table);
    int rc = check_entries(entries, n, edges, what, true);
    free(entries);
    if (rc)
        return rc;
    if (!only_flags(data + MAP1_HEADER + table, edges))
        return mcov_fail(MCOV_E_CORRUPT, "%s: an edge byte is neither 0 nor 1", what);
    out->format = MCOV_MAP_FORMAT_MAP1;
    out->kind = MCOV_MAP_FLAGS;
    out->module_count = n;
    out->edge_count = edges;
    return MCOV_OK;
}

/* A blob's record i as an entry (no path), at base offset. */
static void blob_entry(const uint8_t *p, uint64_t offset, mcov_module_entry *e)
{
    memset(e, 0, sizeof *e);
    e->base = offset;
    e->edge_count = get64(p);
    e->file_size = get64(p + 8);
    e->mode = get32(p + 16);
    e->id_kind = get32(p + 20);
    e->id_len = get32(p + 24);
    memcpy(e->id, p + 32, sizeof e->id);
}

static int check_blob1(const uint8_t *data, uint64_t size, mcov_map_summary *out)
{
    const char *what = "serialize blob (version 1)";
    if (size < BLOB_HEADER + MCOV_MAP_TRAILER || get32(data + 8) != 1 || get64(data + 16) != size)
        return mcov_fail(MCOV_E_CORRUPT,
                         "%s: version %u, size field %llu for %llu bytes: truncated or corrupt",
                         what, size >= 12 ? get32(data + 8) : 0,
                         (unsigned long long)(size >= 24 ? get64(data + 16) : 0),
                         (unsigned long long)size);
    uint32_t n = get32(data + 12);
    if (n > MCOV_MAP_MAX_MODULES)
        return mcov_fail(MCOV_E_CORRUPT, "%s: %u modules", what, n);
    mcov_module_entry *entries = malloc((size_t)(n ? n : 1) * sizeof *entries);
    if (!entries)
        return mcov_fail(MCOV_E_SYSTEM, "%s: out of memory", what);
    uint64_t at = BLOB_HEADER, edges = 0, end = size - MCOV_MAP_TRAILER;
    int rc = MCOV_OK;
    for (uint32_t r = 0; r < n && rc == MCOV_OK; r++) {
        if (end - at < BLOB_RECORD) {
            rc = mcov_fail(MCOV_E_CORRUPT, "%s: record %u is cut off", what, r);
            break;
        }
        blob_entry(data + at, edges, &entries[r]);
        uint64_t count = entries[r].edge_count;
        if (count > MCOV_REGION_MAX_CAPACITY || end - at - BLOB_RECORD < blob_bits_bytes(count)) {
            rc = mcov_fail(MCOV_E_CORRUPT, "%s: record %u (%llu edges) is cut off", what, r,
                           (unsigned long long)count);
            break;
        }
        at += BLOB_RECORD + blob_bits_bytes(count);
        edges += count;
    }
    if (rc == MCOV_OK && at != end)
        rc = mcov_fail(MCOV_E_CORRUPT, "%s: its records end at byte %llu, its trailer at %llu",
                       what, (unsigned long long)at, (unsigned long long)end);
    if (rc == MCOV_OK && get64(data + end) != mcov_fnv1a(data, (size_t)end, MCOV_FNV_OFFSET))
        rc = mcov_fail(MCOV_E_CORRUPT, "%s: its checksum does not match its bytes", what);
    if (rc == MCOV_OK)
        rc = check_entries(entries, n, edges, what, false); /* a blob may list a module twice */
    free(entries);
    if (rc)
        return rc;
    out->format = MCOV_MAP_FORMAT_BLOB1;
    out->kind = MCOV_MAP_FLAGS;
    out->module_count = n;
    out->edge_count = edges;
    return MCOV_OK;
}

int mcov_map_check_bytes(const uint8_t *data, uint64_t size, mcov_map_summary *out)
{
    memset(out, 0, sizeof *out);
    if (!data)
        return mcov_fail(MCOV_E_INVALID_ARG, "no map: data is NULL");
    if (size > MCOV_MAP_MAX_BYTES)
        return mcov_fail(MCOV_E_CORRUPT, "%llu bytes is larger than any map (%llu bytes at most)",
                         (unsigned long long)size, (unsigned long long)MCOV_MAP_MAX_BYTES);
    if (size >= 12 && memcmp(data, MCOV_MAP_MAGIC, 8) == 0) {
        uint32_t version = get32(data + 8);
        if (version == MCOV_MAP_VERSION)
            return check_map2(data, size, out);
        if (version == 1)
            return check_map1(data, size, out);
        return mcov_fail(MCOV_E_VERSION,
                         "a map file of version %u: this memcov reads versions 1 and %u; use the "
                         "memcov that wrote it",
                         version, MCOV_MAP_VERSION);
    }
    if (size >= 8 && memcmp(data, BLOB_MAGIC, 8) == 0)
        return check_blob1(data, size, out);
    if (size >= 8 && (uint64_t)get32(data + 4) + 8 == size)
        return mcov_fail(MCOV_E_CORRUPT,
                         "a blob of the memcov fork (u32 now, u32 size, bits): it names no modules, "
                         "so only deserialize_mem_coverage in a process that loaded the same "
                         "modules in the same order can load it");
    return mcov_fail(MCOV_E_CORRUPT,
                     "%llu bytes that are neither a map file (\"" MCOV_MAP_MAGIC "\") nor a "
                     "serialize blob (\"" BLOB_MAGIC "\")",
                     (unsigned long long)size);
}

/* --- reading a checked map --- */

int mcov_map_read_bytes(const uint8_t *data, uint64_t size, mcov_module_entry *modules,
                        uint32_t n, uint8_t *edges, uint64_t edge_len)
{
    mcov_map_summary s;
    int rc = mcov_map_check_bytes(data, size, &s);
    if (rc)
        return rc;
    if (n != s.module_count || edge_len != s.edge_count || (n && !modules) || (edge_len && !edges))
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "the map has %u modules and %llu edges; room was given for %u and %llu",
                         s.module_count, (unsigned long long)s.edge_count, n,
                         (unsigned long long)edge_len);
    if (s.format == MCOV_MAP_FORMAT_MAP2) {
        const uint8_t *records = data + sizeof(mcov_map_header);
        for (uint32_t i = 0; i < n; i++)
            memcpy(&modules[i], records + (uint64_t)i * sizeof(mcov_map_module),
                   sizeof modules[i]);
        memcpy(edges, records + (uint64_t)n * sizeof(mcov_map_module), (size_t)edge_len);
    } else if (s.format == MCOV_MAP_FORMAT_MAP1) {
        memcpy(modules, data + MAP1_HEADER, (size_t)n * sizeof *modules);
        memcpy(edges, data + MAP1_HEADER + (uint64_t)n * sizeof *modules, (size_t)edge_len);
    } else {
        uint64_t at = BLOB_HEADER, offset = 0;
        for (uint32_t r = 0; r < n; r++) {
            blob_entry(data + at, offset, &modules[r]);
            const uint8_t *bits = data + at + BLOB_RECORD;
            for (uint64_t e = 0; e < modules[r].edge_count; e++)
                edges[offset + e] = bits[e / 8] >> (e % 8) & 1u;
            offset += modules[r].edge_count;
            at += BLOB_RECORD + blob_bits_bytes(modules[r].edge_count);
        }
    }
    for (uint32_t i = 0; i < n; i++)
        modules[i].path[sizeof modules[i].path - 1] = 0;
    return MCOV_OK;
}

/* --- writing --- */

uint64_t mcov_map_size_of(uint32_t n, uint64_t edge_count, uint64_t pc_count)
{
    uint64_t fixed = sizeof(mcov_map_header) + (uint64_t)n * sizeof(mcov_map_module) +
                     MCOV_MAP_TRAILER;
    if (n > MCOV_MAP_MAX_MODULES || edge_count > MCOV_MAP_MAX_BYTES - fixed ||
        pc_count > (MCOV_MAP_MAX_BYTES - fixed - edge_count) / sizeof(mcov_map_pc))
        return 0;
    return fixed + edge_count + pc_count * sizeof(mcov_map_pc);
}

int mcov_map_encode(const struct mcov_map_source *mods, uint32_t n, uint32_t kind, uint8_t *out,
                    uint64_t out_len)
{
    if (kind != MCOV_MAP_FLAGS && kind != MCOV_MAP_CLASSES)
        return mcov_fail(MCOV_E_INVALID_ARG, "map kind %u: a map holds flags (1) or classes (2)",
                         kind);
    uint64_t edges = 0, pcs = 0;
    for (uint32_t i = 0; i < n; i++) {
        pcs += mods[i].pcs ? mods[i].entry.edge_count : 0;
        if (!mcov_entry_identity_valid(&mods[i].entry))
            return mcov_fail(MCOV_E_INVALID_ARG,
                             "module %u (mode %u, identity kind %u of %u bytes, %llu edges) is not "
                             "a module this format defines",
                             i, mods[i].entry.mode, mods[i].entry.id_kind, mods[i].entry.id_len,
                             (unsigned long long)mods[i].entry.edge_count);
        edges += mods[i].entry.edge_count;
    }
    uint64_t size = mcov_map_size_of(n, edges, pcs);
    if (size == 0 || size != out_len)
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "a map of %u modules, %llu edges and %llu PC-table entries needs %llu "
                         "bytes, not %llu",
                         n, (unsigned long long)edges, (unsigned long long)pcs,
                         (unsigned long long)size, (unsigned long long)out_len);
    mcov_map_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MCOV_MAP_MAGIC, sizeof h.magic);
    h.version = MCOV_MAP_VERSION;
    h.header_size = sizeof h;
    h.module_count = n;
    h.kind = kind;
    h.edge_bytes = edges;
    h.pc_bytes = pcs * sizeof(mcov_map_pc);
    memcpy(out, &h, sizeof h);
    uint8_t *records = out + sizeof h;
    uint8_t *data = records + (uint64_t)n * sizeof(mcov_map_module);
    uint8_t *pc_section = data + edges;
    uint64_t pc_at = 0;
    mcov_module_entry *entries = malloc((size_t)(n ? n : 1) * sizeof *entries);
    if (!entries)
        return mcov_fail(MCOV_E_SYSTEM, "out of memory writing a map of %u modules", n);
    uint64_t offset = 0;
    for (uint32_t i = 0; i < n; i++) {
        mcov_map_module m;
        memset(&m, 0, sizeof m);
        m.entry = mods[i].entry;
        m.entry.base = offset;
        m.entry.reserved0 = 0;
        /* The file size is part of a path identity only: a build-id's module keeps none. */
        if (m.entry.id_kind == MCOV_ID_BUILD_ID)
            m.entry.file_size = 0;
        m.entry.path[sizeof m.entry.path - 1] = 0;
        /* Bytes after the identity and after the path's NUL are 0: equal maps, equal files. */
        memset(m.entry.id + m.entry.id_len, 0, sizeof m.entry.id - m.entry.id_len);
        size_t plen = strnlen(m.entry.path, sizeof m.entry.path);
        memset(m.entry.path + plen, 0, sizeof m.entry.path - plen);
        entries[i] = m.entry;
        if (mods[i].pcs) {
            m.pc_offset = pc_at;
            m.pc_count = m.entry.edge_count;
            memcpy(pc_section + pc_at, mods[i].pcs, (size_t)m.pc_count * sizeof(mcov_map_pc));
            pc_at += m.pc_count * sizeof(mcov_map_pc);
        }
        memcpy(records + (uint64_t)i * sizeof m, &m, sizeof m);
        const uint8_t *src = mods[i].edges;
        uint8_t *dst = data + offset;
        if (!src)
            memset(dst, 0, (size_t)m.entry.edge_count);
        else if (kind == MCOV_MAP_FLAGS)
            mcov_copy_hits(dst, src, m.entry.edge_count);
        else
            for (uint64_t e = 0; e < m.entry.edge_count; e++)
                dst[e] = __atomic_load_n(&src[e], __ATOMIC_RELAXED);
        offset += m.entry.edge_count;
    }
    int64_t twice = find_twice(entries, n);
    free(entries);
    if (twice != -1)
        return twice == -2 ? mcov_fail(MCOV_E_SYSTEM, "out of memory writing a map")
                           : mcov_fail(MCOV_E_INVALID_ARG,
                                       "module %lld (%.184s) is given twice: merge its maps first",
                                       (long long)twice, mods[twice].entry.path);
    uint64_t body = size - MCOV_MAP_TRAILER;
    uint64_t sum = mcov_fnv1a(out, (size_t)body, MCOV_FNV_OFFSET);
    memcpy(out + body, &sum, sizeof sum);
    return MCOV_OK;
}

/* --- memcov_files.h --- */

int mcov_map_check(const uint8_t *data, uint64_t size, mcov_map_summary *out)
{
    mcov_begin_quiet_call();
    mcov_map_summary ignored;
    return mcov_end_quiet_call(mcov_map_check_bytes(data, size, out ? out : &ignored));
}

int mcov_map_read(const uint8_t *data, uint64_t size, mcov_module_entry *modules, uint32_t n,
                  uint8_t *edges, uint64_t edge_len)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(mcov_map_read_bytes(data, size, modules, n, edges, edge_len));
}

uint64_t mcov_map_file_size(uint32_t n, uint64_t edge_count)
{
    return mcov_map_size_of(n, edge_count, 0);
}

uint64_t mcov_map_file_size_pcs(uint32_t n, uint64_t edge_count, uint64_t pc_count)
{
    return mcov_map_size_of(n, edge_count, pc_count);
}

void mcov_map_copy_pcs(const uint8_t *data, const mcov_map_summary *s, mcov_map_pc *pcs)
{
    if (s->edge_count)
        memset(pcs, 0, (size_t)s->edge_count * sizeof *pcs);
    if (s->format != MCOV_MAP_FORMAT_MAP2)
        return; /* older formats carry no PC tables */
    const uint8_t *records = data + sizeof(mcov_map_header);
    const uint8_t *pc_section = records + (uint64_t)s->module_count * sizeof(mcov_map_module) +
                                s->edge_count;
    for (uint32_t i = 0; i < s->module_count; i++) {
        mcov_map_module m;
        memcpy(&m, records + (uint64_t)i * sizeof m, sizeof m);
        if (m.pc_count) /* checked: inside the section, one entry per edge */
            memcpy(pcs + m.entry.base, pc_section + m.pc_offset,
                   (size_t)m.pc_count * sizeof *pcs);
    }
}

int mcov_map_read_pcs_bytes(const uint8_t *data, uint64_t size, mcov_map_pc *pcs, uint64_t len)
{
    mcov_map_summary s;
    int rc = mcov_map_check_bytes(data, size, &s);
    if (rc)
        return rc;
    if (len != s.edge_count || (len && !pcs))
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "the map has %llu edges; room was given for %llu PC-table entries",
                         (unsigned long long)s.edge_count, (unsigned long long)len);
    mcov_map_copy_pcs(data, &s, pcs);
    return MCOV_OK;
}

int mcov_map_read_pcs(const uint8_t *data, uint64_t size, mcov_map_pc *pcs, uint64_t len)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(mcov_map_read_pcs_bytes(data, size, pcs, len));
}

static int write_map(const mcov_module_entry *modules, uint32_t n, uint32_t kind,
                     const uint8_t *edges, uint64_t edge_len, const mcov_map_pc *pcs,
                     uint8_t *out, uint64_t out_len)
{
    if ((n && !modules) || (edge_len && !edges) || !out)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_map_write: a NULL buffer");
    if (n > MCOV_MAP_MAX_MODULES)
        return mcov_fail(MCOV_E_INVALID_ARG, "%u modules: a map holds at most %u", n,
                         MCOV_MAP_MAX_MODULES);
    struct mcov_map_source *mods = malloc((size_t)(n ? n : 1) * sizeof *mods);
    if (!mods)
        return mcov_fail(MCOV_E_SYSTEM, "out of memory writing a map of %u modules", n);
    int rc = MCOV_OK;
    for (uint32_t i = 0; i < n && rc == MCOV_OK; i++) {
        const mcov_module_entry *e = &modules[i];
        if (e->base > edge_len || e->edge_count > edge_len - e->base)
            rc = mcov_fail(MCOV_E_INVALID_ARG,
                           "module %u's edges [%llu, +%llu) lie outside the %llu bytes given", i,
                           (unsigned long long)e->base, (unsigned long long)e->edge_count,
                           (unsigned long long)edge_len);
        mods[i].entry = *e;
        mods[i].edges = edges + (rc == MCOV_OK ? e->base : 0);
        /* No code lies at offset 0 (the ELF header): a first entry of 0 means "no table". */
        mods[i].pcs = rc == MCOV_OK && pcs && e->edge_count && pcs[e->base].offset ? pcs + e->base
                                                                                    : NULL;
    }
    if (rc == MCOV_OK)
        rc = mcov_map_encode(mods, n, kind, out, out_len);
    free(mods);
    return rc;
}

int mcov_map_write(const mcov_module_entry *modules, uint32_t n, uint32_t kind,
                   const uint8_t *edges, uint64_t edge_len, uint8_t *out, uint64_t out_len)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(write_map(modules, n, kind, edges, edge_len, NULL, out, out_len));
}

int mcov_map_write_pcs(const mcov_module_entry *modules, uint32_t n, uint32_t kind,
                       const uint8_t *edges, uint64_t edge_len, const mcov_map_pc *pcs,
                       uint8_t *out, uint64_t out_len)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(write_map(modules, n, kind, edges, edge_len, pcs, out, out_len));
}
