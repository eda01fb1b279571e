/* The process's modules: registration of guard sections, and joining a region
 * (each module's range claimed once under the region's file lock). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bytes.h"
#include "record.h"
#include "runtime.h"

struct mcov_runtime mcov_rt = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Every memcov call starts here, so it sees (and the region gets) the inline modules'
 * mirrored hits. */
void mcov_lock(void)
{
    pthread_mutex_lock(&mcov_rt.lock);
    mcov_inline_sync();
}

void mcov_unlock(void)
{
    pthread_mutex_unlock(&mcov_rt.lock);
}

static mcov_module_entry *entry_at(struct mcov_region *r, uint32_t i)
{
    return (mcov_module_entry *)(r->base + r->table_offset) + i;
}

/* Under the file lock: the module's base, found by identity or allocated at the cursor;
 * -1 if it does not fit. */
static int64_t claim_range(struct mcov_region *r, const struct mcov_identity *id)
{
    mcov_region_header *h = r->header;
    uint32_t n = mcov_region_module_count(r);
    uint64_t cursor = mcov_region_cursor(r);
    for (uint32_t i = 0; i < n; i++) {
        mcov_module_entry e;
        if (!mcov_region_read_entry(r, i, &e))
            continue;
        if (mcov_identity_matches(id, &e))
            return (int64_t)e.base;
        uint64_t end = e.base + mcov_round_up(e.edge_count, MCOV_EDGE_ALIGN);
        if (end > cursor)
            cursor = end; /* a cursor another process wrote back never overlaps an entry */
    }
    uint64_t need = mcov_round_up(id->edge_count, MCOV_EDGE_ALIGN);
    uint32_t table_cap = r->table_capacity;
    if (n >= table_cap || need > r->capacity - cursor) {
        __atomic_fetch_add(&h->edges_dropped, id->edge_count, __ATOMIC_RELAXED);
        __atomic_fetch_add(&h->modules_private, 1, __ATOMIC_RELAXED);
        if (n >= table_cap)
            mcov_warn("region '%s' has no free module entry (%u in use): module %s "
                      "records privately; use a new region",
                      r->name, n, id->path);
        else
            mcov_warn("region '%s' (capacity %llu edges, %llu in use) is too small for module "
                      "%s (%llu edges): create it with a capacity of at least %llu edges; "
                      "the module records privately",
                      r->name, (unsigned long long)r->capacity, (unsigned long long)cursor,
                      id->path, (unsigned long long)id->edge_count,
                      (unsigned long long)(cursor + need));
        return -1;
    }
    mcov_module_entry *e = entry_at(r, n);
    memset(e, 0, sizeof *e);
    e->base = cursor;
    e->edge_count = id->edge_count;
    e->file_size = id->file_size;
    e->mode = id->mode;
    e->id_kind = id->kind;
    e->id_len = id->len;
    memcpy(e->id, id->bytes, id->len);
    memcpy(e->path, id->path, sizeof e->path);
    /* Cursor before count: a writer killed in between wastes a range, never shares one. */
    __atomic_store_n(&h->alloc_cursor, cursor + need, __ATOMIC_RELEASE);
    __atomic_store_n(&h->module_count, n + 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&h->edges_registered, id->edge_count, __ATOMIC_RELAXED);
    return (int64_t)cursor;
}

/* Inside an own view the hot path tests the own view alone, so every byte of it must be in the
 * base: after a module's base slice is replaced, a first hit another thread made between the
 * copy and the remap may be in the own view only. */
static void own_view_into_base(const struct mcov_module *m)
{
    if (mcov_rt.view == MCOV_VIEW_OWN)
        mcov_or_into(mcov_rt.window + m->local, mcov_rt.own + m->local, m->id.edge_count);
}

/* Replace a module's private slice with its range of the region, keeping its hits. */
static void move_into_region(int fd, struct mcov_region *r, struct mcov_module *m,
                             int64_t base)
{
    uint8_t *slice = mcov_rt.window + m->local;
    uint8_t *held = malloc(m->id.edge_count);
    if (!held) {
        mcov_warn("out of memory moving module %s into region '%s': it records privately",
                  m->id.path, r->name);
        return;
    }
    memcpy(held, slice, m->id.edge_count);
    if (mcov_window_map_region(fd, r, m->local, (uint64_t)base, m->span)) {
        m->region_base = base;
        mcov_or_into(slice, held, m->id.edge_count);
        own_view_into_base(m);
    } else {
        int e = errno;
        if (mcov_window_recover(m->local, m->span, held, m->id.edge_count) == MCOV_SLICE_LOST) {
            mcov_warn("cannot map region '%s' (%s) nor private pages over module %s: "
                      "free memory or raise vm.max_map_count; its slots are left unmapped",
                      r->name, strerror(e), m->id.path);
        } else {
            own_view_into_base(m);
            mcov_warn("cannot map region '%s' over module %s (%s): it records privately; "
                      "free memory or raise vm.max_map_count",
                      r->name, m->id.path, strerror(e));
        }
    }
    free(held);
}

/* Under the file lock: an inline module whose section the runtime may not map over records
 * privately, counted like a module that does not fit. */
static void refuse_unmappable(struct mcov_region *r, const struct mcov_module *m)
{
    mcov_region_header *h = r->header;
    __atomic_fetch_add(&h->edges_dropped, m->id.edge_count, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->modules_private, 1, __ATOMIC_RELAXED);
    mcov_warn("module %s was linked without memcov-inline.ld (its __sancov_bools are not "
              "page-aligned and padded): it records privately, outside region '%s'; add "
              "-Wl,-T,memcov-inline.ld (artifacts/native/ or native/cmake/) to its link line, "
              "or use memcov_instrument(<target> MODE inline)",
              m->id.path, r->name);
}

void mcov_modules_join(struct mcov_region *r, uint32_t first)
{
    bool any = false;
    for (uint32_t i = first; i < mcov_rt.module_count; i++)
        any |= mcov_rt.modules[i].region_base < 0;
    if (!any)
        return;
    int lock = mcov_region_lock(r);
    if (lock < 0)
        return;
    int64_t *bases = calloc(mcov_rt.module_count, sizeof *bases);
    if (!bases) {
        close(lock);
        mcov_warn("out of memory joining region '%s': modules record privately", r->name);
        return;
    }
    for (uint32_t i = first; i < mcov_rt.module_count; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        bases[i] = -1;
        if (m->region_base >= 0)
            continue;
        if (m->id.mode == MCOV_MODE_INLINE && !m->mappable)
            refuse_unmappable(r, m);
        else
            bases[i] = claim_range(r, &m->id);
    }
    flock(lock, LOCK_UN);
    /* Map from the descriptor just checked to be the region, never from a number kept
     * since attach: the host may have closed it or put another file there. */
    for (uint32_t i = first; i < mcov_rt.module_count; i++)
        if (bases[i] >= 0)
            move_into_region(lock, r, &mcov_rt.modules[i], bases[i]);
    close(lock);
    free(bases);
    mcov_inline_go_direct();
}

int mcov_attach_locked(const char *name)
{
    struct mcov_region r;
    int rc = mcov_region_open(name, &r);
    if (rc)
        return rc;
    if (mcov_rt.attached)
        mcov_detach_locked();
    mcov_rt.region = r;
    mcov_rt.attached = true;
    mcov_modules_join(&mcov_rt.region, 0);
    return MCOV_OK;
}

void mcov_detach_locked(void)
{
    if (!mcov_rt.attached)
        return;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (m->region_base < 0)
            continue;
        /* Flags first: from now on their stores reach the private base, through memcov
         * calls; the copy below then takes every hit they made into the region. */
        mcov_inline_leave_region(m);
        /* The private map keeps the current view of the module. */
        const uint8_t *view = (mcov_rt.view == MCOV_VIEW_OWN ? mcov_rt.own : mcov_rt.window) +
                              m->local;
        m->region_base = -1;
        uint8_t *held = malloc(m->id.edge_count);
        if (!held) {
            /* The region's pages stay mapped: hits still reach the file, and the process
             * reads them through the window like any private module. */
            mcov_warn("out of memory detaching module %s: it keeps writing into region '%s'",
                      m->id.path, mcov_rt.region.name);
            continue;
        }
        memcpy(held, view, m->id.edge_count);
        /* A pop brings back the own views saved on the push stack: the base keeps them too. */
        for (size_t s = 0; s < mcov_rt.stack_len; s++) {
            const struct mcov_saved_view *v = &mcov_rt.stack[s];
            if (v->kind == MCOV_VIEW_OWN && m->local + m->id.edge_count <= v->len)
                mcov_or_into(held, v->bytes + m->local, m->id.edge_count);
        }
        if (mcov_window_map_private(mcov_rt.window, m->local, m->span)) {
            mcov_or_into(mcov_rt.window + m->local, held, m->id.edge_count);
            own_view_into_base(m);
        } else {
            int e = errno;
            enum mcov_slice_state st =
                mcov_window_recover(m->local, m->span, held, m->id.edge_count);
            if (st != MCOV_SLICE_LOST)
                own_view_into_base(m);
            if (st == MCOV_SLICE_KEPT)
                mcov_warn("cannot give module %s private pages (%s): it keeps writing into "
                          "region '%s'; free memory or raise vm.max_map_count",
                          m->id.path, strerror(e), mcov_rt.region.name);
            else if (st == MCOV_SLICE_LOST)
                mcov_warn("cannot give module %s private pages (%s): free memory or raise "
                          "vm.max_map_count; its slots are left unmapped",
                          m->id.path, strerror(e));
        }
        free(held);
    }
    mcov_region_close(&mcov_rt.region);
    mcov_rt.attached = false;
}

static bool grow_modules(void)
{
    if (mcov_rt.module_count < mcov_rt.module_cap)
        return true;
    uint32_t cap = mcov_rt.module_cap ? mcov_rt.module_cap * 2 : 16;
    struct mcov_module *p = realloc(mcov_rt.modules, cap * sizeof *p);
    if (!p)
        return false;
    mcov_rt.modules = p;
    mcov_rt.module_cap = cap;
    return true;
}

static void set_guards(uint32_t *start, uint64_t edges, uint64_t local)
{
    /* Atomic stores: another thread may already run the module's code. */
    for (uint64_t i = 0; i < edges; i++)
        __atomic_store_n(&start[i], (uint32_t)(local + i), __ATOMIC_RELAXED);
}

/* A module loaded again (dlclose, then dlopen) is the same module: it gets its old slots
 * back, with their hits and their region range, rather than a second copy that views would
 * count twice. One identity is one range in a region, and so one set of slots here. A module
 * whose file was not found is never matched. */
static struct mcov_module *find_same(const struct mcov_identity *id)
{
    for (uint32_t i = 0; id->path[0] && i < mcov_rt.module_count; i++)
        if (mcov_identity_equal(&mcov_rt.modules[i].id, id))
            return &mcov_rt.modules[i];
    return NULL;
}

/* New local slots [local, local + span) in both windows, private and clear. */
static struct mcov_module *add_module(const struct mcov_identity *id)
{
    uint64_t span = mcov_round_up(id->edge_count, MCOV_EDGE_ALIGN);
    if (span > MCOV_WINDOW_BYTES - mcov_rt.used) {
        mcov_warn("module %s (%llu edges) does not fit in this process's 4 GiB of edge slots: "
                  "its edges are not recorded",
                  id->path, (unsigned long long)id->edge_count);
        return NULL;
    }
    if (!grow_modules() || !mcov_window_map_private(mcov_rt.window, mcov_rt.used, span) ||
        !mcov_window_map_private(mcov_rt.own, mcov_rt.used, span)) {
        mcov_warn("out of memory registering module %s: its edges are not recorded", id->path);
        return NULL;
    }
    struct mcov_module *m = &mcov_rt.modules[mcov_rt.module_count];
    memset(m, 0, sizeof *m);
    m->local = mcov_rt.used;
    m->span = span;
    m->region_base = -1;
    m->id = *id;
    mcov_rt.used += span;
    mcov_rt.module_count++;
    return m;
}

/* The module just added joins the region: MEMCOV_REGION at the first registration, else
 * the attached one. */
static void join_new_module(void)
{
    if (!mcov_rt.env_checked) {
        mcov_rt.env_checked = true;
        const char *name = getenv("MEMCOV_REGION");
        if (name && name[0] && !mcov_rt.attached) {
            if (mcov_attach_locked(name) != MCOV_OK)
                mcov_warn("MEMCOV_REGION='%.200s' could not be attached: recording privately",
                          name);
            return;
        }
    }
    if (mcov_rt.attached)
        mcov_modules_join(&mcov_rt.region, mcov_rt.module_count - 1);
}

/* A module's guards get local slots [local, local + edges); until then they are 0,
 * which the hot path sends to the sink. */
static void register_guards_locked(uint32_t *start, uint32_t *stop)
{
    if (start >= stop || *start)
        return; /* empty, or initialized already (init may run once per constructor) */
    uint64_t edges = (uint64_t)(stop - start);
    if (!mcov_windows_ready())
        return;
    struct mcov_identity id;
    mcov_identity_of(start, edges, MCOV_MODE_CALLBACK, &id);
    struct mcov_module *m = find_same(&id);
    if (m) {
        set_guards(start, edges, m->local);
        return;
    }
    m = add_module(&id);
    if (!m)
        return;
    set_guards(start, edges, m->local);
    join_new_module();
}

/* An inline module: the compiler stores into [start, stop) itself; the module gets local
 * slots for its base and own view, and its section is mapped over when it can be. */
static void register_bools_locked(uint8_t *start, uint8_t *stop)
{
    if (!start || start >= stop)
        return;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        if (mcov_rt.modules[i].bools == start)
            return; /* initialized already */
    if (!mcov_windows_ready())
        return;
    uint64_t edges = (uint64_t)(stop - start);
    struct mcov_identity id;
    mcov_identity_of(start, edges, MCOV_MODE_INLINE, &id);
    uintptr_t load_base = 0;
    bool mappable = mcov_bools_mappable(start, stop, &load_base);
    struct mcov_module *m = find_same(&id);
    bool reloaded = m && !m->bools;
    if (!reloaded) { /* new, or a second copy whose flags live elsewhere */
        m = add_module(&id);
        if (!m)
            return;
        mcov_rt.inline_count++;
    }
    m->bools = start;
    m->load_base = load_base;
    m->mappable = mappable;
    m->direct = false;
    if (reloaded)
        mcov_inline_make_direct(m); /* its base kept the hits and the region range */
    else
        join_new_module();
}

void mcov_register_guards(uint32_t *start, uint32_t *stop)
{
    mcov_lock();
    register_guards_locked(start, stop);
    mcov_unlock();
}

void mcov_register_bools(uint8_t *start, uint8_t *stop)
{
    mcov_lock();
    register_bools_locked(start, stop);
    mcov_unlock();
}

void mcov_unregister_bools(uint8_t *start, uint8_t *stop)
{
    if (!start || start >= stop)
        return;
    mcov_lock(); /* syncs the section a last time */
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (m->bools == start) {
            m->bools = NULL;
            m->direct = false;
        }
    }
    mcov_unlock();
}

void mcov_flush(void)
{
    mcov_clear_error();
    mcov_lock();
    mcov_unlock();
}
