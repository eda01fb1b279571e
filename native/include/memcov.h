/* Memcov: edge coverage recorded straight into a named shared-memory region.
 *
 * The calls of the memcov fork keep their names and types, so existing users
 * switch without code changes. docs/semantics.md gives each call's meaning
 * while a process is attached to a region. Calls on region and map files that leave
 * the process's attachment alone, for readers and tools, are in memcov_files.h. */
#ifndef MEMCOV_H
#define MEMCOV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MCOV_API __attribute__((visibility("default")))

/* Return codes of the int calls; mcov_last_error() says more. */
enum mcov_status {
    MCOV_OK = 0,
    MCOV_E_INVALID_NAME = -1, /* name does not match [A-Za-z0-9][A-Za-z0-9._-]{0,199} */
    MCOV_E_NOT_FOUND = -2,    /* no region of that name */
    MCOV_E_EXISTS = -3,       /* a region of that name exists already */
    MCOV_E_CORRUPT = -4,      /* not a region file, truncated, or fields out of range */
    MCOV_E_VERSION = -5,      /* a region of another format version */
    MCOV_E_INVALID_ARG = -6,  /* e.g. a capacity of 0 or above 2^32 edges */
    MCOV_E_NO_SPACE = -7,     /* the shm directory has no room for the region */
    MCOV_E_PERMISSION = -8,   /* a symlink, another owner, or no access */
    MCOV_E_SYSTEM = -9,       /* an unexpected system error (errno in the message) */
    MCOV_E_TOO_SMALL = -10,   /* the region has no room for the modules (memcov_files.h) */
    MCOV_E_IN_USE = -11,      /* a process holds the region (memcov_files.h) */
};

/* --- The memcov fork's API ------------------------------------------------ */

/* Switch to (or clear) the process's own view: its hits from now on. */
MCOV_API void mcov_reset(void);
/* Open a fresh, empty scope on top of the current view. */
MCOV_API void mcov_push_coverage(void);
/* OR the top scope into the view below and return to it. */
MCOV_API void mcov_pop_coverage(void);
/* Bytes of the hitmap: the region's allocation cursor plus private modules. */
MCOV_API uint32_t mcov_get_total(void);
/* Edges set in the current view, counted from the map. */
MCOV_API uint32_t mcov_get_now(void);
/* Accepted and ignored: get_now is always counted from the map. */
MCOV_API void mcov_set_now(uint32_t now);
/* Copy the current view, one byte per edge, get_total() bytes. */
MCOV_API void mcov_copy_hitmap(char *buf);
/* OR get_total() bytes into the region; on an own view also replace that view. */
MCOV_API void mcov_set_hitmap(char *buf);
/* The current view with its module table; free with mcov_free. NULL on error. */
MCOV_API uint8_t *serialize_mem_coverage(size_t *size);
/* OR a blob of serialize_mem_coverage (or the fork's legacy blob) into the view. */
MCOV_API void deserialize_mem_coverage(uint8_t *data, size_t size);

/* --- Regions ------------------------------------------------------------- */

/* Create region NAME (capacity rounded up to a multiple of 4096) and attach to it. */
MCOV_API int mcov_region_create(const char *name, uint64_t capacity_edges);
/* The same, a hit-count region: each byte holds the AFL++ classes of the counts its edge had, in
 * callback and no-call mode (docs/semantics.md, "Hit counts"). */
MCOV_API int mcov_region_create_counts(const char *name, uint64_t capacity_edges);
/* Attach to region NAME, moving loaded modules and their hits into it. */
MCOV_API int mcov_attach(const char *name);
/* Keep the current view as a private map and record privately from now on. */
MCOV_API void mcov_detach(void);
/* Remove region NAME; processes attached keep their mapping. */
MCOV_API int mcov_region_remove(const char *name);
/* Clear region NAME's map; own views are left alone, so an edge an open own view already had
 * reaches the region again at its first hit after that view is cleared or closed. */
MCOV_API int mcov_region_reset(const char *name);
/* What went wrong last in this thread and what to do; "" if nothing did. */
MCOV_API const char *mcov_last_error(void);
/* Copy up to len bytes of the current view; returns the bytes written. */
MCOV_API uint64_t mcov_copy_hitmap_n(uint8_t *buf, uint64_t len);
/* Free what serialize_mem_coverage returned. */
MCOV_API void mcov_free(void *ptr);

/* --- Introspection ------------------------------------------------------- */

/* 1 if attached to a region, else 0. */
MCOV_API int mcov_is_attached(void);
/* The attached region's name, or "" when detached. */
MCOV_API const char *mcov_region_name(void);
/* The 64-bit forms of get_now and get_total. */
MCOV_API uint64_t mcov_get_now64(void);
MCOV_API uint64_t mcov_get_total64(void);
/* Modules that registered in this process, and how many record privately. */
MCOV_API uint32_t mcov_module_count(void);
MCOV_API uint32_t mcov_private_module_count(void);

/* OR what inline modules recorded outside the region (own views, detached) into their
 * maps now. Every memcov call does this first; call it before _exit in an own view. */
MCOV_API void mcov_flush(void);

#ifdef __cplusplus
}
#endif

#endif
