/* Joining and leaving a region: each module's range claimed once under the region's file
 * lock, its slice of the window mapped over with the region's, and back to private pages. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bytes.h"
#include "runtime.h"

/* Inside an own view the hot path tests the own view alone, so every byte of it must be in the
 * base: after a module's base slice is replaced, a first hit another thread made between the
 * copy and the remap may be in the own view only. */
static void own_view_into_base(const struct mcov_module *m)
{
    if (mcov_rt.view == MCOV_VIEW_OWN)
        mcov_or_into(mcov_rt.window + m->local, mcov_rt.own + m->local, m->id.edge_count);
}

/* Whether a page of the private slice was ever touched (mcov_pages_run). */
static bool slice_touched(const uint8_t *slice, uint64_t span)
{
    struct mcov_pages pages;
    mcov_pages_start(&pages, slice, span);
    for (uint64_t at = 0; at < span;) {
        bool resident;
        uint64_t end = mcov_pages_run(&pages, at, &resident);
        if (resident)
            return true;
        at = end;
    }
    return false;
}

static void warn_records_privately(const struct mcov_region *r, const struct mcov_module *m, int err)
{
    mcov_warn("cannot map region '%s' over module %s (%s): it records privately; "
              "free memory or raise vm.max_map_count",
              r->name, m->id.path, strerror(err));
}

/* Replace a module's private slice with its range of the region, keeping its hits. */
static void move_into_region(int fd, struct mcov_region *r, struct mcov_module *m,
                             int64_t base)
{
    uint8_t *slice = mcov_rt.window + m->local;
    /* Registered straight into the region, or nothing hit yet (a worker that attaches before its
     * first hit): the region's pages replace the slice with no copy, and no page of either is
     * touched. */
    if ((m->fresh || !slice_touched(slice, m->span)) &&
        mcov_window_map_region(fd, r, m->local, (uint64_t)base, m->span)) {
        m->fresh = false;
        m->region_base = base;
        own_view_into_base(m);
        return;
    }
    /* A straight module has nothing to keep and no pages to recover: its registration maps
     * private ones. */
    if (m->fresh) {
        warn_records_privately(r, m, errno);
        return;
    }
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
        if (mcov_remap_recover(mcov_rt.window + m->local, m->span, held, m->id.edge_count) == MCOV_SLICE_LOST) {
            mcov_warn("cannot map region '%s' (%s) nor private pages over module %s: "
                      "free memory or raise vm.max_map_count; its slots are left unmapped",
                      r->name, strerror(e), m->id.path);
        } else {
            own_view_into_base(m);
            warn_records_privately(r, m, e);
        }
    }
    free(held);
}

/* Under the file lock: an inline module whose section the runtime may not map over records
 * privately, counted like a module that does not fit. */
static void refuse_unmappable(struct mcov_region *r, const struct mcov_module *m)
{
    mcov_region_count_private(r, m->id.edge_count);
    mcov_warn("module %s was linked without memcov-inline.ld (its flags or counters are "
              "not page-aligned and padded): it records privately, outside region '%s'; add "
              "-Wl,-T,memcov-inline.ld (artifacts/native/ or native/cmake/) to its link line, "
              "or use memcov_instrument(<target> MODE inline)",
              m->id.path, r->name);
}

void mcov_modules_join(struct mcov_region *r, uint32_t first, bool fd_checked)
{
    bool any = false;
    for (uint32_t i = first; i < mcov_rt.module_count; i++)
        any |= mcov_rt.modules[i].region_base < 0;
    if (!any)
        return;
    int lock = mcov_region_lock(r, fd_checked);
    if (lock < 0)
        return;
    int64_t few[16]; /* the usual join, at a module's registration, without a malloc */
    int64_t *bases = mcov_rt.module_count <= sizeof few / sizeof few[0]
                         ? few
                         : calloc(mcov_rt.module_count, sizeof *bases);
    if (!bases) {
        mcov_region_lock_close(lock, fd_checked);
        mcov_warn("out of memory joining region '%s': modules record privately", r->name);
        return;
    }
    for (uint32_t i = first; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        bases[i] = -1;
        if (m->region_base >= 0)
            continue;
        if (m->id.mode == MCOV_MODE_INLINE && !m->mappable) {
            mcov_identity_complete(&m->id);
            refuse_unmappable(r, m);
        } else
            bases[i] = mcov_region_claim_one(r, lock, &m->id);
    }
    flock(lock, LOCK_UN);
    /* Map from the descriptor just checked to be the region, never from a number kept
     * since an earlier call: the host may have closed it or put another file there. */
    for (uint32_t i = first; i < mcov_rt.module_count; i++)
        if (bases[i] >= 0)
            move_into_region(lock, r, &mcov_rt.modules[i], bases[i]);
    if (!fd_checked)
        close(lock);
    if (bases != few)
        free(bases);
    mcov_inline_place_sections(false);
    mcov_pcs_publish(r);
}

void mcov_attach_region_locked(struct mcov_region *r, bool fd_checked)
{
    if (mcov_rt.attached)
        mcov_detach_locked();
    mcov_rt.region = *r;
    mcov_rt.attached = true;
    mcov_modules_join(&mcov_rt.region, 0, fd_checked);
}

int mcov_attach_locked(const char *name)
{
    struct mcov_region r;
    int rc = mcov_region_open(NULL, name, &r);
    if (rc)
        return rc;
    mcov_attach_region_locked(&r, true);
    return MCOV_OK;
}

void mcov_detach_locked(void)
{
    if (!mcov_rt.attached)
        return;
    /* Lanes first: from now on no-call sections store into private pages, which memcov calls
     * OR into the base; the copy below then takes every hit they made into the region. */
    mcov_inline_leave_lanes();
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (m->region_base < 0)
            continue;
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
                mcov_remap_recover(mcov_rt.window + m->local, m->span, held, m->id.edge_count);
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

