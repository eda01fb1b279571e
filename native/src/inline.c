/* No-call mode: modules compiled with -fsanitize-coverage=inline-8bit-counters (counters) or
 * inline-bool-flag (flags), where the compiler itself counts in, or stores into, the module's
 * section at each edge.
 *
 * As in callback mode, a module's window slice is its base (the region's slice, or private
 * pages). Its section is one of these, kept so by mcov_inline_place_sections:
 *   region:   flags on the base view: the region's slice (the window slice's pages, mapped again
 *             over the section): the compiler's stores are the region's, as callback mode's are.
 *   lane:     counters in every view, flags in an own view: the process's lane (lanes.c), which
 *             the module's own-window slice maps too, so a process killed anywhere has lost
 *             nothing. In an own view the lane is the own view; on the base view it holds
 *             counters not yet in the base. Folding (fold_words) puts the lane into the base: at
 *             memcov calls that read the base, clear or leave the own view, at exit, and by
 *             readers. A counter is a hit once it is non-zero, whatever its value.
 *   mirrored: memory of its own (the module's pages, or fresh private pages), ORed into the base,
 *             and into the own view if one is open, at every memcov call, at fork, at exit and
 *             when the module unloads: detached processes, sections not laid out by
 *             memcov-inline.ld, own views of processes that found no free lane.
 * Moving a section from the region or the lane loses nothing (both stay mapped elsewhere and are
 * folded after the move); moving it from its own memory loses the stores made between the last
 * copy and the move (the remap instant of docs/semantics.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bytes.h"
#include "runtime.h"

/* What memcov-inline.ld puts right after a section of flags or counters. */
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

bool mcov_section_mappable(uint8_t *start, uint8_t *stop, uintptr_t *load_base)
{
    struct segment_query q = segment_of((uintptr_t)start, (uintptr_t)stop);
    *load_base = q.load_base;
    if (!q.found || !q.writable || (uintptr_t)start % MCOV_EDGE_ALIGN)
        return false;
    /* The marker and the padding must be in the same segment before a byte of them is read:
     * without the script, the section may end a few bytes before an unmapped page. */
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
        if (!m->section)
            continue;
        struct segment_query q =
            segment_of((uintptr_t)m->section, (uintptr_t)m->section + m->id.edge_count);
        if (!q.found || q.load_base != m->load_base)
            m->section = NULL; /* its base and own-window slice keep what it held */
    }
}

/* The first index from i on whose byte may be set: aligned words of clear bytes are skipped.
 * The compiler's stores race these reads, so they are relaxed atomics. */
static uint64_t next_candidate(const uint8_t *p, uint64_t i, uint64_t n)
{
    while (n - i >= 8 && ((uintptr_t)(p + i) & 7u) == 0 &&
           __atomic_load_n((const mcov_word *)(p + i), __ATOMIC_RELAXED) == 0)
        i += 8;
    return i;
}

/* dst[i] gets what src[i] holds (a flag, or its class); src is written by the compiler's stores
 * meanwhile. */
static void or_live(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    bool cls = mcov_counts_classes();
    for (uint64_t i = next_candidate(src, 0, n); i < n; i = next_candidate(src, i + 1, n))
        mcov_put_bits(&dst[i], mcov_map_bits(__atomic_load_n(&src[i], __ATOMIC_RELAXED), cls), cls);
}

/* Empty p[0, n) into base[0, n), and into own (NULL: none), each byte as a flag or its count's
 * class: a store racing the exchange either is seen by it or lands after it, and is then folded
 * later. */
static void drain_into(uint8_t *base, uint8_t *own, uint8_t *p, uint64_t n)
{
    bool cls = mcov_counts_classes();
    for (uint64_t i = next_candidate(p, 0, n); i < n; i = next_candidate(p, i + 1, n)) {
        uint8_t v = __atomic_load_n(&p[i], __ATOMIC_RELAXED) ? __atomic_exchange_n(&p[i], 0, __ATOMIC_RELAXED) : 0;
        mcov_put_bits(&base[i], mcov_map_bits(v, cls), cls);
        if (own)
            mcov_put_bits(&own[i], mcov_map_bits(v, cls), cls);
    }
}

/* A mirrored section's hits into its base and open own view: flags ORed; in a hit-count region
 * counts drained, so that each memcov call ends them and the classes of partial counts never
 * stick. */
static void sync_mirrored(const struct mcov_module *m)
{
    uint8_t *own = mcov_rt.view == MCOV_VIEW_OWN ? mcov_rt.own + m->local : NULL;
    bool cls = mcov_counts_classes();
    uint8_t *base = mcov_rt.window + m->local;
    uint64_t n = m->id.edge_count;
    /* Pages of the section never touched hold nothing: a module that registered before it ran
     * (a worker's start-up) is synced without faulting its whole section in. */
    struct mcov_pages pages;
    mcov_pages_start(&pages, m->section, n);
    for (uint64_t i = 0, end; i < n; i = end) {
        bool resident;
        end = mcov_pages_run(&pages, i, &resident);
        if (!resident)
            continue;
        if (cls) {
            drain_into(base + i, own ? own + i : NULL, m->section + i, end - i);
            continue;
        }
        or_live(base + i, m->section + i, end - i);
        if (own)
            or_live(own + i, m->section + i, end - i);
    }
}

static bool mirrored(const struct mcov_module *m)
{
    return m->section && m->place == MCOV_SECTION_OWN_MEMORY;
}

/* OR into base[0, n) what lane[0, n) holds beyond mask (NULL: all of it): the bytes that differ
 * from their mask, the lane as a reset found it (docs/region-format.md, "Lanes"). Word by word; with
 * zero, each word is also exchanged with 0, its bits ORed in before and after, so a store racing
 * the exchange is either folded now or left in the lane, and a reader of lane and base sees the
 * word in one or the other. */
static void fold_words(uint8_t *base, uint8_t *lane, const uint8_t *mask, uint64_t n, bool zero)
{
    bool cls = mcov_counts_classes();
    /* Every mcov_reset pays for the whole module here: blocks of zero are skipped 64 bytes at a
     * time. */
    for (uint64_t i = mcov_next_set_block(lane, 0, n); i < n;
         i = i % 64 == 56 ? mcov_next_set_block(lane, i + 8, n) : i + 8) {
        mcov_word *w = (mcov_word *)(lane + i);
        uint64_t v = __atomic_load_n(w, __ATOMIC_RELAXED);
        if (!v)
            continue;
        /* Clearing in a hit-count region takes the class of the count the exchange ends, once. */
        for (int pass = cls && zero ? 1 : 0; pass < (zero ? 2 : 1); pass++) {
            if (pass)
                v = __atomic_exchange_n(w, 0, __ATOMIC_RELAXED);
            for (uint64_t j = 0; j < 8 && i + j < n; j++) {
                uint8_t b = (uint8_t)(v >> (8 * j));
                mcov_put_bits(&base[i + j], mcov_lane_bits(b, mask ? mask[i + j] : 0, cls), cls);
            }
        }
    }
}

static void clear_words(uint8_t *lane, uint64_t n)
{
    for (uint64_t i = 0; i < n; i += 8) {
        mcov_word *w = (mcov_word *)(lane + i);
        if (__atomic_load_n(w, __ATOMIC_RELAXED))
            __atomic_store_n(w, 0, __ATOMIC_RELAXED);
    }
}

/* Fold module m's part of the lane into its base; with zero, clear it too. part says what of it
 * counts since the region's last reset (a reset elsewhere masks what the lane held then). False,
 * and the lane left as it is, when its mask cannot be read now: a later fold, or a reader once
 * this process is gone, folds it beyond the mask, so nothing it holds is lost. */
static bool fold_module(const struct mcov_module *m, enum mcov_lane_part part, bool zero)
{
    const struct mcov_region *r = &mcov_rt.region;
    uint64_t n = m->id.edge_count;
    uint8_t *lane = mcov_rt.own + m->local;
    uint8_t *mask = NULL;
    if (part == MCOV_LANE_BEYOND_MASK &&
        (!(mask = malloc(n)) ||
         !mcov_lane_read_mask(r, (uint32_t)mcov_rt.lane, (uint64_t)m->region_base, mask, n))) {
        free(mask);
        return false;
    }
    if (part != MCOV_LANE_NONE)
        fold_words(mcov_rt.window + m->local, lane, mask, n, zero);
    else if (zero) /* a reset found no room for its mask: none of it counts */
        clear_words(lane, n);
    free(mask);
    return true;
}

/* Fold and clear, through the file (io: a claim's, or -1), what the lane holds below limit
 * outside the modules in it: what a dead owner left there (each module folded its own range
 * through its mapping). False if part of it could not be. */
static bool fold_outside_modules(uint64_t limit, int io)
{
    bool whole = true;
    for (uint64_t at = 0; at < limit;) {
        uint64_t next = limit;
        bool covered = false;
        for (uint32_t i = 0; i < mcov_rt.module_count && !covered; i++) {
            const struct mcov_module *m = &mcov_rt.modules[i];
            uint64_t base = (uint64_t)m->region_base;
            if (!m->in_lane)
                continue;
            if (base <= at && at < base + m->span) {
                at = base + m->span;
                covered = true;
            } else if (base > at && base < next) {
                next = base;
            }
        }
        if (covered)
            continue;
        whole &= mcov_lane_fold_range(&mcov_rt.region, mcov_rt.lane, io, at, next);
        at = next;
    }
    return whole;
}

/* Fold this process's lane into the base of each module in it; with zero, clear it too and count
 * all of it from the region's current epoch on. False if a module's part could not be folded:
 * the lane keeps it. */
static bool lane_fold(bool zero)
{
    if (mcov_rt.lane < 0 || !mcov_rt.attached)
        return true;
    /* What a dead owner left outside the modules first: a new epoch adopted before that would
     * make what a reset masked of it count again. */
    bool whole = true;
    if (mcov_rt.lane_leftover && (whole = fold_outside_modules(mcov_rt.lane_leftover, -1)))
        mcov_rt.lane_leftover = 0;
    const struct mcov_region *r = &mcov_rt.region;
    uint64_t epoch = mcov_region_epoch(r);
    enum mcov_lane_part part = mcov_lane_part(r, (uint32_t)mcov_rt.lane, epoch);
    if (part == MCOV_LANE_NONE && !zero)
        return whole;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        if (mcov_rt.modules[i].in_lane)
            whole &= fold_module(&mcov_rt.modules[i], part, zero);
    if (!zero || !whole) /* a later fold does the rest, beyond the same mask */
        return whole;
    /* A reset in another process while this fold ran masked the lane as it was before it was
     * cleared: stamping the epoch read before that reset would leave its mask hiding every later
     * first hit of those edges. What the lane holds now was hit during or after that reset, and
     * may count (docs/semantics.md, "reset is not atomic"). */
    for (;;) {
        mcov_lane_adopt_epoch(r, mcov_rt.lane, epoch);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        uint64_t now = mcov_region_epoch(r);
        if (now == epoch)
            break;
        epoch = now;
    }
    return true;
}

void mcov_inline_sync(void)
{
    if (!mcov_rt.inline_count)
        return;
    forget_unloaded();
    /* The base view's lane is empty, and after a reset elsewhere it starts from the new epoch;
     * an own view keeps its lane, which counts beyond the reset's mask until it is cleared. */
    if (mcov_rt.lane >= 0 && mcov_rt.attached && mcov_rt.view == MCOV_VIEW_BASE &&
        mcov_lane_part(&mcov_rt.region, (uint32_t)mcov_rt.lane,
                       mcov_region_epoch(&mcov_rt.region)) != MCOV_LANE_ALL)
        lane_fold(true);
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        if (mirrored(&mcov_rt.modules[i]))
            sync_mirrored(&mcov_rt.modules[i]);
}

void mcov_inline_fold_lane(bool at_exit)
{
    /* In a hit-count region the counts are partial until the process clears its view or ends:
     * a read before then would make the classes of partial counts stick. */
    if (mcov_counts_classes() && !at_exit)
        return;
    /* A flag region's lane is left at exit, as after _exit: the next process taking a lane, or a
     * reader, folds it once this process is gone, and a fold here would be done again then. */
    if (at_exit && !mcov_counts_classes())
        return;
    /* At exit a count ends: cleared with its fold, so that nothing counted by destructors and
     * threads after it is classed twice. */
    lane_fold(mcov_counts_classes());
}

/* --- where each section is --- */

/* After a failed MAP_FIXED or mremap over a section: the old pages if they are still there, else
 * private ones. Returns whether the section still maps what it did. */
static bool recover_section(struct mcov_module *m, const char *to, int e)
{
    enum mcov_slice_state st = mcov_remap_recover(m->section, m->span, NULL, 0);
    if (st == MCOV_SLICE_KEPT) {
        mcov_warn("cannot map %s over the flags of module %s (%s): %s; free memory or raise "
                  "vm.max_map_count",
                  to, m->id.path, strerror(e),
                  m->place == MCOV_SECTION_OWN_MEMORY ? "memcov calls copy them instead"
                                                      : "they stay where they were");
        return true;
    }
    if (st == MCOV_SLICE_LOST)
        mcov_warn("cannot map %s nor private pages over the flags of module %s (%s): free memory "
                  "or raise vm.max_map_count; its next edge faults",
                  to, m->id.path, strerror(e));
    m->place = MCOV_SECTION_OWN_MEMORY;
    return false;
}

/* Map the pages at from (a window slice, the region's or the lane's: MAP_SHARED) over the section
 * too: a second mapping of the same pages needs no descriptor. */
static bool section_onto(struct mcov_module *m, uint8_t *from, enum mcov_section_place place,
                         const char *what)
{
    if (mremap(from, 0, m->span, MREMAP_MAYMOVE | MREMAP_FIXED, m->section) != MAP_FAILED) {
        m->place = place;
        return true;
    }
    int e = errno;
    recover_section(m, what, e);
    return false;
}

static bool section_to_own_memory(struct mcov_module *m)
{
    if (mmap(m->section, m->span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
             -1, 0) != MAP_FAILED) {
        m->place = MCOV_SECTION_OWN_MEMORY;
        return true;
    }
    int e = errno;
    return !recover_section(m, "private pages", e);
}

/* Where m's section belongs now. */
static enum mcov_section_place wanted_place(const struct mcov_module *m)
{
    if (!m->mappable || m->region_base < 0 || !mcov_rt.attached)
        return MCOV_SECTION_OWN_MEMORY;
    /* Counters never go on the region: its bytes are flags, whatever a counter holds. */
    if (mcov_rt.view == MCOV_VIEW_BASE && !m->counters)
        return MCOV_SECTION_REGION;
    return m->in_lane ? MCOV_SECTION_LANE : MCOV_SECTION_OWN_MEMORY;
}

static void place_section(struct mcov_module *m)
{
    enum mcov_section_place want = wanted_place(m);
    if (!m->section || m->place == want)
        return;
    enum mcov_section_place was = m->place;
    if (was == MCOV_SECTION_OWN_MEMORY) /* its hits go to the base and the own view first */
        sync_mirrored(m);
    bool moved = want == MCOV_SECTION_REGION
                     ? section_onto(m, mcov_rt.window + m->local, want, "the region")
                 : want == MCOV_SECTION_LANE
                     ? section_onto(m, mcov_rt.own + m->local, want, "the lane")
                     : section_to_own_memory(m);
    /* The lane stays mapped at the own-window slice: what it held goes to the base now. */
    if (moved && was == MCOV_SECTION_LANE)
        fold_module(m, mcov_lane_part(&mcov_rt.region, (uint32_t)mcov_rt.lane,
                                      mcov_region_epoch(&mcov_rt.region)),
                    true);
}

/* One stderr line for a process that took no lane (got: what the take returned): why, and what
 * that means for its no-call modules. An unreachable lane's reason is the last error, repeated
 * here: its own line is printed once per process, maybe before this one's fork. */
static void warn_no_lane(const struct mcov_region *r, int32_t got, const char *who)
{
    char why[512];
    if (!r->lanes.base)
        snprintf(why, sizeof why, "the region has no lanes file");
    else if (r->fd_pid != getpid())
        snprintf(why, sizeof why, "it holds the region through its parent's descriptor (a "
                                  "fork child that could not open the region again)");
    else if (!mcov_region_fd_own(r, r->fd))
        snprintf(why, sizeof why, "the host closed the descriptor it holds the region through, or "
                                  "put another file at its number");
    else if (got == MCOV_LANE_UNREACHABLE)
        snprintf(why, sizeof why, "%s", mcov_last_error());
    else
        snprintf(why, sizeof why, "none is free (%u processes record into it at once)",
                 r->lanes.count);
    mcov_warn("no lane of region '%s' for this %s: %s; its no-call counters, and its no-call flags "
              "in own views, are private memory, which memcov calls and its exit put into the "
              "region; a crash loses what they recorded since",
              r->name, who, why);
}

static enum mcov_lane_refusal refusal_of(const struct mcov_region *r)
{
    return mcov_region_fd_own(r, r->fd) ? MCOV_LANE_REFUSED_REGION : MCOV_LANE_REFUSED_DESCRIPTOR;
}

/* The lane a joined process records its own views into: taken when the first one opens, under
 * claim's lock, which the caller ends once it folded what a dead owner left in it. */
static bool have_lane(struct mcov_lane_claim *claim)
{
    if (mcov_rt.lane >= 0)
        return true;
    if (mcov_rt.lane_refusal != MCOV_LANE_ASK)
        return false;
    const struct mcov_region *r = &mcov_rt.region;
    /* Still its parent's descriptor (fd_pid 0: a fork child that needed no lane at the fork; one
     * that could not open the region again was refused there): its first no-call module. */
    if (r->fd_pid == 0)
        (void)mcov_region_own_descriptor();
    mcov_lane_claim(r, r->fd, claim);
    mcov_rt.lane = claim->lane;
    mcov_rt.lane_leftover = 0;
    if (mcov_rt.lane < 0) {
        mcov_lane_claim_end(r, claim);
        mcov_rt.lane_refusal = refusal_of(r);
        warn_no_lane(r, mcov_rt.lane, "process");
        return false;
    }
    return true;
}

/* Whether a module in the lane has the range at base. */
static bool range_in_lane(int64_t base)
{
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        if (mcov_rt.modules[i].in_lane && mcov_rt.modules[i].region_base == base)
            return true;
    return false;
}

/* How many bytes of m's range of the lane lie below limit. */
static uint64_t part_below(const struct mcov_module *m, uint64_t limit)
{
    uint64_t base = (uint64_t)m->region_base;
    return limit <= base ? 0 : limit - base < m->span ? limit - base : m->span;
}

/* The module's own-window slice moves into the lane, holding held (n bytes, or NULL: empty).
 * Within a claim (NULL: none), what a dead owner left in the lane there is folded and cleared
 * first. */
static bool own_view_into_lane(struct mcov_module *m, const uint8_t *held,
                               const struct mcov_lane_claim *claim)
{
    const struct mcov_region *r = &mcov_rt.region;
    uint8_t *own = mcov_rt.own + m->local;
    uint64_t n = m->id.edge_count;
    int io = claim ? claim->io : -1;
    uint64_t base = (uint64_t)m->region_base;
    /* Once per range: a second copy of a module (same identity, same range) finds the first's
     * section recording there already. */
    bool first = !range_in_lane(m->region_base);
    uint64_t leftover = first ? part_below(m, mcov_rt.lane_leftover) : 0;
    uint64_t inherited = first && claim ? part_below(m, claim->inherited) : 0;
    /* A dead owner's bytes an earlier pass could not fold: through the file first, as far as
     * what of them counts goes (a reset may have masked them since), and never into the view. */
    if (leftover && !mcov_lane_fold_range(r, mcov_rt.lane, io, base, base + leftover)) {
        mcov_warn("cannot fold what a dead process left in module %s's part of its lane in "
                  "region '%s': its own views are private memory",
                  m->id.path, r->name);
        return false;
    }
    int err = mcov_lane_reserve(r, mcov_rt.lane, base, base + m->span, io);
    if (err) {
        mcov_warn("cannot reserve module %s's part of its lane in region '%s' (%s): its own views "
                  "are private memory; free space in MEMCOV_SHM_DIR",
                  m->id.path, r->name, strerror(err));
        return false;
    }
    if (!mcov_lane_map(r, mcov_rt.lane, base, m->span, own, io)) {
        int e = errno;
        if (mcov_remap_recover(own, m->span, held, held ? n : 0) == MCOV_SLICE_LOST)
            mcov_warn("cannot map the lane nor private pages over the own view of module %s (%s)",
                      m->id.path, strerror(e));
        return false;
    }
    if (inherited)
        mcov_lane_fold_mapped(r, mcov_rt.window + m->local, own, inherited);
    /* The lane's part is clear (freshly reserved, or cleared when the module left it): it takes
     * the values held, so that a mask copied with them still matches them. */
    for (uint64_t i = 0; held && i < n; i++)
        if (held[i])
            __atomic_store_n(&own[i], held[i], __ATOMIC_RELAXED);
    m->in_lane = true;
    return true;
}

/* The module's own-window slice gets private pages holding held (NULL: clear). */
static void own_view_out_of_lane(struct mcov_module *m, const uint8_t *held)
{
    uint8_t *own = mcov_rt.own + m->local;
    uint64_t n = m->id.edge_count;
    if (!mcov_window_map_private(mcov_rt.own, m->local, m->span))
        mcov_remap_recover(own, m->span, held, held ? n : 0);
    else if (held)
        mcov_or_into(own, held, n);
    m->in_lane = false;
}

/* A copy of the module's own view (NULL on the base view, or out of memory). */
static uint8_t *copy_own_view(const struct mcov_module *m)
{
    uint8_t *held = NULL;
    if (mcov_rt.view == MCOV_VIEW_OWN && (held = malloc(m->id.edge_count)))
        memcpy(held, mcov_rt.own + m->local, m->id.edge_count);
    return held;
}

/* Callback modules count in a hit-count region when all of them are in the lane: a module's hits
 * outside it would count into private pages that nothing folds. */
static void update_counting(void)
{
    bool on = mcov_counts_classes() && mcov_rt.lane >= 0;
    for (uint32_t i = 0; on && i < mcov_rt.module_count; i++)
        on = mcov_rt.modules[i].id.mode != MCOV_MODE_CALLBACK || mcov_rt.modules[i].in_lane;
    mcov_set_counting(on);
}

/* Whether m's own-window slice belongs in the lane: counters always, flags in an own view, and a
 * callback module's counts in a hit-count region. */
static bool wants_lane(const struct mcov_module *m)
{
    if (m->section)
        return (mcov_rt.view == MCOV_VIEW_OWN || m->counters) && m->mappable;
    return m->id.mode == MCOV_MODE_CALLBACK && mcov_counts_classes();
}

void mcov_inline_place_sections(bool own_view_empty)
{
    if (!mcov_rt.inline_count && !mcov_counts_classes())
        return;
    struct mcov_lane_claim claim = {.lane = MCOV_LANE_UNREACHABLE, .lock = -1, .io = -1};
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (wants_lane(m) && !m->in_lane && m->region_base >= 0 && mcov_rt.attached &&
            have_lane(&claim)) {
            uint8_t *held = own_view_empty ? NULL : copy_own_view(m);
            own_view_into_lane(m, held, &claim);
            free(held);
        }
        place_section(m);
    }
    if (claim.inherited && !fold_outside_modules(claim.inherited, claim.io))
        mcov_rt.lane_leftover = claim.inherited;
    mcov_lane_claim_end(&mcov_rt.region, &claim);
    update_counting();
}

void mcov_inline_leave_lanes(void)
{
    /* Callback modules stop counting into the lane, and sections move first: from now on their
     * stores reach their own pages (the process is no longer attached); then the base gets what
     * the lane holds, and the own view keeps it in private pages. */
    mcov_set_counting(false);
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (m->section && m->place != MCOV_SECTION_OWN_MEMORY)
            section_to_own_memory(m);
    }
    mcov_rt.lane_refusal = MCOV_LANE_ASK; /* the next attachment asks again */
    if (mcov_rt.lane < 0)
        return;
    /* Not folded whole: the lane stays taken, for readers to fold once this process is gone. */
    bool held_back = !lane_fold(false);
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        held_back |= m->section && m->place == MCOV_SECTION_LANE;
        if (!m->in_lane)
            continue;
        uint8_t *held = copy_own_view(m);
        own_view_out_of_lane(m, held);
        free(held);
    }
    /* A section that could not leave keeps writing into the lane: it stays taken, too. */
    if (!held_back)
        mcov_lane_release(&mcov_rt.region, mcov_rt.region.fd, mcov_rt.lane);
    mcov_rt.lane = -1;
    update_counting();
}

void mcov_inline_after_fork(bool own_fd)
{
    /* A lock on the parent's descriptor would be the parent's too. With one of its own, the child
     * asks again where the parent's descriptor was the reason; where the region's lanes were (a
     * stuck lock among them), it does not wait again for what its parent gave up on. */
    if (!own_fd)
        mcov_rt.lane_refusal = MCOV_LANE_REFUSED_DESCRIPTOR;
    else if (mcov_rt.lane_refusal == MCOV_LANE_REFUSED_DESCRIPTOR)
        mcov_rt.lane_refusal = MCOV_LANE_ASK;
    if (mcov_rt.lane < 0)
        return;
    /* The parent's lane is mapped here, shared, and the child must never write into it. An own
     * view moves to a lane of the child's, a copy of the parent's (docs/semantics.md); the base
     * view keeps private pages until it opens one. */
    const struct mcov_region *r = &mcov_rt.region;
    bool own_view = mcov_rt.view == MCOV_VIEW_OWN;
    bool counters = false;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        counters |= mcov_rt.modules[i].in_lane &&
                    (mcov_rt.modules[i].counters || mcov_rt.modules[i].id.mode == MCOV_MODE_CALLBACK);
    int32_t parent = mcov_rt.lane;
    /* Under the shared lock, so no reset masks the parent's lane between the child's copy of
     * its state and of its mask. */
    bool wants = own_view || counters;
    int lock = wants && own_fd ? mcov_lanes_lock(r, false) : -1;
    mcov_rt.lane = lock >= 0 ? mcov_lane_take_locked(r, r->fd) : MCOV_LANE_UNREACHABLE;
    mcov_rt.lane_leftover = 0; /* the parent's lane's, not the child's */
    if (mcov_rt.lane >= 0 && own_view) {
        /* The copy of the parent's own view counts for the union as the parent's lane does:
         * after a reset elsewhere, only beyond the parent's mask. On the base view the child's
         * lane starts clear, and all of it counts. */
        uint64_t epoch = mcov_region_epoch(r);
        enum mcov_lane_part part = mcov_lane_part(r, (uint32_t)parent, epoch);
        if (part != MCOV_LANE_ALL) {
            mcov_lane_set_epochs(r, mcov_rt.lane, epoch - 1, part == MCOV_LANE_BEYOND_MASK ? epoch : 0);
            for (uint32_t i = 0; part == MCOV_LANE_BEYOND_MASK && i < mcov_rt.module_count; i++)
                if (mcov_rt.modules[i].in_lane)
                    mcov_lane_inherit_mask(r, mcov_rt.lane, parent,
                                           (uint64_t)mcov_rt.modules[i].region_base,
                                           mcov_rt.modules[i].id.edge_count);
        }
    }
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (!m->in_lane)
            continue;
        uint8_t *held = copy_own_view(m);
        if (m->section && m->place == MCOV_SECTION_LANE)
            section_to_own_memory(m); /* the own view is in held: the section starts clear */
        m->in_lane = false;
        if (mcov_rt.lane < 0 || !own_view_into_lane(m, held, NULL))
            own_view_out_of_lane(m, held);
        free(held);
        place_section(m);
    }
    if (lock >= 0)
        mcov_lanes_unlock(lock);
    update_counting();
    if (wants && mcov_rt.lane < 0) {
        mcov_rt.lane_refusal = refusal_of(r);
        warn_no_lane(r, mcov_rt.lane, "fork child");
    }
}

void mcov_inline_mask_restored(const uint8_t *saved, uint64_t len)
{
    if (mcov_rt.lane < 0 || !mcov_rt.attached)
        return;
    const struct mcov_region *r = &mcov_rt.region;
    int lock = mcov_lanes_lock(r, false);
    if (lock < 0)
        return;
    if (mcov_lane_part(r, (uint32_t)mcov_rt.lane, mcov_region_epoch(r)) == MCOV_LANE_BEYOND_MASK)
        for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
            const struct mcov_module *m = &mcov_rt.modules[i];
            if (!m->in_lane || m->local + m->id.edge_count > len)
                continue;
            /* The pop stores 1 where the lane holds nothing: there the mask is 1 too. Where the
             * lane holds a byte already, the pop leaves it, and so does the mask. */
            uint64_t n = m->id.edge_count;
            uint8_t *restored = malloc(n);
            const uint8_t *lane = mcov_rt.own + m->local;
            for (uint64_t j = 0; restored && j < n; j++)
                restored[j] = saved[m->local + j] && !__atomic_load_n(&lane[j], __ATOMIC_RELAXED);
            bool masked = restored && mcov_lane_mask_or(r, mcov_rt.lane, (uint64_t)m->region_base,
                                                        restored, n);
            free(restored);
            if (!masked)
                mcov_warn("no room for the mask of module %s in region '%s''s lane: edges a reset "
                          "cleared may come back with the own view a pop restores",
                          m->id.path, r->name);
        }
    mcov_lanes_unlock(lock);
}

void mcov_inline_own_cleared(void)
{
    lane_fold(true);
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (mirrored(m))
            drain_into(mcov_rt.window + m->local, NULL, m->section, m->id.edge_count);
    }
}

void mcov_inline_drain_mirrored(void)
{
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (mirrored(m))
            drain_into(mcov_rt.window + m->local, NULL, m->section, m->id.edge_count);
    }
}
