/* memcov_files.h's calls on region files: handles for readers and tools, with the same rules
 * (region.c) that the process's own attachment follows. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memcov_files.h"
#include "runtime.h"

struct mcov_region_file {
    struct mcov_region region;
};

int mcov_region_file_path(const char *dir, const char *name, char *buf, uint64_t len)
{
    /* A question, asked while reporting another call's failure: success keeps that message. */
    char saved[1024];
    mcov_save_error(saved);
    mcov_begin_quiet_call();
    int rc = !buf || len == 0
                 ? mcov_fail(MCOV_E_INVALID_ARG, "mcov_region_file_path: no buffer")
                 : mcov_region_path_of(dir, name, buf, len > SIZE_MAX ? SIZE_MAX : (size_t)len);
    if (rc == MCOV_OK)
        mcov_restore_error(saved);
    return mcov_end_quiet_call(rc);
}

static void facts_of(const struct mcov_region *r, mcov_region_facts *out)
{
    memset(out, 0, sizeof *out);
    out->version = r->version;
    if (!r->base)
        return;
    out->base = r->base;
    out->mapped_bytes = r->size;
    out->map_offset = r->map_offset;
    out->capacity_edges = r->capacity;
    out->creator_pid = r->creator_pid;
    out->created_ns = r->created_ns;
    out->device = (uint64_t)r->dev;
    out->inode = (uint64_t)r->ino;
    out->module_capacity = r->table_capacity;
    out->kind = r->kind;
    out->lane_count = r->lanes.count;
}

static int create_file(const char *dir, const char *name, uint64_t capacity_edges, uint32_t kind,
                       mcov_region_file **out, mcov_region_facts *facts)
{
    if (kind != MCOV_REGION_FLAGS && kind != MCOV_REGION_CLASSES)
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "cannot create region '%.200s' of kind %u: the kinds are %u (flags) and "
                         "%u (hit-count classes)",
                         name ? name : "", kind, MCOV_REGION_FLAGS, MCOV_REGION_CLASSES);
    if (!out)
        return mcov_region_create_file(dir, name, capacity_edges, kind, NULL);
    *out = NULL;
    mcov_region_file *f = calloc(1, sizeof *f);
    if (f)
        f->region.fd = -1;
    if (!f)
        return mcov_fail(MCOV_E_SYSTEM, "out of memory creating region '%.200s'",
                         name ? name : "");
    int rc = mcov_region_create_file(dir, name, capacity_edges, kind, &f->region);
    if (facts)
        facts_of(&f->region, facts);
    if (rc) {
        free(f);
        return rc;
    }
    *out = f;
    return MCOV_OK;
}

int mcov_region_file_create(const char *dir, const char *name, uint64_t capacity_edges,
                            mcov_region_file **out, mcov_region_facts *facts)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(
        create_file(dir, name, capacity_edges, MCOV_REGION_FLAGS, out, facts));
}

int mcov_region_file_create_kind(const char *dir, const char *name, uint64_t capacity_edges,
                                 uint32_t kind, mcov_region_file **out, mcov_region_facts *facts)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(create_file(dir, name, capacity_edges, kind, out, facts));
}

static int open_file(const char *dir, const char *name, mcov_region_file **out,
                     mcov_region_facts *facts)
{
    if (!out)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_region_file_open: out is NULL");
    *out = NULL;
    mcov_region_file *f = calloc(1, sizeof *f);
    if (f)
        f->region.fd = -1;
    if (!f)
        return mcov_fail(MCOV_E_SYSTEM, "out of memory opening region '%.200s'",
                         name ? name : "");
    int rc = mcov_region_open(dir, name, &f->region);
    if (facts)
        facts_of(&f->region, facts);
    if (rc) {
        free(f);
        return rc;
    }
    *out = f;
    return MCOV_OK;
}

int mcov_region_file_open(const char *dir, const char *name, mcov_region_file **out,
                          mcov_region_facts *facts)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(open_file(dir, name, out, facts));
}

void mcov_region_file_close(mcov_region_file *file)
{
    if (!file)
        return;
    mcov_region_close(&file->region);
    free(file);
}

void mcov_region_file_counters(const mcov_region_file *file, mcov_region_counters *out)
{
    const struct mcov_region *r = &file->region;
    const mcov_region_header *h = r->header;
    out->alloc_cursor = mcov_region_cursor(r);
    out->module_count = mcov_region_module_count(r);
    out->edges_registered = __atomic_load_n(&h->edges_registered, __ATOMIC_RELAXED);
    out->edges_dropped = __atomic_load_n(&h->edges_dropped, __ATOMIC_RELAXED);
    out->modules_private = __atomic_load_n(&h->modules_private, __ATOMIC_RELAXED);
}

int mcov_region_file_module(const mcov_region_file *file, uint32_t index, mcov_module_entry *out)
{
    if (index >= file->region.table_capacity) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    return mcov_region_read_entry(&file->region, index, out) ? 1 : 0;
}

static int claim(mcov_region_file *file, const mcov_module_entry *modules, uint32_t n,
                 uint64_t *bases, uint64_t *needed_capacity)
{
    if (n == 0)
        return MCOV_OK;
    if (!modules || !bases)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_region_file_claim: modules or bases is NULL");
    struct mcov_identity *ids = calloc(n, sizeof *ids);
    if (!ids)
        return mcov_fail(MCOV_E_SYSTEM, "out of memory claiming %u modules", n);
    int rc = MCOV_OK;
    for (uint32_t i = 0; i < n && rc == MCOV_OK; i++) {
        if (!mcov_entry_identity_valid(&modules[i]))
            rc = mcov_fail(MCOV_E_INVALID_ARG,
                           "module %u (mode %u, identity kind %u of %u bytes, %llu edges) is not a "
                           "module this format version defines: nothing was claimed",
                           i, modules[i].mode, modules[i].id_kind, modules[i].id_len,
                           (unsigned long long)modules[i].edge_count);
        else
            mcov_identity_from_entry(&modules[i], &ids[i]);
    }
    if (rc == MCOV_OK) {
        int lock = mcov_region_lock(&file->region, false);
        file->region.lock_timed_out = false; /* a tool waits again each time it asks */
        if (lock < 0) {
            rc = lock;
        } else {
            rc = mcov_region_claim_all(&file->region, lock, ids, n, bases, needed_capacity);
            mcov_region_lock_close(lock, false);
        }
    }
    free(ids);
    return rc;
}

int mcov_region_file_claim(mcov_region_file *file, const mcov_module_entry *modules, uint32_t n,
                           uint64_t *bases, uint64_t *needed_capacity)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(claim(file, modules, n, bases, needed_capacity));
}

int mcov_region_file_reset(mcov_region_file *file)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(mcov_region_clear(&file->region));
}

int mcov_region_file_sync(mcov_region_file *file)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(mcov_region_sync(&file->region, -1));
}

static int check_path(const struct mcov_region *r)
{
    struct stat st;
    if (lstat(r->path, &st) != 0)
        return mcov_fail(MCOV_E_NOT_FOUND, "region '%s' was removed (%s is gone)", r->name, r->path);
    if (st.st_dev != r->dev || st.st_ino != r->ino)
        return mcov_fail(MCOV_E_NOT_FOUND,
                         "region '%s' was removed and replaced (%s is another file now)", r->name,
                         r->path);
    return MCOV_OK;
}

int mcov_region_file_check_path(const mcov_region_file *file)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(check_path(&file->region));
}

void mcov_region_file_prefault(const mcov_region_file *file)
{
    /* The handle is this library's allocation, never a const object: the prefault records what it
     * mapped in it. */
    mcov_region_prefault(&((mcov_region_file *)file)->region);
}

void mcov_region_file_fault_ahead(mcov_region_file *file, uint64_t upto)
{
    mcov_region_fault_ahead(&file->region, upto);
}

int mcov_region_file_remove(const char *dir, const char *name)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(mcov_region_remove_file(dir, name));
}

int mcov_region_file_remove_unused(const char *dir, const char *name)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(mcov_region_remove_unused(dir, name));
}

int64_t mcov_region_file_sweep_lanes(const char *dir)
{
    mcov_begin_quiet_call();
    int64_t n = mcov_lanes_sweep(dir, MCOV_LANES_SWEEP_AGE_S);
    mcov_end_quiet_call(0);
    return n;
}

int mcov_region_file_liveness(const char *dir, const char *name, uint32_t *state)
{
    mcov_begin_quiet_call();
    uint32_t ignored;
    return mcov_end_quiet_call(mcov_region_liveness(dir, name, state ? state : &ignored));
}

static int64_t region_pcs(const mcov_region_file *file, uint32_t index, mcov_map_pc *out,
                          uint64_t cap)
{
    if (!file || !out)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_region_file_pcs: a NULL argument");
    const struct mcov_region *r = &file->region;
    mcov_module_entry e;
    if (index >= mcov_region_module_count(r) || !mcov_region_read_entry(r, index, &e))
        return mcov_fail(MCOV_E_INVALID_ARG, "entry %u of region '%s' is not a valid module",
                         index, r->name);
    if (cap < e.edge_count)
        return mcov_fail(MCOV_E_INVALID_ARG, "module %u has %llu edges; room was given for %llu",
                         index, (unsigned long long)e.edge_count, (unsigned long long)cap);
    return mcov_pcs_read(r, &e, out);
}

int64_t mcov_region_file_pcs(const mcov_region_file *file, uint32_t index, mcov_map_pc *out,
                             uint64_t cap)
{
    mcov_begin_quiet_call();
    int64_t n = region_pcs(file, index, out, cap);
    mcov_end_quiet_call(n < 0 ? (int)n : MCOV_OK);
    return n;
}

static int region_put_pcs(mcov_region_file *file, const mcov_module_entry *module,
                          const mcov_map_pc *pcs)
{
    if (!file || !module || !pcs)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_region_file_put_pcs: a NULL argument");
    if (!mcov_entry_identity_valid(module) || pcs[0].offset == 0)
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "module %.184s: not a valid identity, or a PC table whose first entry "
                         "is 0",
                         module->path);
    return mcov_pcs_write(&file->region, module, pcs);
}

int mcov_region_file_put_pcs(mcov_region_file *file, const mcov_module_entry *module,
                             const mcov_map_pc *pcs)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(region_put_pcs(file, module, pcs));
}
