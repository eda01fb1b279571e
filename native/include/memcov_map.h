/* The offline map format, version 2: a map kept outside a region, with its module table. The one
 * format that serialize_mem_coverage, `memcov export`, the .NET library and the Python module
 * write; docs/map-file-format.md describes every field. C, C# and Python all read and write it
 * through libmemcov (memcov_files.h), which also reads the older formats: map files of
 * version 1 and serialize_mem_coverage blobs of version 1 (and deserialize_mem_coverage the
 * memcov fork's legacy blob). */
#ifndef MEMCOV_MAP_H
#define MEMCOV_MAP_H

#include <stdint.h>

#include "memcov_region.h"

#define MCOV_MAP_MAGIC "MCOVMAPF"
#define MCOV_MAP_VERSION 2u
/* A file this large is refused before it is read whole: 65536 modules of 2^32 edges cannot be
 * written by this format's writers anyway, and a reader must bound what it allocates. */
#define MCOV_MAP_MAX_BYTES (1ull << 40)
#define MCOV_MAP_MAX_MODULES 65536u

/* What a non-zero edge byte means. */
enum mcov_map_kind {
    MCOV_MAP_FLAGS = 1,   /* 1 = the edge was hit */
    MCOV_MAP_CLASSES = 2, /* hit-count classes, one bit each (AFL++'s buckets) */
};

/* 64 bytes at offset 0. Little-endian, fixed-width fields only. */
typedef struct mcov_map_header {
    uint8_t magic[8];      /* "MCOVMAPF" */
    uint32_t version;      /* 2 */
    uint32_t header_size;  /* 64 */
    uint32_t module_count; /* at most 65536 */
    uint32_t kind;         /* enum mcov_map_kind */
    uint64_t edge_bytes;   /* the edge section: the sum of the modules' edge counts */
    uint64_t pc_bytes;     /* the PC-table section: 16 bytes per entry, 0 when no module has one */
    uint8_t reserved[24];  /* 0: equal maps make equal files */
} mcov_map_header;

/* One per module, 320 bytes each, right after the header. */
typedef struct mcov_map_module {
    /* As in a region's module table, but base is the offset of the module's edge 0 in the edge
     * section: module 0 at 0, module i + 1 right after module i. */
    mcov_module_entry entry;
    uint64_t pc_offset;   /* offset of the module's PC table in the PC section; 0 when none */
    uint64_t pc_count;    /* entries of that table: 0 (none) or entry.edge_count */
    uint8_t reserved[48]; /* 0 */
} mcov_map_module;

/* One PC-table entry: an edge's address as an offset from its module's load bias, and the
 * flags of __sanitizer_cov_pcs_init (bit 0: the edge is a function's entry block). */
typedef struct mcov_map_pc {
    uint64_t offset;
    uint64_t flags;
} mcov_map_pc;

/* After the PC section: a u64 FNV-1a-64 (offset basis 0xcbf29ce484222325) of every byte
 * before it. */
#define MCOV_MAP_TRAILER 8u

MCOV_STATIC_ASSERT(sizeof(mcov_map_header) == 64, "map header is 64 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_header, version) == 8, "version offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_header, module_count) == 16, "module_count offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_header, kind) == 20, "kind offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_header, edge_bytes) == 24, "edge_bytes offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_header, pc_bytes) == 32, "pc_bytes offset");
MCOV_STATIC_ASSERT(sizeof(mcov_map_module) == 320, "map module record is 320 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_module, pc_offset) == 256, "pc_offset offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_map_module, pc_count) == 264, "pc_count offset");
MCOV_STATIC_ASSERT(sizeof(mcov_map_pc) == 16, "PC-table entry is 16 bytes");

#endif
