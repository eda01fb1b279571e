/* Region files and offline maps, for readers and tools: calls on files that leave the calling
 * process's own attachment (memcov.h) alone. The .NET library, the Python module and the memcov
 * command go through these calls, so every rule of the region format (memcov_region.h) and of
 * the offline map format (memcov_map.h) is written once, here. Every call is thread-safe; int
 * calls return 0 or a negative MCOV_E_* code, after which mcov_last_error() says what to do. */
#ifndef MEMCOV_FILES_H
#define MEMCOV_FILES_H

#include <stdint.h>

#include "memcov.h"
#include "memcov_map.h"
#include "memcov_region.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Region files ---------------------------------------------------------- */

/* dir: the region directory; NULL or "" means $MEMCOV_SHM_DIR, else /dev/shm. */

/* A region file opened, validated and mapped by mcov_region_file_open. */
typedef struct mcov_region_file mcov_region_file;

/* What an open region's validated header says; it never changes while the file exists. */
typedef struct mcov_region_facts {
    uint8_t *base;            /* the mapping of [0, mapped_bytes), shared and writable */
    uint64_t mapped_bytes;    /* map_offset + capacity_edges */
    uint64_t map_offset;      /* the map starts at base + map_offset */
    uint64_t capacity_edges;  /* slots of the map */
    uint64_t creator_pid;
    uint64_t created_ns;      /* ns since the Unix epoch */
    uint64_t device;          /* st_dev and st_ino of the file: what tells that a path still */
    uint64_t inode;           /* names the file that was opened */
    uint32_t version;         /* the file's version, also when open fails with MCOV_E_VERSION */
    uint32_t module_capacity; /* entries the table holds, bounded by the room before the map */
    uint32_t kind;            /* enum mcov_region_kind */
    uint32_t lane_count;      /* lanes in its lanes file */
} mcov_region_facts;

/* The header's live counters, each read atomically and bounded as docs/region-format.md says. */
typedef struct mcov_region_counters {
    uint64_t alloc_cursor;     /* slots handed out: a multiple of 4096, at most capacity_edges */
    uint64_t edges_registered; /* edges of the registered modules */
    uint64_t edges_dropped;    /* edges of modules that did not fit, summed over processes */
    uint32_t modules_private;  /* registrations that did not fit, summed over processes */
    uint32_t module_count;     /* published entries, at most module_capacity */
} mcov_region_counters;

/* The path of region NAME's file into buf[len]: MCOV_E_INVALID_NAME if the name breaks
 * [A-Za-z0-9][A-Za-z0-9._-]{0,199}, MCOV_E_INVALID_ARG if the path does not fit. When it
 * succeeds, the thread's last error is left as it was. */
MCOV_API int mcov_region_file_path(const char *dir, const char *name, char *buf, uint64_t len);
/* Create region NAME (capacity rounded up to a multiple of 4096) without attaching to it. With
 * out (else NULL), also open the file just created, as mcov_region_file_open does. */
MCOV_API int mcov_region_file_create(const char *dir, const char *name, uint64_t capacity_edges,
                                     mcov_region_file **out, mcov_region_facts *facts);
/* The same with the kind of the map's bytes: MCOV_REGION_FLAGS (what mcov_region_file_create
 * makes) or MCOV_REGION_CLASSES (a hit-count region). */
MCOV_API int mcov_region_file_create_kind(const char *dir, const char *name,
                                          uint64_t capacity_edges, uint32_t kind,
                                          mcov_region_file **out, mcov_region_facts *facts);
/* Open, validate and map region NAME; *out is closed with mcov_region_file_close. facts may be
 * NULL. */
MCOV_API int mcov_region_file_open(const char *dir, const char *name, mcov_region_file **out,
                                   mcov_region_facts *facts);
/* Unmap the region; the file stays. NULL is ignored. */
MCOV_API void mcov_region_file_close(mcov_region_file *file);
MCOV_API void mcov_region_file_counters(const mcov_region_file *file, mcov_region_counters *out);
/* Copy entry INDEX (below counters.module_count) of the module table into *out, reading the
 * shared bytes once: 1 if the copy is a valid entry (docs/region-format.md), else 0. */
MCOV_API int mcov_region_file_module(const mcov_region_file *file, uint32_t index,
                                     mcov_module_entry *out);
/* Find or allocate, by identity and under the registration lock, the range of each of the n
 * modules (their base is ignored; path is recorded for new entries), all or nothing: bases[i]
 * receives module i's first slot. MCOV_E_TOO_SMALL when the new ones do not fit, with
 * *needed_capacity (may be NULL) the capacity that would hold them; nothing is written then. */
MCOV_API int mcov_region_file_claim(mcov_region_file *file, const mcov_module_entry *modules,
                                    uint32_t n, uint64_t *bases, uint64_t *needed_capacity);
/* Clear the region for every reader, as mcov_region_reset does: its map, and what every lane
 * holds now. MCOV_E_SYSTEM if another process keeps its lanes locked (stopped mid-read),
 * MCOV_E_NO_SPACE if the lanes' masks find no room; nothing is cleared then. */
MCOV_API int mcov_region_file_reset(mcov_region_file *file);
/* Fold every process's lane into the map (and free those of processes that died), so the map is
 * the union: call it before each read of the map; a region removed after the handle was opened
 * still is. MCOV_E_NOT_FOUND if its lanes file cannot be reached any more. */
MCOV_API int mcov_region_file_sync(mcov_region_file *file);
/* 0 if region NAME's path still names the file this handle mapped; MCOV_E_NOT_FOUND, with
 * whether it was removed or replaced, if not. */
MCOV_API int mcov_region_file_check_path(const mcov_region_file *file);
/* Map the first 64 MiB of this mapping's pages now, so later reads take no page faults. */
MCOV_API void mcov_region_file_prefault(const mcov_region_file *file);
/* Map the pages of the map up to byte UPTO of it (a count's reach: the allocation cursor) into
 * this mapping now, with one call, instead of a page fault every few pages: call it before reading
 * them. Pages this handle mapped already (prefault, an earlier call) are not asked again; UPTO is
 * bounded by the capacity. Several threads may call it at once. */
MCOV_API void mcov_region_file_fault_ahead(mcov_region_file *file, uint64_t upto);
/* Remove region NAME's file; MCOV_E_NOT_FOUND if there is none. */
MCOV_API int mcov_region_file_remove(const char *dir, const char *name);

/* Module INDEX's PC table (docs/region-format.md, "PC files"), as offsets from its load bias:
 * out[0, edge_count) receives it (cap must hold edge_count entries). Returns edge_count, 0 when the
 * region has no PC table for the module (compiled without pc-table, or its process could not
 * write one), or a negative code: MCOV_E_CORRUPT for a file that is not that module's table (a
 * symlink, another user's, damaged). Nothing else of the region depends on it. */
MCOV_API int64_t mcov_region_file_pcs(const mcov_region_file *file, uint32_t index,
                                      mcov_map_pc *out, uint64_t cap);
/* Keep module's PC table (module->edge_count entries) beside the region, unless it has one: what
 * `memcov import` does for a map that carries PC tables. */
MCOV_API int mcov_region_file_put_pcs(mcov_region_file *file, const mcov_module_entry *module,
                                      const mcov_map_pc *pcs);

/* Who holds region NAME, from the kernel's locks (docs/region-format.md, "Liveness"). */
enum mcov_liveness {
    MCOV_LIVE_ATTACHED = 1, /* some process holds the region: a runtime attached, a tool open */
    MCOV_LIVE_CREATOR = 2,  /* the process that created it still runs (or a fork child of it that
                               could not open the region again) */
};
/* *state receives the MCOV_LIVE_* bits of region NAME; NAME need not be a valid region file. */
MCOV_API int mcov_region_file_liveness(const char *dir, const char *name, uint32_t *state);
/* Remove region NAME only if no process holds it: MCOV_E_IN_USE (and nothing removed) if one
 * does. A process that attaches at the same moment either holds it first or finds it gone. */
MCOV_API int mcov_region_file_remove_unused(const char *dir, const char *name);

/* Remove the lanes files in dir whose region is gone (removed by other means than memcov) or
 * names another lanes file, once they are MCOV_LANES_SWEEP_AGE_S seconds old (a creator links its
 * region right after its lanes file): the number removed, or a negative MCOV_E_* code. */
#define MCOV_LANES_SWEEP_AGE_S 60
MCOV_API int64_t mcov_region_file_sweep_lanes(const char *dir);

/* --- Offline maps (memcov_map.h) --------------------------------------------- */

/* What mcov_map_check found. */
typedef struct mcov_map_summary {
    uint32_t format;       /* enum mcov_map_format */
    uint32_t kind;         /* enum mcov_map_kind */
    uint32_t module_count;
    uint32_t pc_modules;   /* modules that carry a PC table (mcov_map_read_pcs) */
    uint64_t edge_count;   /* the sum of the modules' edge counts */
} mcov_map_summary;

/* The formats mcov_map_check reads. */
enum mcov_map_format {
    MCOV_MAP_FORMAT_MAP2 = 2,  /* a map file of version 2 (memcov_map.h) */
    MCOV_MAP_FORMAT_MAP1 = 1,  /* a map file of version 1 */
    MCOV_MAP_FORMAT_BLOB1 = 3, /* a serialize_mem_coverage blob of version 1 (no paths) */
};

/* Check a whole offline map before anything of it is used: MCOV_E_CORRUPT (or MCOV_E_VERSION
 * for a map file of another version) with the reason, or 0 and *out. */
MCOV_API int mcov_map_check(const uint8_t *data, uint64_t size, mcov_map_summary *out);
/* Read a checked map: modules[0, n) receive the entries (base = the offset of the module's
 * edges in edges[]) and edges[0, edge_len) one byte per edge; n and edge_len must be the
 * summary's module_count and edge_count. */
MCOV_API int mcov_map_read(const uint8_t *data, uint64_t size, mcov_module_entry *modules,
                           uint32_t n, uint8_t *edges, uint64_t edge_len);
/* Bytes of a map file of n modules and edge_count edges, no PC tables; 0 if too large. */
MCOV_API uint64_t mcov_map_file_size(uint32_t n, uint64_t edge_count);
/* Write a map file of n modules into out[0, mcov_map_file_size): module i's edges are
 * edges[modules[i].base, + modules[i].edge_count). MCOV_E_INVALID_ARG (nothing useful in out)
 * for an entry that is not valid, an identity given twice, or a wrong size. */
MCOV_API int mcov_map_write(const mcov_module_entry *modules, uint32_t n, uint32_t kind,
                            const uint8_t *edges, uint64_t edge_len, uint8_t *out,
                            uint64_t out_len);

/* Bytes of a map file of n modules, edge_count edges and pc_count PC-table entries (the sum of
 * the edge counts of the modules that carry a table); 0 if too large. */
MCOV_API uint64_t mcov_map_file_size_pcs(uint32_t n, uint64_t edge_count, uint64_t pc_count);
/* mcov_map_write with PC tables: pcs (NULL for none) has edge_len entries, module i's table at
 * pcs[modules[i].base, + edge_count); a module whose first entry has offset 0 has none (no code
 * lies at offset 0: the ELF header does). */
MCOV_API int mcov_map_write_pcs(const mcov_module_entry *modules, uint32_t n, uint32_t kind,
                                const uint8_t *edges, uint64_t edge_len, const mcov_map_pc *pcs,
                                uint8_t *out, uint64_t out_len);
/* Read a checked map's PC tables: pcs[0, len) (len = the summary's edge_count), module i's at
 * pcs[base_i, + edge_count), {0, 0} for a module without one. */
MCOV_API int mcov_map_read_pcs(const uint8_t *data, uint64_t size, mcov_map_pc *pcs, uint64_t len);

/* The .NET mirrors of these structs are checked against these asserts by a test. */
MCOV_STATIC_ASSERT(sizeof(mcov_region_facts) == 80, "facts are 80 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, mapped_bytes) == 8, "mapped_bytes offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, map_offset) == 16, "map_offset offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, capacity_edges) == 24, "capacity offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, creator_pid) == 32, "creator_pid offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, created_ns) == 40, "created_ns offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, device) == 48, "device offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, inode) == 56, "inode offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, version) == 64, "version offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, module_capacity) == 68, "capacity offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, kind) == 72, "kind offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_facts, lane_count) == 76, "lane_count offset");
MCOV_STATIC_ASSERT(sizeof(mcov_region_counters) == 32, "counters are 32 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_counters, edges_registered) == 8, "registered offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_counters, edges_dropped) == 16, "dropped offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_counters, modules_private) == 24, "private offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_counters, module_count) == 28, "count offset");
MCOV_STATIC_ASSERT(sizeof(mcov_map_summary) == 24, "summary is 24 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_summary, kind) == 4, "kind offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_summary, module_count) == 8, "module_count offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_summary, edge_count) == 16, "edge_count offset");

#ifdef __cplusplus
}
#endif

#endif
