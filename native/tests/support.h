/* Test support: checks, unique region names, loading the sample modules, child processes,
 * and reading a region file directly through memcov_region.h (independent of the runtime). */
#ifndef MEMCOV_TEST_SUPPORT_H
#define MEMCOV_TEST_SUPPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "memcov.h"
#include "memcov_region.h"

#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            t_cleanup();                                                                    \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                   \
    CHECK((uint64_t)(a) == (uint64_t)(b), "%s = %llu, %s = %llu", #a,                       \
          (unsigned long long)(a), #b, (unsigned long long)(b))

/* ctest treats this exit code as "skipped". */
#define T_SKIP 77

typedef int64_t (*t_run_fn)(const char *);

/* A fresh region name for this test; removed by t_cleanup(). */
const char *t_region_name(const char *tag);
/* Remove every region t_region_name handed out. */
void t_cleanup(void);
/* Remove region NAME's lanes files (.memcov-lanes-NAME-<16 hex digits>), also of a region whose
 * header no longer names its own: returns how many. */
int t_remove_lanes_files(const char *name);

/* MEMCOV_TEST_SAMPLES: "callback" (unset), "inline" (A and B in no-call mode) or "mixed"
 * (A callback, B inline). */
const char *t_samples(void);
/* dlopen a sample module from the test directory (e.g. "libmcov_sample_a.so"). */
void *t_load(const char *file);
t_run_fn t_sym(void *lib, const char *name);

/* The inputs every cross-process test runs. */
extern const char *const t_inputs[];
extern const size_t t_input_count;

/* Load A then B (or B then A) and run inputs [first, first + count) through both. */
void t_run_inputs(int b_first, size_t first, size_t count);

/* Fork a child that runs fn(arg) and _exit(0)s; wait for it and CHECK that it succeeded. */
pid_t t_fork(void (*fn)(void *), void *arg);
void t_wait_ok(pid_t pid);

/* A copy of a region's map [0, cursor) read straight from its file. */
typedef struct {
    uint64_t cursor;
    uint64_t capacity;
    uint32_t modules;
    uint64_t edges_dropped;
    uint32_t modules_private;
    uint8_t *map;
} t_region_copy;
t_region_copy t_read_region(const char *name);
void t_free_region(t_region_copy *c);
uint64_t t_count(const uint8_t *map, uint64_t n);
/* The edges set in region NAME's map [0, cursor), read from its file. */
uint64_t t_region_edges(const char *name);
/* CHECK that two copies have the same cursor, module count and map bytes. */
void t_check_same_map(const t_region_copy *a, const t_region_copy *b);
/* CHECK that region NAME, read from its file, has no privately recording module and the same
 * cursor, module count and map bytes as ref. */
void t_check_region_matches(const char *name, const t_region_copy *ref);

/* The region file's path. */
void t_region_path(const char *name, char *buf, size_t len);

/* The reference union: one child process runs every input, attached to a new region. */
t_region_copy t_reference_union(void);

/* --- Additive helpers for the cross-process tests --- */

/* Copy up to max entries of a region's module table; returns the published module count. */
uint32_t t_read_entries(const char *name, mcov_module_entry *out, uint32_t max);
/* Index of the first entry whose path contains part (e.g. "sample_a"), or -1. */
int t_find_entry(const mcov_module_entry *e, uint32_t n, const char *part);
/* A callback module's entry as a tool claims it: a 20-byte build-id of seed bytes, edges edges,
 * path /lib/tool-SEED.so. */
mcov_module_entry t_module_entry(uint8_t seed, uint64_t edges);
/* Resident kilobytes of this process's mappings of path (a region file), from /proc/self/smaps;
 * _at: only those that map the file from offset. */
uint64_t t_resident_kib(const char *path);
uint64_t t_resident_kib_at(const char *path, long offset);
/* The lanes file of region name (the one its header's lanes_token names), opened read-only, and
 * its header in *header (NULL: not wanted). */
int t_open_lanes(const char *name, mcov_lanes_header *header);
/* Entry k of the lane table of the lanes file open at fd. */
mcov_lane_entry t_lane_entry(int fd, uint32_t k);
/* How many lanes of region name are owned by pid. */
int t_lanes_owned_by(const char *name, pid_t pid);
/* This process's descriptors of the file at path, by device and inode (the runtime may have opened
 * it under another name), at most max of them into fds; how many. */
int t_descriptors_of(const char *path, int *fds, int max);
/* CHECK that the lanes file open at fd holds no page beyond its table (header lh): every lane's
 * memory was given back. */
void t_check_lanes_hold_no_page(int fd, const mcov_lanes_header *lh);

/* pipe(2) with O_CLOEXEC, CHECKed. */
void t_pipe(int fds[2]);
/* Write one byte (CHECKed). */
void t_write_byte(int fd, char c);
/* Wait up to timeout_ms (-1: forever) for one byte: the byte (0..255), -1 on timeout,
 * -2 at end of file or on error. */
int t_read_byte(int fd, int timeout_ms);
/* Wait up to 20 s for the byte `expected` from `child` on fd; on anything else SIGKILL and reap
 * the child, then fail naming `what`. */
void t_expect_byte(int fd, char expected, pid_t child, const char *what);
/* Like t_wait_ok, but SIGKILL the child and fail if it has not exited within timeout_ms. */
void t_wait_ok_within(pid_t pid, int timeout_ms);
/* Write all n bytes / read exactly n bytes (CHECKed; reading fails at end of file). */
void t_write_all(int fd, const void *buf, size_t n);
void t_read_all(int fd, void *buf, size_t n);
/* Everything fd gives until end of file, NUL-terminated: free() it. */
char *t_read_to_end(int fd);

/* Entries of dir (but "." and ".."), only those starting with prefix unless it is NULL. */
int t_count_entries(const char *dir, const char *prefix);
/* Remove dir and the files in it. */
void t_remove_dir(const char *dir);

#endif
