/* serialize_mem_coverage / deserialize_mem_coverage: the current view as an offline map
 * (memcov_map.h), which carries the module table, so it loads into a process whose modules
 * registered in another order. deserialize also reads map files of version 1, serialize blobs of
 * version 1 and the memcov fork's legacy blob (u32 now | u32 byte_size | bits). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "runtime.h"

#define LEGACY_HEADER 8u

/* The modules of the current view: the region's whole table on the base view, else this
 * process's own modules. A private module whose identity the table has too (it did not fit
 * here, another process registered it) is ORed into a copy of that entry's bytes. *merged
 * receives the copies to free. */
static size_t view_modules(struct mcov_map_source **out, uint8_t ***merged, size_t *merged_n)
{
    bool region_wide = mcov_rt.view == MCOV_VIEW_BASE && mcov_rt.attached;
    if (region_wide)
        mcov_fold_lanes_for_union();
    uint32_t table = region_wide ? mcov_region_module_count(&mcov_rt.region) : 0;
    size_t cap = (size_t)table + mcov_rt.module_count + 1;
    struct mcov_map_source *list = calloc(cap, sizeof *list);
    uint8_t **copies = calloc(mcov_rt.module_count + 1, sizeof *copies);
    if (!list || !copies) {
        free(list);
        free(copies);
        return (size_t)-1;
    }
    size_t n = 0, c = 0;
    for (uint32_t i = 0; i < table; i++) {
        mcov_module_entry e;
        if (!mcov_region_read_entry(&mcov_rt.region, i, &e))
            continue;
        list[n].entry = e;
        list[n++].edges = mcov_rt.region.map + e.base;
    }
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (region_wide && m->region_base >= 0)
            continue;
        mcov_identity_complete(&m->id); /* the entry written names the file */
        const uint8_t *bytes = (mcov_rt.view == MCOV_VIEW_OWN ? mcov_rt.own : mcov_rt.window) +
                               m->local;
        size_t same = n;
        for (size_t k = 0; k < n && same == n; k++)
            if (mcov_identity_matches(&m->id, &list[k].entry))
                same = k;
        if (same == n) {
            mcov_entry_of_identity(&m->id, &list[n].entry);
            list[n++].edges = bytes;
            continue;
        }
        uint8_t *copy = malloc(m->id.edge_count);
        if (!copy) {
            for (size_t k = 0; k < c; k++)
                free(copies[k]);
            free(copies);
            free(list);
            return (size_t)-1;
        }
        mcov_copy_hits(copy, list[same].edges, m->id.edge_count);
        mcov_or_into(copy, bytes, m->id.edge_count);
        list[same].edges = copies[c++] = copy;
    }
    *out = list;
    *merged = copies;
    *merged_n = c;
    return n;
}

uint8_t *serialize_mem_coverage(size_t *size)
{
    mcov_clear_error();
    if (size)
        *size = 0;
    mcov_lock_and_sync();
    struct mcov_map_source *mods = NULL;
    uint8_t **copies = NULL;
    size_t ncopies = 0;
    size_t count = view_modules(&mods, &copies, &ncopies);
    if (count == (size_t)-1) {
        mcov_unlock();
        mcov_fail(MCOV_E_SYSTEM, "out of memory in serialize_mem_coverage");
        return NULL;
    }
    uint64_t edges = 0;
    for (size_t i = 0; i < count; i++)
        edges += mods[i].entry.edge_count;
    uint64_t total = mcov_map_size_of((uint32_t)count, edges, 0);
    uint8_t *blob = total && total <= SIZE_MAX ? malloc((size_t)total) : NULL;
    int rc = blob ? mcov_map_encode(mods, (uint32_t)count, MCOV_MAP_FLAGS, blob, total)
                  : mcov_fail(MCOV_E_SYSTEM, "out of memory in serialize_mem_coverage (%llu bytes)",
                              (unsigned long long)total);
    mcov_unlock();
    for (size_t i = 0; i < ncopies; i++)
        free(copies[i]);
    free(copies);
    free(mods);
    if (rc) {
        free(blob);
        return NULL;
    }
    if (size)
        *size = (size_t)total;
    return blob;
}

void mcov_free(void *ptr)
{
    free(ptr);
}


static void load_map(const mcov_module_entry *modules, uint32_t count, const uint8_t *edges)
{
    uint32_t ignored = 0;
    for (uint32_t r = 0; r < count; r++) {
        struct mcov_identity id;
        mcov_identity_from_entry(&modules[r], &id);
        const uint8_t *src = edges + modules[r].base;
        bool done = false;
        for (uint32_t i = 0; i < mcov_rt.module_count && !done; i++)
            if (mcov_identity_equal(&mcov_rt.modules[i].id, &id)) {
                mcov_view_or_module(&mcov_rt.modules[i], 0, src, id.edge_count);
                done = true;
            }
        uint32_t table = mcov_rt.attached ? mcov_region_module_count(&mcov_rt.region) : 0;
        for (uint32_t i = 0; i < table && !done; i++) {
            mcov_module_entry e;
            if (mcov_region_read_entry(&mcov_rt.region, i, &e) && mcov_identity_matches(&id, &e)) {
                (mcov_counts_classes() ? mcov_or_classes : mcov_or_into)(
                    mcov_rt.region.map + e.base, src, id.edge_count);
                done = true;
            }
        }
        ignored += !done;
    }
    if (ignored)
        mcov_warn("deserialize_mem_coverage: %u module(s) of the map are neither loaded here nor "
                  "in the region: their edges were not loaded",
                  ignored);
}

/* The fork's blob: bit i is the i-th edge in the order modules registered here. */
static void load_legacy(const uint8_t *bits, uint64_t nbits)
{
    uint64_t first = 0;
    uint8_t chunk[4096];
    for (uint32_t i = 0; i < mcov_rt.module_count && first < nbits; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        uint64_t n = m->id.edge_count < nbits - first ? m->id.edge_count : nbits - first;
        for (uint64_t done = 0; done < n; done += sizeof chunk) {
            uint64_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
            for (uint64_t e = 0; e < k; e++) {
                uint64_t b = first + done + e;
                chunk[e] = bits[b / 8] >> (b % 8) & 1u;
            }
            mcov_view_or_module(m, done, chunk, k);
        }
        first += m->id.edge_count;
    }
}

static bool is_legacy(const uint8_t *data, size_t size)
{
    uint32_t byte_size;
    if (size < LEGACY_HEADER || memcmp(data, MCOV_MAP_MAGIC, 8) == 0 ||
        memcmp(data, "MCOVBLOB", 8) == 0)
        return false;
    memcpy(&byte_size, data + 4, sizeof byte_size);
    return (uint64_t)byte_size + LEGACY_HEADER == size;
}

void deserialize_mem_coverage(uint8_t *data, size_t size)
{
    mcov_clear_error();
    if (!data) {
        mcov_fail(MCOV_E_INVALID_ARG, "deserialize_mem_coverage: data is NULL");
        return;
    }
    if (is_legacy(data, size)) {
        mcov_lock_and_sync();
        load_legacy(data + LEGACY_HEADER, (uint64_t)(size - LEGACY_HEADER) * 8);
        mcov_unlock();
        return;
    }
    /* Checked quietly, so that the one line printed says which call refused the data. */
    mcov_map_summary s;
    mcov_begin_quiet_call();
    int rc = mcov_end_quiet_call(mcov_map_check_bytes(data, size, &s));
    if (rc != MCOV_OK) {
        char why[1024];
        snprintf(why, sizeof why, "%s", mcov_last_error());
        mcov_fail(rc, "deserialize_mem_coverage: %s: nothing was loaded", why);
        return;
    }
    mcov_module_entry *modules = malloc((size_t)(s.module_count ? s.module_count : 1) *
                                        sizeof *modules);
    uint8_t *edges = malloc(s.edge_count ? (size_t)s.edge_count : 1);
    if (!modules || !edges) {
        mcov_fail(MCOV_E_SYSTEM, "deserialize_mem_coverage: out of memory (%llu edges): nothing "
                                 "was loaded",
                  (unsigned long long)s.edge_count);
    } else if (mcov_map_read_bytes(data, size, modules, s.module_count, edges, s.edge_count) ==
               MCOV_OK) {
        mcov_lock_and_sync();
        load_map(modules, s.module_count, edges);
        mcov_unlock();
    }
    free(modules);
    free(edges);
}
