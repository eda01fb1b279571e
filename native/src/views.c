/* Views: what a process's memcov calls see. The base view is the region's union (or the
 * private map when detached); reset and push open own views. Hits reach the base, and every
 * byte of an own view is in the base too (but see docs/semantics.md on a region reset). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "runtime.h"

/* Give a counts lane what bytes of classes stand for: a lane byte still clear takes the least
 * count of the highest class, so that its fold gives that class back. */
static void load_counts(uint8_t *lane, const uint8_t *classes, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (classes[i] && !__atomic_load_n(&lane[i], __ATOMIC_RELAXED))
            __atomic_store_n(&lane[i], mcov_count_of_class(classes[i]), __ATOMIC_RELAXED);
}

void mcov_view_or_module(const struct mcov_module *m, uint64_t at, const uint8_t *src, uint64_t n)
{
    bool cls = mcov_counts_classes();
    (cls ? mcov_or_classes : mcov_or_into)(mcov_rt.window + m->local + at, src, n);
    if (mcov_rt.view != MCOV_VIEW_OWN)
        return;
    uint8_t *own = mcov_rt.own + m->local + at;
    if (cls && m->in_lane)
        load_counts(own, src, n);
    else
        (cls ? mcov_or_classes : mcov_or_into)(own, src, n);
}

/* Clear the own view where it is private memory; lanes were drained already. Before the first own
 * view nothing wrote there: its pages are not even faulted in. */
static void clear_own(void)
{
    if (!mcov_rt.own_written)
        return;
    memset(mcov_rt.own, 0, MCOV_SINK_BYTES);
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        if (!m->in_lane)
            memset(mcov_rt.own + m->local, 0, m->span);
    }
}

static bool enter_own_view(void)
{
    if (!mcov_own_window_ready())
        return false;
    /* The lane and mirrored sections into the base first: the lane is the own view, and its
     * bytes may not be in the base yet. */
    mcov_inline_own_cleared();
    clear_own();
    mcov_rt.own_written = true;
    if (mcov_rt.view != MCOV_VIEW_OWN) {
        mcov_rt.view = MCOV_VIEW_OWN;
        mcov_set_own_pointer(mcov_rt.own);
        mcov_inline_place_sections(true); /* no-call sections record into the lane from now on */
    }
    return true;
}

void mcov_reset(void)
{
    mcov_clear_error();
    mcov_lock_and_sync();
    if (mcov_windows_ready() && !enter_own_view())
        mcov_fail(MCOV_E_SYSTEM, "cannot map pages for an own view (%s): mcov_reset opened none",
                  strerror(errno));
    mcov_unlock();
}

void mcov_push_coverage(void)
{
    mcov_clear_error();
    mcov_lock_and_sync();
    if (!mcov_windows_ready()) {
        mcov_unlock();
        return;
    }
    if (!mcov_own_window_ready()) {
        int e = errno;
        mcov_unlock();
        mcov_fail(MCOV_E_SYSTEM, "cannot map pages for an own view (%s): nothing pushed",
                  strerror(e));
        return;
    }
    if (mcov_rt.stack_len == mcov_rt.stack_cap) {
        size_t cap = mcov_rt.stack_cap ? mcov_rt.stack_cap * 2 : 8;
        struct mcov_saved_view *p = realloc(mcov_rt.stack, cap * sizeof *p);
        if (!p) {
            mcov_unlock();
            mcov_fail(MCOV_E_SYSTEM, "out of memory in mcov_push_coverage: nothing pushed");
            return;
        }
        mcov_rt.stack = p;
        mcov_rt.stack_cap = cap;
    }
    struct mcov_saved_view saved = {mcov_rt.view, NULL, 0};
    if (mcov_rt.view == MCOV_VIEW_OWN) {
        saved.bytes = malloc(mcov_rt.used);
        if (!saved.bytes) {
            mcov_unlock();
            mcov_fail(MCOV_E_SYSTEM, "out of memory in mcov_push_coverage: nothing pushed");
            return;
        }
        saved.len = mcov_rt.used;
        memcpy(saved.bytes, mcov_rt.own, saved.len);
    }
    mcov_rt.stack[mcov_rt.stack_len++] = saved;
    (void)enter_own_view(); /* the own window is ready */
    mcov_unlock();
}

/* A pop back into a saved own view of a hit-count region: counts add (saturating at 255) in the
 * lanes, classes OR elsewhere. */
static void restore_counts(const struct mcov_saved_view *saved)
{
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        if (m->local >= saved->len)
            continue;
        uint64_t n = saved->len - m->local < m->id.edge_count ? saved->len - m->local : m->id.edge_count;
        uint8_t *own = mcov_rt.own + m->local;
        const uint8_t *was = saved->bytes + m->local;
        for (uint64_t j = 0; j < n; j++) {
            if (!was[j])
                continue;
            if (!m->in_lane) {
                mcov_or_bits(&own[j], was[j]);
                continue;
            }
            unsigned sum = __atomic_load_n(&own[j], __ATOMIC_RELAXED) + (unsigned)was[j];
            __atomic_store_n(&own[j], (uint8_t)(sum > 255 ? 255 : sum), __ATOMIC_RELAXED);
        }
    }
}

void mcov_pop_coverage(void)
{
    mcov_clear_error();
    mcov_lock_and_sync();
    if (mcov_rt.stack_len == 0) {
        mcov_unlock();
        mcov_fail(MCOV_E_INVALID_ARG, "mcov_pop_coverage without a matching push: ignored");
        return;
    }
    struct mcov_saved_view saved = mcov_rt.stack[--mcov_rt.stack_len];
    if (saved.kind == MCOV_VIEW_BASE) {
        /* The scope's hits are in the base view already, or in the lane, which is folded as the
         * sections go back to the region. */
        mcov_rt.view = MCOV_VIEW_BASE;
        mcov_set_own_pointer(NULL);
        mcov_inline_place_sections(false);
    } else {
        mcov_inline_mask_restored(saved.bytes, saved.len);
        if (mcov_counts_classes())
            restore_counts(&saved);
        else
            mcov_or_into(mcov_rt.own, saved.bytes, saved.len);
        free(saved.bytes);
    }
    mcov_unlock();
}

uint64_t mcov_count_view_locked(void)
{
    uint64_t n = 0;
    bool own = mcov_rt.view == MCOV_VIEW_OWN;
    if (!own && mcov_rt.attached) {
        mcov_fold_lanes_for_union();
        uint64_t cursor = mcov_region_cursor(&mcov_rt.region);
        mcov_region_fault_ahead(&mcov_rt.region, cursor);
        n += mcov_count_set(mcov_rt.region.map, cursor);
    }
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        if (own)
            n += mcov_count_set(mcov_rt.own + m->local, m->id.edge_count);
        else if (m->region_base < 0)
            n += mcov_count_set(mcov_rt.window + m->local, m->id.edge_count);
    }
    return n;
}

uint64_t mcov_get_now64(void)
{
    mcov_lock_and_sync();
    uint64_t n = mcov_count_view_locked();
    mcov_unlock();
    return n;
}

uint32_t mcov_get_now(void)
{
    uint64_t n = mcov_get_now64();
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* The hitmap size, at most limit; later copy/set_hitmap calls stay within what it returns. */
static uint64_t get_total(uint64_t limit)
{
    mcov_lock_and_sync();
    struct mcov_layout l = mcov_layout_now();
    if (l.total > limit)
        l.total = limit;
    if (l.cursor > l.total)
        l.cursor = l.total;
    mcov_rt.layout_asked = true;
    mcov_rt.layout_cursor = l.cursor;
    mcov_rt.layout_total = l.total;
    mcov_unlock();
    return l.total;
}

uint64_t mcov_get_total64(void)
{
    return get_total(UINT64_MAX);
}

uint32_t mcov_get_total(void)
{
    return (uint32_t)get_total(UINT32_MAX);
}

void mcov_set_now(uint32_t now)
{
    (void)now;
}

/* Write the current view into buf in layout l: flags, or in a hit-count region classes (those of
 * the region, and of the own view's counts). */
static void copy_view(uint8_t *buf, const struct mcov_layout *l)
{
    memset(buf, 0, l->total);
    bool own = mcov_rt.view == MCOV_VIEW_OWN, cls = mcov_counts_classes();
    if (!own && mcov_rt.attached) {
        mcov_fold_lanes_for_union();
        uint64_t n = l->cursor < mcov_rt.region.capacity ? l->cursor : mcov_rt.region.capacity;
        (cls ? mcov_copy_bytes : mcov_copy_hits)(buf, mcov_rt.region.map, n);
    }
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        if (!own && m->region_base >= 0)
            continue; /* copied with the region */
        uint64_t pos = mcov_layout_position(l, i);
        if (pos == UINT64_MAX)
            continue;
        uint64_t n = m->id.edge_count < l->total - pos ? m->id.edge_count : l->total - pos;
        /* A hit-count region's views hold classes, but a lane holds counts. */
        void (*copy)(uint8_t *, const uint8_t *, uint64_t) =
            !cls ? mcov_copy_hits : own && m->in_lane ? mcov_copy_classes : mcov_copy_bytes;
        copy(buf + pos, (own ? mcov_rt.own : mcov_rt.window) + m->local, n);
    }
}

uint64_t mcov_copy_hitmap_n(uint8_t *buf, uint64_t len)
{
    mcov_clear_error();
    if (!buf)
        return 0;
    mcov_lock_and_sync();
    struct mcov_layout l = mcov_layout_now();
    uint8_t *tmp = l.total > len ? malloc(l.total) : NULL;
    uint64_t n = 0;
    if (l.total <= len) {
        copy_view(buf, &l);
        n = l.total;
    } else if (tmp) {
        copy_view(tmp, &l);
        memcpy(buf, tmp, len);
        n = len;
    } else {
        mcov_fail(MCOV_E_SYSTEM, "out of memory in mcov_copy_hitmap_n: nothing copied");
    }
    mcov_unlock();
    free(tmp);
    return n;
}

void mcov_copy_hitmap(char *buf)
{
    mcov_clear_error();
    if (!buf)
        return;
    mcov_lock_and_sync();
    struct mcov_layout l = mcov_layout_for_caller();
    copy_view((uint8_t *)buf, &l);
    mcov_unlock();
}

void mcov_set_hitmap(char *buf)
{
    mcov_clear_error();
    if (!buf)
        return;
    const uint8_t *src = (const uint8_t *)buf;
    mcov_lock_and_sync();
    struct mcov_layout l = mcov_layout_for_caller();
    bool own = mcov_rt.view == MCOV_VIEW_OWN;
    if (own) /* what the lanes and sections hold goes to the base before the own view changes */
        mcov_inline_own_cleared();
    if (mcov_rt.attached) {
        uint64_t n = l.cursor < mcov_rt.region.capacity ? l.cursor : mcov_rt.region.capacity;
        (mcov_counts_classes() ? mcov_or_classes : mcov_or_into)(mcov_rt.region.map, src, n);
    }
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        uint64_t pos = mcov_layout_position(&l, i);
        uint64_t n = 0;
        if (pos != UINT64_MAX)
            n = m->id.edge_count < l.total - pos ? m->id.edge_count : l.total - pos;
        if (m->region_base < 0 && n)
            (mcov_counts_classes() ? mcov_or_classes : mcov_or_into)(mcov_rt.window + m->local, src + pos, n);
        if (own) {
            /* An own view is the process's alone: it becomes what was given (in a hit-count
             * region: classes, or in a lane the counts they stand for). */
            memset(mcov_rt.own + m->local, 0, m->id.edge_count);
            if (n && mcov_counts_classes())
                (m->in_lane ? load_counts : mcov_copy_bytes)(mcov_rt.own + m->local, src + pos, n);
            else if (n)
                mcov_copy_hits(mcov_rt.own + m->local, src + pos, n);
        }
    }
    mcov_unlock();
}
