/* No-call mode: modules compiled with -fsanitize-coverage=inline-bool-flag, where the
 * compiler itself stores 1 into the module's __sancov_bools at each edge.
 *
 * As in callback mode, a module's window slice is its base (the region's slice, or private
 * pages). Its section is, in addition, one of:
 *   direct:   the region's slice mapped over it (MAP_SHARED). The stores reach the region
 *             with no call, and a killed process has lost nothing. Base view, attached, and
 *             the section was laid out by memcov-inline.ld.
 *   mirrored: memory of its own (the module's pages, or fresh private pages), ORed into the
 *             base, and into the own view if one is open, at every memcov call, at fork, at
 *             exit and when the module unloads. One store cannot feed two maps, so this is
 *             what own views use; so do detached processes and sections the runtime may not
 *             map over.
 * An own view must see edges hit again, so clearing it drains the section: each set flag is
 * exchanged with 0 and ORed into the base, which loses no store made meanwhile. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "bytes.h"
#include "runtime.h"

/* What memcov-inline.ld puts right after the flags. */
static const uint8_t s_marker[16] = {'m', 'e', 'm', 'c', 'o', 'v', '-', 'i',
                                     'n', 'l', 'i', 'n', 'e', '-', 'v', '1'};

struct segment_query {
    uintptr_t lo, hi; /* the range that must lie inside one PT_LOAD segment */
    bool found;
    bool writable;
    uintptr_t load_base;
};

static int find_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct segment_query *q = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (q->lo < lo || q->lo - lo >= ph->p_memsz)
            continue;
        q->found = true;
        q->writable = (ph->p_flags & PF_W) && q->hi - lo <= ph->p_memsz;
        q->load_base = info->dlpi_addr;
        return 1;
    }
    return 0;
}

static struct segment_query segment_of(uintptr_t lo, uintptr_t hi)
{
    struct segment_query q = {lo, hi, false, false, 0};
    dl_iterate_phdr(find_segment, &q);
    return q;
}

bool mcov_bools_mappable(uint8_t *start, uint8_t *stop, uintptr_t *load_base)
{
    struct segment_query q = segment_of((uintptr_t)start, (uintptr_t)stop);
    *load_base = q.load_base;
    if (!q.found || !q.writable || (uintptr_t)start % MCOV_EDGE_ALIGN)
        return false;
    /* The marker and the padding must be in the same segment before a byte of them is read:
     * without the script, the flags may end a few bytes before an unmapped page. */
    uintptr_t end = mcov_round_up((uintptr_t)stop + sizeof s_marker, MCOV_EDGE_ALIGN);
    q = segment_of((uintptr_t)start, end);
    return q.found && q.writable && q.load_base == *load_base &&
           memcmp(stop, s_marker, sizeof s_marker) == 0;
}

/* dlclose unmaps a module's section: stop reading the sections of unloaded objects. glibc
 * counts unloads (dlpi_subs), so a memcov call pays one short walk while nothing unloaded. */
static int read_subs(struct dl_phdr_info *info, size_t size, void *arg)
{
    unsigned long long *subs = arg;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        *subs = info->dlpi_subs;
    return 1;
}

static void forget_unloaded(void)
{
    unsigned long long subs = ULLONG_MAX;
    dl_iterate_phdr(read_subs, &subs);
    if (subs != ULLONG_MAX && subs == mcov_rt.dl_subs)
        return;
    mcov_rt.dl_subs = subs;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (!m->bools)
            continue;
        struct segment_query q =
            segment_of((uintptr_t)m->bools, (uintptr_t)m->bools + m->id.edge_count);
        if (!q.found || q.load_base != m->load_base) {
            m->bools = NULL;
            m->direct = false;
        }
    }
}

/* The first index from i on whose flag may be set: aligned words of clear flags are skipped.
 * The compiler's stores race these reads, so they are relaxed atomics. */
static uint64_t next_candidate(const uint8_t *p, uint64_t i, uint64_t n)
{
    while (n - i >= 8 && ((uintptr_t)(p + i) & 7u) == 0 &&
           __atomic_load_n((const mcov_word *)(p + i), __ATOMIC_RELAXED) == 0)
        i += 8;
    return i;
}

/* dst[i] = 1 where src[i] is set; src is written by the compiler's stores meanwhile. */
static void or_live(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = next_candidate(src, 0, n); i < n; i = next_candidate(src, i + 1, n))
        if (__atomic_load_n(&src[i], __ATOMIC_RELAXED) &&
            !__atomic_load_n(&dst[i], __ATOMIC_RELAXED))
            __atomic_store_n(&dst[i], 1, __ATOMIC_RELAXED);
}

static void sync_module(struct mcov_module *m)
{
    or_live(mcov_rt.window + m->local, m->bools, m->id.edge_count);
    if (mcov_rt.view == MCOV_VIEW_OWN)
        or_live(mcov_rt.own + m->local, m->bools, m->id.edge_count);
}

/* Empty the section into the base: a store racing the exchange either is seen by it or
 * lands after it, and is then synced later. */
static void drain(struct mcov_module *m)
{
    uint8_t *base = mcov_rt.window + m->local;
    uint8_t *p = m->bools;
    uint64_t n = m->id.edge_count;
    for (uint64_t i = next_candidate(p, 0, n); i < n; i = next_candidate(p, i + 1, n))
        if (__atomic_load_n(&p[i], __ATOMIC_RELAXED) &&
            __atomic_exchange_n(&p[i], 0, __ATOMIC_RELAXED) &&
            !__atomic_load_n(&base[i], __ATOMIC_RELAXED))
            __atomic_store_n(&base[i], 1, __ATOMIC_RELAXED);
}

void mcov_inline_sync(void)
{
    if (!mcov_rt.inline_count)
        return;
    forget_unloaded();
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (m->bools && !m->direct)
            sync_module(m);
    }
}

void mcov_inline_leave_region(struct mcov_module *m)
{
    if (!m->bools || !m->direct)
        return;
    /* Fresh pages, all clear: the base (the window slice) keeps the hits. */
    if (mmap(m->bools, m->span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
             -1, 0) != MAP_FAILED) {
        m->direct = false;
        return;
    }
    int e = errno;
    enum mcov_slice_state st = mcov_remap_recover(m->bools, m->span, NULL, 0);
    if (st == MCOV_SLICE_KEPT) {
        mcov_warn("cannot give the flags of module %s private pages (%s): they keep writing "
                  "into the region, and own views miss them; free memory or raise "
                  "vm.max_map_count",
                  m->id.path, strerror(e));
        return;
    }
    m->direct = false;
    if (st == MCOV_SLICE_LOST)
        mcov_warn("cannot map private pages over the flags of module %s (%s): free memory or "
                  "raise vm.max_map_count; its next edge faults",
                  m->id.path, strerror(e));
}

bool mcov_inline_make_direct(struct mcov_module *m)
{
    if (!m->bools || m->direct || !m->mappable || m->region_base < 0 || !mcov_rt.attached ||
        mcov_rt.view != MCOV_VIEW_BASE)
        return false;
    /* The section's hits go to the base first; a store between this and the remap lands in
     * pages about to be dropped (the remap instant of docs/semantics.md). */
    sync_module(m);
    /* The window slice maps the region's range (MAP_SHARED): a second mapping of the same
     * pages, made over the section, needs no descriptor and works for a removed region. */
    if (mremap(mcov_rt.window + m->local, 0, m->span, MREMAP_MAYMOVE | MREMAP_FIXED,
               m->bools) != MAP_FAILED) {
        m->direct = true;
        return true;
    }
    int e = errno;
    if (mcov_remap_recover(m->bools, m->span, NULL, 0) != MCOV_SLICE_LOST)
        mcov_warn("cannot map region '%s' over the flags of module %s (%s): memcov calls copy "
                  "them into the region instead; free memory or raise vm.max_map_count",
                  mcov_rt.region.name, m->id.path, strerror(e));
    else
        mcov_warn("cannot map region '%s' nor private pages over the flags of module %s (%s): "
                  "free memory or raise vm.max_map_count; its next edge faults",
                  mcov_rt.region.name, m->id.path, strerror(e));
    return false;
}

void mcov_inline_own_cleared(void)
{
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (!m->bools)
            continue;
        if (m->direct)
            mcov_inline_leave_region(m);
        else
            drain(m);
    }
}

void mcov_inline_drain_mirrored(void)
{
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (m->bools && !m->direct)
            drain(m);
    }
}

void mcov_inline_go_direct(void)
{
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        mcov_inline_make_direct(&mcov_rt.modules[i]);
}
