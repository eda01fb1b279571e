/* The region file format, version 4, and its lanes file: the one contract between C, C# and Python.
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
#define MCOV_REGION_VERSION 5u

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
/* Lane k's owner write-locks this byte of the region file for as long as it owns the lane. */
#define MCOV_LOCK_LANE(k) (64ull + (uint64_t)(k))

/* What a byte of the map holds. */
enum mcov_region_kind {
    MCOV_REGION_FLAGS = 1,   /* 1 = the edge was hit (mcov_region_create) */
    MCOV_REGION_CLASSES = 2, /* hit-count classes, one bit each (AFL++'s buckets) */
};

/* Lanes a creator makes: processes recording at once into a lane of their own. */
#define MCOV_LANE_COUNT 256u

enum mcov_record_mode {
    MCOV_MODE_CALLBACK = 1, /* -fsanitize-coverage=trace-pc-guard */
    MCOV_MODE_INLINE = 2,   /* no-call: inline-8bit-counters or inline-bool-flag, mapped */
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
    uint32_t kind;                /* enum mcov_region_kind */
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

    /* Written once by the creator. */
    uint64_t lanes_token; /* names the lanes file: .memcov-lanes-NAME-<token, 16 hex digits> */
    uint32_t lane_count;  /* lanes in that file */
    uint32_t reserved1;   /* 0 */

    /* Bumped by every mcov_region_reset, before it writes the lanes' masks and clears the map. */
    uint64_t reset_epoch;
    uint8_t reserved[136];
} mcov_region_header;

/* The lanes file: a header, a table of lanes, then for each lane k its bytes and its mask, each
 * capacity_edges bytes laid out like the map: slot i of lane k at
 * lanes_offset + 2 * k * capacity_edges + i, of its mask capacity_edges further. It is sparse: an
 * owner reserves the ranges of its lane it uses, a reset the parts of a mask it writes. */
#define MCOV_LANES_MAGIC "MEMCOVLN"
#define MCOV_LANES_FILE_PREFIX ".memcov-lanes-"

/* Beside a region, a PC file per module that has a PC table (-fsanitize-coverage=pc-table):
 * DIR/.memcov-pcs-NAME-TOKEN-HASH, TOKEN the region's lanes_token and HASH the FNV-1a-64 of the
 * module's identity, each 16 lowercase hex digits. It is a map file (memcov_map.h) of that one
 * module, its edges 0, with its PC table; it is written whole, then linked into place. */
#define MCOV_PCS_FILE_PREFIX ".memcov-pcs-"

typedef struct mcov_lanes_header {
    uint8_t magic[MCOV_REGION_MAGIC_LEN]; /* "MEMCOVLN" */
    uint32_t version;                     /* MCOV_REGION_VERSION */
    uint32_t header_size;                 /* 64 */
    uint64_t token;                       /* the region header's lanes_token */
    uint64_t capacity_edges;              /* the region's */
    uint32_t lane_count;                  /* the region's */
    uint32_t entry_size;                  /* 64 */
    uint64_t lanes_offset;                /* page-aligned: the table ends before it */
    /* CLOCK_MONOTONIC ns until which a reset waits for the exclusive lock: readers let it go
     * first. Written by resets, read by readers. */
    uint64_t reset_waiting_until_ns;
    uint8_t reserved[8];
} mcov_lanes_header;

enum mcov_lane_state {
    MCOV_LANE_FREE = 0,
    MCOV_LANE_OWNED = 1, /* a process took it; its lock byte tells whether it still runs */
};

/* 64 bytes each, right after the lanes header. A lane's content counts for the union by the
 * region's reset_epoch: all of it if seen_epoch is that epoch, what it holds beyond its mask if
 * mask_epoch is, nothing otherwise. */
typedef struct mcov_lane_entry {
    uint32_t state;      /* enum mcov_lane_state */
    uint32_t reserved0;  /* 0 */
    uint64_t extent;     /* the end of what the owner reserved (its modules' ranges); release-stored */
    uint64_t owner_pid;  /* who took it last, for people */
    uint64_t taken_ns;   /* when, CLOCK_REALTIME */
    uint64_t seen_epoch; /* written by the owner: the epoch its content started from */
    uint64_t mask_epoch; /* written by a reset: the epoch of the mask it wrote */
    uint8_t reserved[16];
} mcov_lane_entry;

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
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, kind) == 32, "kind offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, module_capacity) == 36, "module_capacity offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, module_table_offset) == 40, "table offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, creator_pid) == 48, "creator_pid offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, created_ns) == 56, "created_ns offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, alloc_cursor) == 64, "cursor on its own line");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, edges_registered) == 72, "registered offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, edges_dropped) == 80, "dropped offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, modules_private) == 88, "private offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, module_count) == 92, "module_count offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, lanes_token) == 96, "lanes_token offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, lane_count) == 104, "lane_count offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_region_header, reset_epoch) == 112, "reset_epoch offset");
MCOV_STATIC_ASSERT(sizeof(mcov_lanes_header) == 64, "lanes header is 64 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_lanes_header, token) == 16, "token offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_lanes_header, lane_count) == 32, "lane_count offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_lanes_header, lanes_offset) == 40, "lanes_offset offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_lanes_header, reset_waiting_until_ns) == 48, "reset_waiting offset");
MCOV_STATIC_ASSERT(sizeof(mcov_lane_entry) == 64, "lane entry is 64 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_lane_entry, extent) == 8, "extent offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_lane_entry, seen_epoch) == 32, "seen_epoch offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_lane_entry, mask_epoch) == 40, "mask_epoch offset");
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
