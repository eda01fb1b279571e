/* The region file format, version 2: the one contract between C, C# and Python.
 * docs/region-format.md describes every field; change both, and the version, together. */
#ifndef MEMCOV_REGION_H
#define MEMCOV_REGION_H

#include <stdint.h>

/* Layout checks that hold in C and C++ alike. */
#ifdef __cplusplus
#define MCOV_STATIC_ASSERT(cond, what) static_assert(cond, what)
#else
#define MCOV_STATIC_ASSERT(cond, what) _Static_assert(cond, what)
#endif

#define MCOV_REGION_MAGIC "MEMCOVRG"
#define MCOV_REGION_MAGIC_LEN 8
#define MCOV_REGION_VERSION 2u

/* A module's range and the capacity are multiples of one 4 KiB page of edges,
 * so a module's slice of the map can be mapped on its own. */
#define MCOV_EDGE_ALIGN 4096u
#define MCOV_REGION_MAX_CAPACITY (1ull << 32)
#define MCOV_MODULE_TABLE_CAPACITY 1024u
#define MCOV_REGION_NAME_MAX 200u
#define MCOV_REGION_FILE_PREFIX "memcov-"

/* Bytes of the region file that processes lock with fcntl OFD locks (never flock, which is the
 * registration lock): every process holding the region keeps a read lock on ATTACHED, its
 * creator one on CREATOR too, for as long as it holds the region. */
#define MCOV_LOCK_ATTACHED 0u
#define MCOV_LOCK_CREATOR 1u

enum mcov_record_mode {
    MCOV_MODE_CALLBACK = 1, /* -fsanitize-coverage=trace-pc-guard */
    MCOV_MODE_INLINE = 2,   /* -fsanitize-coverage=inline-bool-flag, mapped */
};

enum mcov_identity_kind {
    MCOV_ID_BUILD_ID = 1, /* the ELF NT_GNU_BUILD_ID note */
    MCOV_ID_PATH = 2,     /* FNV-1a-64 of the realpath, plus file size and edge count */
};

/* 256 bytes at offset 0. Little-endian, fixed-width fields only. */
typedef struct mcov_region_header {
    /* Written once by the creator, before the file is linked into place. */
    uint8_t magic[MCOV_REGION_MAGIC_LEN];
    uint32_t version;
    uint32_t header_size;         /* sizeof(mcov_region_header) */
    uint64_t map_offset;          /* bytes; page-aligned */
    uint64_t capacity_edges;      /* multiple of MCOV_EDGE_ALIGN */
    uint32_t flags;               /* none defined in version 2: 0 */
    uint32_t module_capacity;     /* entries in the module table */
    uint64_t module_table_offset; /* bytes; header_size in version 1 */
    uint64_t creator_pid;
    uint64_t created_ns; /* CLOCK_REALTIME, ns since the Unix epoch */

    /* Written under the registration lock, read by anyone: own cache line. */
    uint64_t alloc_cursor;     /* edges allocated; multiple of MCOV_EDGE_ALIGN */
    uint64_t edges_registered; /* sum of the edge counts in the table */
    uint64_t edges_dropped;    /* edges of modules that did not fit, summed over processes */
    uint32_t modules_private;  /* modules that recorded privately, summed over processes */
    uint32_t module_count;     /* entries published; release-stored after the entry */
    uint8_t reserved[160];
} mcov_region_header;

/* 256 bytes each, from module_table_offset. */
typedef struct mcov_module_entry {
    uint64_t base;       /* first slot; multiple of MCOV_EDGE_ALIGN */
    uint64_t edge_count; /* guards (or flags) in the module */
    uint64_t file_size;  /* size of the module's file, 0 when unknown */
    uint32_t mode;       /* enum mcov_record_mode */
    uint32_t id_kind;    /* enum mcov_identity_kind */
    uint32_t id_len;     /* bytes of id used */
    uint32_t reserved0;
    uint8_t id[32];
    char path[184]; /* realpath, NUL-terminated, truncated */
} mcov_module_entry;

#define MCOV_MODULE_TABLE_OFFSET 256u
#define MCOV_REGION_MAP_OFFSET \
    ((MCOV_MODULE_TABLE_OFFSET + MCOV_MODULE_TABLE_CAPACITY * 256u + 4095u) & ~4095u)

MCOV_STATIC_ASSERT(sizeof(mcov_region_header) == 256, "header is 256 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, version) == 8, "version offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, header_size) == 12, "header_size offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, map_offset) == 16, "map_offset offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, capacity_edges) == 24, "capacity offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, flags) == 32, "flags offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, module_capacity) == 36, "module_capacity offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, module_table_offset) == 40, "table offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, creator_pid) == 48, "creator_pid offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, created_ns) == 56, "created_ns offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, alloc_cursor) == 64, "cursor on its own line");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, edges_registered) == 72, "registered offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, edges_dropped) == 80, "dropped offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, modules_private) == 88, "private offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, module_count) == 92, "module_count offset");
MCOV_STATIC_ASSERT(sizeof(mcov_module_entry) == 256, "module entry is 256 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_module_entry, edge_count) == 8, "edge_count offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_module_entry, file_size) == 16, "file_size offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_module_entry, mode) == 24, "mode offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_module_entry, id_kind) == 28, "id_kind offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_module_entry, id_len) == 32, "id_len offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_module_entry, id) == 40, "id offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_module_entry, path) == 72, "path offset");
MCOV_STATIC_ASSERT(MCOV_REGION_MAP_OFFSET == 266240u, "map starts on page 65");

#endif
