/* The process's modules: registration of guard and flag sections, each module a slice of
 * local slots in both windows, and joining the attached region at registration. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "record.h"
#include "runtime.h"

static void warn_out_of_memory(const char *path)
{
    mcov_warn("out of memory registering module %s: its edges are not recorded", path);
}

static bool grow_modules(void)
{
    if (mcov_rt.module_count < mcov_rt.module_cap)
        return true;
    if (!mcov_rt.modules) {
        mcov_rt.modules = mcov_rt.first_modules;
        mcov_rt.module_cap = MCOV_FIRST_MODULES;
        return true;
    }
    bool first = mcov_rt.modules == mcov_rt.first_modules;
    uint32_t cap = mcov_rt.module_cap * 2;
    struct mcov_module *p = first ? malloc(cap * sizeof *p) : realloc(mcov_rt.modules, cap * sizeof *p);
    if (!p)
        return false;
    if (first)
        memcpy(p, mcov_rt.first_modules, sizeof mcov_rt.first_modules);
    mcov_rt.modules = p;
    mcov_rt.module_cap = cap;
    return true;
}

/* Numbering writes every page of the guards: one populate call faults them in at once, where a
 * first store per page would trap once per page (most of numbering's cost in a VM). A kernel
 * without MADV_POPULATE_WRITE (before 5.14) refuses it and the stores fault as usual. Pages are
 * at most MCOV_EDGE_ALIGN (mcov_windows_ready), so a multiple of it is page-aligned. */
static void populate_guards(uint32_t *start, uint64_t edges)
{
    uintptr_t from = (uintptr_t)start & ~(uintptr_t)(MCOV_EDGE_ALIGN - 1);
    (void)madvise((void *)from, (uintptr_t)(start + edges) - from, MADV_POPULATE_WRITE);
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
    for (uint32_t i = 0; (id->path[0] || id->path_pending) && i < mcov_rt.module_count; i++)
        if (mcov_identity_equal(&mcov_rt.modules[i].id, id))
            return &mcov_rt.modules[i];
    return NULL;
}

/* The region named by MEMCOV_REGION, attached at the first registration (before the module is
 * added, so that it registers straight into the region) unless the process attached already.
 * Whether it attached now. */
static bool attach_from_env(void)
{
    if (mcov_rt.env_checked)
        return false;
    mcov_rt.env_checked = true;
    const char *name = getenv("MEMCOV_REGION");
    if (!name || !name[0] || mcov_rt.attached)
        return false;
    if (mcov_attach_locked(name) == MCOV_OK)
        return true;
    mcov_warn("MEMCOV_REGION='%.200s' could not be attached: recording privately", name);
    return false;
}

/* New local slots [local, local + span) in both windows, clear. A callback module of an attached
 * process registers straight into the region: its window slice stays unmapped until joining maps
 * the region's pages there, with nothing private to map and copy first. */
static struct mcov_module *add_module(struct mcov_identity *id)
{
    uint64_t span = mcov_round_up(id->edge_count, MCOV_EDGE_ALIGN);
    if (span > MCOV_WINDOW_BYTES - mcov_rt.used) {
        mcov_identity_complete(id);
        mcov_warn("module %s (%llu edges) does not fit in this process's 4 GiB of edge slots: "
                  "its edges are not recorded",
                  id->path, (unsigned long long)id->edge_count);
        return NULL;
    }
    bool straight = mcov_rt.attached && id->mode == MCOV_MODE_CALLBACK;
    if (!grow_modules() ||
        (!straight && !mcov_window_map_private(mcov_rt.window, mcov_rt.used, span)) ||
        (mcov_rt.own_ready && !mcov_window_map_private(mcov_rt.own, mcov_rt.used, span))) {
        mcov_identity_complete(id);
        warn_out_of_memory(id->path);
        return NULL;
    }
    struct mcov_module *m = &mcov_rt.modules[mcov_rt.module_count];
    memset(m, 0, sizeof *m);
    m->local = mcov_rt.used;
    m->span = span;
    m->region_base = -1;
    m->fresh = straight;
    m->id = *id;
    mcov_rt.used += span;
    mcov_rt.module_count++;
    return m;
}

/* The module just added joins the attached region. One that registered straight and got no
 * range (the region is full or was removed, or its pages could not be mapped) takes private
 * pages now, and counting is decided again (a hit-count region counts only when every callback
 * module is in the lane). Without private pages it is dropped, its guards left at 0 (the sink),
 * and its slots stay taken: a failed mapping may have left them unmapped. */
static bool join_new_module(bool attached_now)
{
    struct mcov_module *m = &mcov_rt.modules[mcov_rt.module_count - 1];
    if (mcov_rt.attached)
        mcov_modules_join(&mcov_rt.region, mcov_rt.module_count - 1, attached_now);
    /* A private module's pending path stays pending: a later join may take it from the region's
     * entry, and what writes the identity (a claim, serialize, a PC file) reads it first. */
    if (!m->fresh)
        return true;
    m->fresh = false;
    bool mapped = mcov_window_map_private(mcov_rt.window, m->local, m->span);
    if (!mapped) {
        mcov_identity_complete(&m->id);
        warn_out_of_memory(m->id.path);
        mcov_rt.module_count--;
    }
    mcov_inline_place_sections(false);
    return mapped;
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
        m->id.bias = id.bias; /* loaded again, maybe elsewhere */
        set_guards(start, edges, m->local);
        return;
    }
    bool attached_now = attach_from_env();
    m = add_module(&id);
    if (!m || !join_new_module(attached_now))
        return;
    /* Numbered last: a guard's slot is mapped before any thread can hit it. */
    populate_guards(start, edges);
    set_guards(start, edges, m->local);
}

/* A no-call module: the compiler stores into (or counts in) [start, stop) itself; the module gets
 * local slots for its base and own view, and the process's lane is mapped over its section when
 * it can be. */
static void register_section_locked(uint8_t *start, uint8_t *stop, bool counters)
{
    if (!start || start >= stop)
        return;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        if (mcov_rt.modules[i].section == start)
            return; /* initialized already */
    if (!mcov_windows_ready())
        return;
    uint64_t edges = (uint64_t)(stop - start);
    struct mcov_identity id;
    mcov_identity_of(start, edges, MCOV_MODE_INLINE, &id);
    uintptr_t load_base = 0;
    bool mappable = mcov_section_mappable(start, stop, &load_base);
    struct mcov_module *m = find_same(&id);
    bool reloaded = m && !m->section;
    bool attached_now = false;
    if (!reloaded) { /* new, or a second copy whose section lives elsewhere */
        attached_now = attach_from_env();
        m = add_module(&id);
        if (!m)
            return;
        mcov_rt.inline_count++;
    }
    m->id.bias = id.bias;
    m->section = start;
    m->counters = counters;
    m->load_base = load_base;
    m->mappable = mappable;
    m->place = MCOV_SECTION_OWN_MEMORY;
    if (reloaded)
        mcov_inline_place_sections(false); /* its base kept the hits and the region range */
    else
        (void)join_new_module(attached_now);
}

void mcov_register_guards(uint32_t *start, uint32_t *stop)
{
    mcov_lock();
    register_guards_locked(start, stop);
    mcov_unlock();
}

void mcov_register_section(uint8_t *start, uint8_t *stop)
{
    mcov_lock();
    register_section_locked(start, stop, false);
    mcov_unlock();
}

void mcov_register_counters(uint8_t *start, uint8_t *stop)
{
    mcov_lock();
    register_section_locked(start, stop, true);
    mcov_unlock();
}

void mcov_unregister_section(uint8_t *start, uint8_t *stop)
{
    if (!start || start >= stop)
        return;
    mcov_lock_and_sync(); /* a mirrored section's hits a last time; a lane keeps its own */
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (m->section == start)
            m->section = NULL; /* its base and own-window slice keep what it held */
    }
    mcov_unlock();
}
