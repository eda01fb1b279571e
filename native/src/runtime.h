/* Internal state and helpers of libmemcov.so; nothing here is exported. */
#ifndef MEMCOV_RUNTIME_H
#define MEMCOV_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memcov.h"
#include "memcov_region.h"

#define MCOV_HIDDEN __attribute__((visibility("hidden")))

/* Local slots are 32-bit guard values, so one process addresses at most 4 GiB of edges.
 * The first page is the sink: guard 0 (not yet initialized) and dropped edges land there. */
#define MCOV_WINDOW_BYTES (1ull << 32)
#define MCOV_SINK_BYTES MCOV_EDGE_ALIGN

static inline uint64_t mcov_round_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) / align * align;
}

/* --- errors (error.c) --- */
MCOV_HIDDEN int mcov_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every public call that can fail starts here: after it, "" means it succeeded. */
MCOV_HIDDEN void mcov_clear_error(void);
MCOV_HIDDEN void mcov_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- module identity (identity.c) --- */
struct mcov_identity {
    uint32_t kind;
    uint32_t len;
    uint8_t bytes[32];
    uint64_t file_size;
    uint64_t edge_count;
    uint32_t mode;
    char path[184];
};
MCOV_HIDDEN void mcov_identity_of(const void *addr, uint64_t edges, uint32_t mode,
                                  struct mcov_identity *out);
MCOV_HIDDEN bool mcov_identity_matches(const struct mcov_identity *id, const mcov_module_entry *e);
MCOV_HIDDEN bool mcov_identity_equal(const struct mcov_identity *a, const struct mcov_identity *b);
MCOV_HIDDEN void mcov_identity_from_entry(const mcov_module_entry *e, struct mcov_identity *out);

/* --- region files (region.c): no process state --- */
struct mcov_region {
    /* No descriptor is kept: the host may close or reuse any fd number. Each registration
     * opens the path again and checks it is still this file (dev, ino). */
    dev_t dev;
    ino_t ino;
    uint8_t *base; /* the whole file, MAP_SHARED */
    uint64_t size;
    mcov_region_header *header;
    uint8_t *map;
    /* Validated at attach; the live header is never re-read for addressing, since any
     * process of the same user can write it. */
    uint64_t capacity;
    uint64_t map_offset;
    uint64_t table_offset;
    uint32_t table_capacity;
    bool lock_timed_out; /* the last registration gave up waiting: the next one does not wait */
    char name[MCOV_REGION_NAME_MAX + 1];
    char path[4096];
};
MCOV_HIDDEN int mcov_region_check_name(const char *name);
MCOV_HIDDEN int mcov_region_path_of(const char *name, char *buf, size_t len);
MCOV_HIDDEN int mcov_region_create_file(const char *name, uint64_t capacity_edges);
MCOV_HIDDEN int mcov_region_open(const char *name, struct mcov_region *out);
/* Zero the map of region NAME. */
MCOV_HIDDEN int mcov_region_reset_file(const char *name);
/* Open the region again, check it is the attached file, and take the registration lock:
 * returns a descriptor to close (mappings of the region's slices are made from it), or a
 * negative code. */
MCOV_HIDDEN int mcov_region_lock(struct mcov_region *r);
MCOV_HIDDEN void mcov_region_close(struct mcov_region *r);
/* Map the first pages of this process's view of the map now (best effort). */
MCOV_HIDDEN void mcov_region_prefault(const struct mcov_region *r);
/* The allocation cursor, bounded by the capacity whatever another process wrote. */
MCOV_HIDDEN uint64_t mcov_region_cursor(const struct mcov_region *r);
/* Published module entries, bounded by the table's capacity. */
MCOV_HIDDEN uint32_t mcov_region_module_count(const struct mcov_region *r);
/* Copy entry i of the table into out, reading the shared bytes once, and return true if
 * the copy is valid (its range lies inside the map). Callers check and use only the copy:
 * another process can rewrite the table between two reads. */
MCOV_HIDDEN bool mcov_region_read_entry(const struct mcov_region *r, uint32_t i,
                                        mcov_module_entry *out);

/* --- the process's modules (modules.c) --- */
struct mcov_module {
    uint64_t local;       /* first local slot (the guard value of edge 0) */
    uint64_t span;        /* bytes of the slice: edge_count rounded up to MCOV_EDGE_ALIGN */
    int64_t region_base;  /* slot in the attached region, or -1 when recording privately */
    struct mcov_identity id;
    /* Inline (inline-bool-flag) modules only. The window slice stays the module's base;
     * the compiler stores into bools, which is either the region's slice itself (direct)
     * or memory that memcov calls OR into the base and the own view (see inline.c). */
    uint8_t *bools;       /* the module's __sancov_bools; NULL for callback modules, or unloaded */
    uintptr_t load_base;  /* dlpi_addr of the object holding bools: tells it is still loaded */
    bool mappable;        /* page-aligned and padded by memcov-inline.ld: may be mapped over */
    bool direct;          /* bools maps the region's slice (MAP_SHARED) */
};

enum mcov_view_kind { MCOV_VIEW_BASE, MCOV_VIEW_OWN };

struct mcov_saved_view {
    enum mcov_view_kind kind;
    uint8_t *bytes; /* a copy of the own window's used part; NULL for the base view */
    uint64_t len;
};

struct mcov_runtime {
    pthread_mutex_t lock;
    bool ready;
    bool env_checked;
    uint8_t *window; /* local slot -> byte: region slices or private pages */
    uint8_t *own;    /* the own view, same layout, private pages */
    uint64_t used;   /* local slots in use, sink included */
    struct mcov_module *modules;
    uint32_t module_count;
    uint32_t module_cap;
    bool attached;
    struct mcov_region region;
    enum mcov_view_kind view;
    struct mcov_saved_view *stack;
    size_t stack_len;
    size_t stack_cap;
    uint32_t inline_count;          /* inline modules registered */
    unsigned long long dl_subs;     /* objects unloaded so far (dlpi_subs), at the last check */
    bool layout_asked; /* get_total was called: its layout bounds copy/set_hitmap */
    uint64_t layout_cursor;
    uint64_t layout_total;
};

MCOV_HIDDEN extern struct mcov_runtime mcov_rt;

MCOV_HIDDEN void mcov_lock(void);
MCOV_HIDDEN void mcov_unlock(void);
/* Reserve the windows once; false if the address space is not there. */
MCOV_HIDDEN bool mcov_windows_ready(void);
/* Map fresh private pages over [local, local + span) of a window (mcov_rt.window or .own). */
MCOV_HIDDEN bool mcov_window_map_private(uint8_t *window, uint64_t local, uint64_t span);
/* Map the region's slots [base, base + span) over the window at local, from fd: a
 * descriptor of the region file opened and checked just now (mcov_region_lock). */
MCOV_HIDDEN bool mcov_window_map_region(int fd, const struct mcov_region *r, uint64_t local,
                                        uint64_t base, uint64_t span);
/* After a failed MAP_FIXED over a slice of mcov_rt.window the kernel may have removed the
 * old pages, and live guards point there. Keep the old pages if they are still mapped,
 * else map private pages and OR held[0, n) into them. */
enum mcov_slice_state { MCOV_SLICE_KEPT, MCOV_SLICE_PRIVATE, MCOV_SLICE_LOST };
MCOV_HIDDEN enum mcov_slice_state mcov_window_recover(uint64_t local, uint64_t span,
                                                      const uint8_t *held, uint64_t n);
/* libmemcov.so's copy of the hot pointers (record.h), head of the list of registered copies. */
struct mcov_hot;
MCOV_HIDDEN extern struct mcov_hot mcov_hot;
/* The own view the hot path writes besides the base, or NULL (base view). */
MCOV_HIDDEN void mcov_set_own_pointer(uint8_t *own);

/* Give each module a range of the region (under the region's file lock); modules that
 * do not fit stay private and are counted. Moves the private hits into the region. */
MCOV_HIDDEN void mcov_modules_join(struct mcov_region *r, uint32_t first);
MCOV_HIDDEN int mcov_attach_locked(const char *name);
MCOV_HIDDEN void mcov_detach_locked(void);

/* --- inline-bool-flag modules (inline.c) --- */
/* Whether [start, stop) was laid out by memcov-inline.ld: page-aligned, followed by the
 * marker and padding to a page, inside one writable segment. Sets *load_base. */
MCOV_HIDDEN bool mcov_bools_mappable(uint8_t *start, uint8_t *stop, uintptr_t *load_base);
/* OR every mirrored section into its module's base and open own view. Runs at the start of
 * every memcov call (mcov_lock), at fork, at exit and when a module unloads. */
MCOV_HIDDEN void mcov_inline_sync(void);
/* The own view was cleared (reset, push) or replaced (set_hitmap): move each inline
 * module's hits out of its section into its base, so the section collects own hits. */
MCOV_HIDDEN void mcov_inline_own_cleared(void);
/* Move each mirrored section's hits into its base and clear the flags (region reset). */
MCOV_HIDDEN void mcov_inline_drain_mirrored(void);
/* Back on the base view, or just joined a region: map the region over the sections that
 * can take it, so the compiler's stores reach the region with no call. */
MCOV_HIDDEN void mcov_inline_go_direct(void);
MCOV_HIDDEN bool mcov_inline_make_direct(struct mcov_module *m);
/* Give a direct section private pages again (detach, own view). */
MCOV_HIDDEN void mcov_inline_leave_region(struct mcov_module *m);

/* --- the hitmap layout (layout.c) --- */
struct mcov_layout {
    uint64_t cursor; /* region slots at the start of the hitmap */
    uint64_t total;  /* bytes of the hitmap */
};
MCOV_HIDDEN struct mcov_layout mcov_layout_now(void);
MCOV_HIDDEN struct mcov_layout mcov_layout_for_caller(void);
/* Where a module's edge 0 sits in the hitmap, or UINT64_MAX when outside it. */
MCOV_HIDDEN uint64_t mcov_layout_position(const struct mcov_layout *l, uint32_t module);
/* Non-zero bytes of p[0, n) (count.c): vectorized, reads the map with relaxed loads. */
MCOV_HIDDEN uint64_t mcov_count_set(const uint8_t *p, uint64_t n);

#endif
