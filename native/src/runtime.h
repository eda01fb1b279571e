/* Internal state and helpers of libmemcov.so; nothing here is exported. */
#ifndef MEMCOV_RUNTIME_H
#define MEMCOV_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memcov.h"
#include "memcov_files.h"
#include "memcov_region.h"

#define MCOV_HIDDEN __attribute__((visibility("hidden")))

/* Local slots are 32-bit guard values, so one process addresses at most 4 GiB of edges.
 * The first page is the sink: guard 0 (not yet initialized) and dropped edges land there. */
#define MCOV_WINDOW_BYTES (1ull << 32)
#define MCOV_SINK_BYTES MCOV_EDGE_ALIGN
#define MCOV_FIRST_MODULES 8 /* module records without a malloc (struct mcov_runtime) */

/* CLOCK_MONOTONIC in ns and in ms: the deadlines of waits and time limits (runtime.c). */
MCOV_HIDDEN uint64_t mcov_monotonic_ns(void);
MCOV_HIDDEN int64_t mcov_monotonic_ms(void);

/* A wait for a lock another process holds (lockwait.c): try the lock, and while it is held and
 * mcov_lock_wait says so (false once max_wait_ns passed), try again. */
struct mcov_lock_wait {
    uint64_t spin_until;
    uint64_t deadline;
    long nap_ns;
    long max_nap_ns;
};
MCOV_HIDDEN void mcov_lock_wait_start(struct mcov_lock_wait *w, uint64_t max_wait_ns, long max_nap_ns);
MCOV_HIDDEN bool mcov_lock_wait(struct mcov_lock_wait *w);

static inline uint64_t mcov_round_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) / align * align;
}

/* --- errors (error.c) --- */
MCOV_HIDDEN int mcov_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every public call that can fail starts here: after it, "" means it succeeded. */
MCOV_HIDDEN void mcov_clear_error(void);
MCOV_HIDDEN void mcov_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The calls of memcov_files.h run between these two: the error is kept for mcov_last_error()
 * and never printed, since the caller (a tool) reports it. end returns rc. */
MCOV_HIDDEN void mcov_begin_quiet_call(void);
MCOV_HIDDEN int mcov_end_quiet_call(int rc);
/* A copy of the thread's last error, and putting it back (for calls that only ask a question). */
MCOV_HIDDEN void mcov_save_error(char saved[1024]);
MCOV_HIDDEN void mcov_restore_error(const char saved[1024]);

/* --- ELF notes (identity.c) --- */
struct dl_phdr_info;
/* The description of the object's first note of that type and name (NUL included in the match),
 * and its size; NULL if it has none. */
MCOV_HIDDEN const uint8_t *mcov_find_note(const struct dl_phdr_info *info, uint32_t type,
                                          const char *name, uint32_t *desc_size);

/* --- starting targets (spawn.c), for the servers too (server.c) --- */
struct mcov_spawn_request;
/* mcov_spawn and mcov_spawn_wait without their quiet-call bracket. */
MCOV_HIDDEN int mcov_spawn_start(const struct mcov_spawn_request *req, int32_t *pid_out);
MCOV_HIDDEN int mcov_spawn_reap(int pid, int32_t timeout_ms, int32_t *status);
/* Wait for child pid, which leads a process group, to end; kill the rest of its group while its
 * zombie holds the group's id; reap it: true and its raw wait status. */
MCOV_HIDDEN bool mcov_reap_group(int pid, int32_t *status);

/* --- whole buffers through descriptors (fileio.c) --- */
/* Read n bytes at offset at into buf: false at end of file or on an error. */
MCOV_HIDDEN bool mcov_read_at(int fd, uint8_t *buf, uint64_t n, uint64_t at);
/* Read n bytes from a stream (a pipe): false at its end or on an error. */
MCOV_HIDDEN bool mcov_read_all(int fd, uint8_t *buf, uint64_t n);
/* Open path for reading if it is a regular file (never waiting on a FIFO): the descriptor and
 * its size, or -errno (EINVAL: not a regular file). */
MCOV_HIDDEN int mcov_open_regular(const char *path, uint64_t *size);
/* Write all n bytes at the descriptor's offset: false on an error. */
MCOV_HIDDEN bool mcov_write_all(int fd, const uint8_t *p, uint64_t n);
/* Whether descriptor fd holds the file dev:ino: the host owns descriptor numbers and may have
 * closed one the runtime kept, or put another file there. */
MCOV_HIDDEN bool mcov_fd_is(int fd, dev_t dev, ino_t ino);
/* Mark fd, a descriptor the runtime keeps, as its own: its file offset, which nothing uses
 * (every read and write through it is positional), becomes a tag that no other open of the file
 * has (a tool's handle, opened at a number the host freed). The tag, or MCOV_FD_UNTAGGED where
 * the file cannot be seeked (then only the file tells it). */
#define MCOV_FD_UNTAGGED UINT64_MAX
MCOV_HIDDEN uint64_t mcov_fd_tag(int fd);
/* Whether fd is the runtime's own descriptor of dev:ino, which mcov_fd_tag gave tag. */
MCOV_HIDDEN bool mcov_fd_own(int fd, dev_t dev, ino_t ino, uint64_t tag);

/* --- module identity (identity.c) --- */
struct mcov_identity {
    uint32_t kind;
    uint32_t len;
    uint8_t bytes[32];
    uint64_t file_size;
    uint64_t edge_count;
    uint32_t mode;
    char path[184];
    uintptr_t bias; /* dlpi_addr of the object while it is loaded; never compared */
    /* The executable's path and file_size are not read yet: it has a build-id, which matches
     * without them (mcov_identity_complete, mcov_identity_adopt). */
    bool path_pending;
};
/* The identity of the object holding addr. The executable's path, a lookup in /proc that costs
 * a fresh process about 0.1 ms, is left pending when a build-id identifies it. */
MCOV_HIDDEN void mcov_identity_of(const void *addr, uint64_t edges, uint32_t mode,
                                  struct mcov_identity *out);
/* Read a pending path and file size now. */
MCOV_HIDDEN void mcov_identity_complete(struct mcov_identity *id);
/* Take a pending path and file size from the region's entry of the same module (same build-id). */
MCOV_HIDDEN void mcov_identity_adopt(struct mcov_identity *id, const mcov_module_entry *e);
/* The load bias (dlpi_addr) of the object holding addr; false if none does. */
MCOV_HIDDEN bool mcov_object_bias(const void *addr, uintptr_t *bias);
MCOV_HIDDEN bool mcov_identity_matches(const struct mcov_identity *id, const mcov_module_entry *e);
MCOV_HIDDEN bool mcov_identity_equal(const struct mcov_identity *a, const struct mcov_identity *b);
MCOV_HIDDEN void mcov_identity_from_entry(const mcov_module_entry *e, struct mcov_identity *out);
/* FNV-1a-64 of what matching compares: the identity bytes, edge_count, mode, id_kind, and for a
 * path identity file_size (each little-endian, in that order). */
MCOV_HIDDEN uint64_t mcov_identity_hash(const mcov_module_entry *e);

/* --- the lanes file of an open region (lanes.c) --- */
/* Why a process took no lane: nothing (it asks), its descriptor of the region (its parent's, or
 * one the host closed or replaced), or the region's lanes (none free, their lock stuck, no file,
 * no room). */
enum mcov_lane_refusal { MCOV_LANE_ASK, MCOV_LANE_REFUSED_DESCRIPTOR, MCOV_LANE_REFUSED_REGION };
struct mcov_lanes {
    int fd;              /* kept while the region is open; -1 when the region has none usable */
    uint8_t *base;       /* the lanes header and table, MAP_SHARED */
    uint64_t table_bytes;
    uint32_t count;
    uint64_t offset;     /* where lane 0 starts */
    dev_t dev;
    ino_t ino;
    uint64_t fd_tag;     /* mcov_fd_tag of fd */
};

/* --- region files (region.c): no process state --- */
/* An open, validated and mapped region file: the process's attachment, or a tool's handle
 * (mcov_region_file, memcov_files.h). */
struct mcov_region {
    /* The descriptor that holds the liveness locks (liveness.c), kept open while the region is
     * held. The host may close or reuse any fd number once a memcov call returns: only the attach
     * that opened it (mcov_attach, or the registration that attached through MEMCOV_REGION) takes
     * the registration lock and maps through it; a create and later registrations open the path
     * again and check it is still this file. -1 when none. */
    int fd;
    dev_t dev;
    ino_t ino;
    uint64_t fd_tag; /* mcov_fd_tag of fd */
    /* The process fd was opened in (0: a fork child's, still its parent's): a fork child shares
     * its description, and with it the lane locks taken through it, which are then not the
     * child's to take or release. */
    pid_t fd_pid;
    /* A creator's fd holds its creator lock too: share_fd is the descriptor it mapped the region
     * through, holding the attached lock alone, which its fork children share instead of fd
     * until they open their own. -1 when none (not a creator, or a fork child, which keeps it as
     * fd). */
    int share_fd;
    uint64_t share_tag; /* mcov_fd_tag of share_fd */
    bool creator;       /* fd holds the creator lock */
    uint8_t *base; /* the whole file, MAP_SHARED */
    uint64_t size;
    mcov_region_header *header;
    uint8_t *map;
    /* Validated at open; the live header is never re-read for addressing, since any process
     * of the same user can write it. */
    uint64_t capacity;
    uint64_t map_offset;
    uint64_t table_offset;
    uint32_t table_capacity; /* bounded by the room before the map */
    uint32_t version;        /* as read, also when open fails with MCOV_E_VERSION */
    uint64_t creator_pid;
    uint64_t created_ns;
    uint32_t kind;           /* enum mcov_region_kind */
    uint64_t lanes_token;
    struct mcov_lanes lanes;
    bool lock_timed_out; /* the last registration gave up waiting: the next one does not wait */
    uint64_t faulted;    /* bytes of the map this process faulted in ahead of its counts */
    char name[MCOV_REGION_NAME_MAX + 1];
    char path[4096];
};
/* dir: the region directory, or NULL for $MEMCOV_SHM_DIR (else /dev/shm). */
MCOV_HIDDEN int mcov_region_check_name(const char *name);
MCOV_HIDDEN int mcov_region_path_of(const char *dir, const char *name, char *buf, size_t len);
/* Create the file (and its lanes file), complete, then link it into place; with opened, also
 * map the file just linked into it (NULL: only create). kind: enum mcov_region_kind. */
MCOV_HIDDEN int mcov_region_create_file(const char *dir, const char *name, uint64_t capacity_edges,
                                        uint32_t kind, struct mcov_region *opened);
MCOV_HIDDEN int mcov_region_open(const char *dir, const char *name, struct mcov_region *out);
MCOV_HIDDEN void mcov_region_close(struct mcov_region *r);
/* Keep fd as r->fd, tagged as the runtime's own (mcov_fd_tag), opened by this process. */
MCOV_HIDDEN void mcov_region_keep_fd(struct mcov_region *r, int fd);
/* Whether fd is still r's own descriptor of the region, opened in this process: lane locks go
 * through it and through nothing else (not another open of the region, nor a description a fork
 * shares with the parent), so that they are this process's and die with it. */
MCOV_HIDDEN bool mcov_region_fd_own(const struct mcov_region *r, int fd);
MCOV_HIDDEN int mcov_region_remove_file(const char *dir, const char *name);
/* Remove the file only if no process holds it (MCOV_E_IN_USE otherwise). */
MCOV_HIDDEN int mcov_region_remove_unused(const char *dir, const char *name);
/* The MCOV_LIVE_* bits of the file at NAME's path, without holding it. */
MCOV_HIDDEN int mcov_region_liveness(const char *dir, const char *name, uint32_t *state);
/* Clear the region for every reader: a new epoch, masks over the live lanes, the map zeroed (the
 * only way edges leave a region). */
MCOV_HIDDEN int mcov_region_clear(const struct mcov_region *r);
/* Whether a lane other than own is taken: a count with none has nothing to fold, and no lock to
 * take (a lane taken meanwhile holds hits made after the count began). */
MCOV_HIDDEN bool mcov_lanes_any_taken(const struct mcov_region *r, int32_t own);
/* Fold every lane but own into the map, so that the map is the union (readers call it first);
 * with no lane but own taken, nothing, and no lock taken. */
MCOV_HIDDEN int mcov_region_sync(const struct mcov_region *r, int32_t own);
/* Take the registration lock: on r->fd if fd_checked (the running attach opened it), else on the
 * path opened again and checked to be the same file. Returns the descriptor locked (mappings of
 * the region's slices are made from it; mcov_region_lock_close with the same fd_checked ends
 * with it), or a negative code. */
MCOV_HIDDEN int mcov_region_lock(struct mcov_region *r, bool fd_checked);
/* Release the registration lock (again if released already) and close a descriptor opened again
 * (!fd_checked). Told, not inferred from the number: the host may have closed r->fd, and the open
 * again got its number. */
MCOV_HIDDEN void mcov_region_lock_close(int fd, bool fd_checked);
/* Edges set in the current view (mcov_get_now64), under the lock. */
MCOV_HIDDEN uint64_t mcov_count_view_locked(void);
/* Map the first pages of this process's view of the map now (best effort), recorded in r->faulted. */
MCOV_HIDDEN void mcov_region_prefault(struct mcov_region *r);
/* Fault in the map's pages in [r->faulted, upto) with one call before a count reads them; upto
 * is rounded up to a page and bounded by the capacity. */
MCOV_HIDDEN void mcov_region_fault_ahead(struct mcov_region *r, uint64_t upto);
/* Record that [0, n) of r's map is faulted in (r->faulted grows only). */
MCOV_HIDDEN void mcov_region_faulted_at_least(struct mcov_region *r, uint64_t n);
/* The allocation cursor, bounded by the capacity whatever another process wrote. */
MCOV_HIDDEN uint64_t mcov_region_cursor(const struct mcov_region *r);
/* Published module entries, bounded by the table's capacity. */
MCOV_HIDDEN uint32_t mcov_region_module_count(const struct mcov_region *r);
/* Copy entry i of the table into out, reading the shared bytes once, and return true if the
 * copy is valid. Callers check and use only the copy: another process can rewrite the table
 * between two reads. */
MCOV_HIDDEN bool mcov_region_read_entry(const struct mcov_region *r, uint32_t i,
                                        mcov_module_entry *out);
/* The rule every entry of a region or a map file follows, whatever its range: an edge count of
 * 1 to 2^32, a file size below 2^63, a mode and an identity kind this version defines, an
 * identity of 1 to 32 bytes. */
MCOV_HIDDEN bool mcov_entry_identity_valid(const mcov_module_entry *e);
/* Under the registration lock, taken on fd (mcov_region_lock), which the table is read from:
 * id's base, found by identity or allocated at the cursor; -1 if it does not fit (counted in the
 * header, with one warning). A pending path is taken from the entry found, or read before a new
 * entry is written. */
MCOV_HIDDEN int64_t mcov_region_claim_one(const struct mcov_region *r, int fd, struct mcov_identity *id);
/* Under the registration lock, taken on fd: every identity's base, or MCOV_E_TOO_SMALL and
 * nothing written (*needed: the capacity that would hold them, if needed is not NULL). */
MCOV_HIDDEN int mcov_region_claim_all(const struct mcov_region *r, int fd,
                                      const struct mcov_identity *ids, uint32_t count,
                                      uint64_t *bases, uint64_t *needed);
/* The lanes_token of the region file open at fd, 0 if its header names none (this version's). */
MCOV_HIDDEN uint64_t mcov_region_lanes_token(int fd);
/* The region directory: dir if given, else $MEMCOV_SHM_DIR, else /dev/shm. */
MCOV_HIDDEN const char *mcov_region_dir(const char *dir);
/* A module that records privately: counted in edges_dropped and modules_private. */
MCOV_HIDDEN void mcov_region_count_private(const struct mcov_region *r, uint64_t edges);

/* --- liveness (liveness.c): OFD locks on the region file's reserved bytes --- */
/* Read-lock MCOV_LOCK_ATTACHED (and MCOV_LOCK_CREATOR) on fd, waiting out a sweeper. */
MCOV_HIDDEN int mcov_liveness_hold(int fd, const char *name, const char *path, bool creator);
/* The MCOV_LIVE_* bits: which of those bytes another open file description holds. */
MCOV_HIDDEN uint32_t mcov_liveness_of(int fd);
/* Write-lock MCOV_LOCK_ATTACHED if no one holds the region; false if someone does. */
MCOV_HIDDEN bool mcov_liveness_take_unused(int fd);
/* Close fd if it still is the runtime's own descriptor of the file (mcov_fd_own). */
MCOV_HIDDEN void mcov_liveness_drop(int fd, dev_t dev, ino_t ino, uint64_t tag);

/* --- lanes (lanes.c) --- */
MCOV_HIDDEN int mcov_lanes_path(const char *region_path, const char *name, uint64_t token,
                                char *buf, size_t len);
MCOV_HIDDEN uint64_t mcov_lanes_table_bytes(uint32_t count);
/* Create the lanes file of a region about to be created at region_path; *token names it. */
MCOV_HIDDEN int mcov_lanes_create(const char *region_path, const char *name, uint64_t capacity,
                                  uint64_t *token);
MCOV_HIDDEN void mcov_lanes_remove(const char *region_path, const char *name, uint64_t token);
/* Remove region NAME's lanes files but the one the region now at region_path names (if any), of
 * at least min_age_s seconds: a region removed by other means, or with a damaged header. */
MCOV_HIDDEN void mcov_lanes_remove_stale(const char *region_path, const char *name,
                                         uint64_t min_age_s);
/* Remove the lanes files in dir of at least min_age_s seconds whose region is gone or names
 * another: returns how many, or a negative code. */
MCOV_HIDDEN int64_t mcov_lanes_sweep(const char *dir, uint64_t min_age_s);
/* Open, check and map the lanes file of r (its header validated): fills r->lanes. owner: the
 * region file's owner, checked to be this process's user; the lanes file must be its too. */
MCOV_HIDDEN int mcov_lanes_open(struct mcov_region *r, uint64_t token, uint32_t count, uid_t owner);
MCOV_HIDDEN void mcov_lanes_close(struct mcov_region *r);
MCOV_HIDDEN mcov_lane_entry *mcov_lane_at(const struct mcov_region *r, uint32_t k);
/* The region's reset epoch (acquire). */
MCOV_HIDDEN uint64_t mcov_region_epoch(const struct mcov_region *r);
/* What of lane k counts for the union at epoch. */
enum mcov_lane_part { MCOV_LANE_ALL, MCOV_LANE_BEYOND_MASK, MCOV_LANE_NONE };
MCOV_HIDDEN enum mcov_lane_part mcov_lane_part(const struct mcov_region *r, uint32_t k,
                                               uint64_t epoch);
/* Bytes of lane k reserved (and readable), bounded by the capacity. */
MCOV_HIDDEN uint64_t mcov_lane_extent(const struct mcov_region *r, uint32_t k);
/* Read lane k's mask bytes [from, from + n) into buf. */
MCOV_HIDDEN bool mcov_lane_read_mask(const struct mcov_region *r, uint32_t k, uint64_t from,
                                     uint8_t *buf, uint64_t n);
/* flock on the lanes file, shared (folding into the map) or exclusive (a reset), waiting a
 * bounded time: returns the descriptor to close, or a negative code. */
MCOV_HIDDEN int mcov_lanes_lock(const struct mcov_region *r, bool exclusive);
/* Release and close what mcov_lanes_lock returned. */
MCOV_HIDDEN void mcov_lanes_unlock(int fd);
/* In a fork child: close the copies of the descriptors other threads of the parent held lanes
 * flocks through (memcov_files.h calls), which would keep them locked while the child lives. */
MCOV_HIDDEN void mcov_lanes_forget_locks(void);
/* Under the shared lock: fold every lane but own into the map; free those whose owner died. fd
 * holds the region (lane locks are taken on it); -1 to fold only. An error when the lanes file
 * cannot be reached (nothing folded) or a lane cannot be read whole (the others folded). */
MCOV_HIDDEN int mcov_lanes_fold(const struct mcov_region *r, int fd, int32_t own);
/* Under the exclusive lock: a new epoch, a mask for each live lane, dead lanes freed. The
 * caller clears the map after, if it returns MCOV_OK; without room for the masks it changes
 * nothing and returns MCOV_E_NO_SPACE. */
MCOV_HIDDEN int mcov_lanes_reset(const struct mcov_region *r, int fd);
/* The process's region held through a descriptor of its own, opened again (false: it kept
 * the one it had). A fork server's child that needs no lane at the fork keeps its server's. */
MCOV_HIDDEN bool mcov_region_own_descriptor(void);
/* Take a lane with a lock on fd, under a shared lanes lock the caller holds (a fork child's): a
 * small dead owner's first (folded, and cleared in place), else a free one while the owned lanes
 * are within their budget, else the first that can be locked (a dead owner's, folded first);
 * MCOV_LANE_NONE_FREE if none can be, MCOV_LANE_UNREACHABLE if the lanes cannot be reached (no
 * lanes file or fd not r's own, with no error set; the lanes file failed, with the reason as the
 * last error). */
#define MCOV_LANE_NONE_FREE (-1)
#define MCOV_LANE_UNREACHABLE (-2)
MCOV_HIDDEN int32_t mcov_lane_take_locked(const struct mcov_region *r, int fd);
/* A lane taken as mcov_lane_take_locked takes one, for a process's own modules, under the shared
 * lanes lock the claim holds until mcov_lane_claim_end (MCOV_LANE_UNREACHABLE also when that lock
 * failed), so that no reset comes between the take and the fold of what a dead owner left in it.
 * io is the lanes file open for I/O meanwhile (-1: not open). A small dead owner's lane all of
 * whose bytes count keeps them, [0, inherited) (0: none), for the taker to fold and clear before
 * it places a section there: through its mapping (mcov_lane_fold_mapped) where it maps the lane,
 * through the file (mcov_lane_fold_range) elsewhere. */
struct mcov_lane_claim {
    int32_t lane;
    int lock;
    int io;
    uint64_t inherited;
};
MCOV_HIDDEN void mcov_lane_claim(const struct mcov_region *r, int fd, struct mcov_lane_claim *c);
/* OR lane[0, n), a mapping of a claimed lane, into map[0, n) (the region's bytes at the same
 * slots), then clear its pages that hold data. */
MCOV_HIDDEN void mcov_lane_fold_mapped(const struct mcov_region *r, uint8_t *map, uint8_t *lane,
                                       uint64_t n);
/* Fold what lane k's slots [from, to) count for into the map through the file, and clear them (io
 * as for mcov_lane_reserve): false if they could not be read or cleared, and then the lane keeps
 * what it could not clear. */
MCOV_HIDDEN bool mcov_lane_fold_range(const struct mcov_region *r, int32_t k, int io,
                                      uint64_t from, uint64_t to);
MCOV_HIDDEN void mcov_lane_claim_end(const struct mcov_region *r, struct mcov_lane_claim *c);
/* Under a shared lanes lock: OR bytes[0, n) into lane k's mask from slot from on (false if it
 * could not be written). */
MCOV_HIDDEN bool mcov_lane_mask_or(const struct mcov_region *r, int32_t k, uint64_t from,
                                   const uint8_t *bytes, uint64_t n);
/* Under a shared lanes lock: lane child's mask over slots [from, from + n) becomes parent's. */
MCOV_HIDDEN void mcov_lane_inherit_mask(const struct mcov_region *r, int32_t child, int32_t parent,
                                        uint64_t from, uint64_t n);
/* Set lane k's mask_epoch, then its seen_epoch. */
MCOV_HIDDEN void mcov_lane_set_epochs(const struct mcov_region *r, int32_t k, uint64_t seen,
                                      uint64_t mask);
/* Reserve bytes [from, to) of lane k (and publish the extent, the end of what it reserved): 0 or
 * an errno. io is the lanes file open for I/O (a claim's), or -1 to open it here. */
MCOV_HIDDEN int mcov_lane_reserve(const struct mcov_region *r, int32_t k, uint64_t from,
                                  uint64_t to, int io);
/* Map lane k's bytes [base, base + span) at at (MAP_FIXED); io as for mcov_lane_reserve. */
MCOV_HIDDEN bool mcov_lane_map(const struct mcov_region *r, int32_t k, uint64_t base,
                               uint64_t span, uint8_t *at, int io);
/* The owner folded and cleared its lane: all of it counts from epoch on. */
MCOV_HIDDEN void mcov_lane_adopt_epoch(const struct mcov_region *r, int32_t k, uint64_t epoch);
/* Give lane k back: its memory freed, free, unlocked (on fd). Nothing may map it any more. */
MCOV_HIDDEN void mcov_lane_release(const struct mcov_region *r, int fd, int32_t k);

/* --- PC tables (pctable.c): a module's edge addresses, in a file beside the region --- */
/* The module's PC file: DIR/.memcov-pcs-NAME-TOKEN-HASH, HASH naming the entry's identity. */
MCOV_HIDDEN int mcov_pcs_path(const char *region_path, const char *name, uint64_t token,
                              const mcov_module_entry *e, char *buf, size_t len);
/* Write the PC file of e's identity beside r, unless one is there: the table, as offsets. */
MCOV_HIDDEN int mcov_pcs_write(const struct mcov_region *r, const mcov_module_entry *e,
                               const mcov_map_pc *pcs);
/* Read the PC file of e's identity into out[0, e->edge_count): e->edge_count, 0 if r has none, or
 * a negative code (a file that is not this module's table). */
MCOV_HIDDEN int64_t mcov_pcs_read(const struct mcov_region *r, const mcov_module_entry *e,
                                  mcov_map_pc *out);
/* After modules joined r: the PC file of each one that has a table and is still loaded. */
MCOV_HIDDEN void mcov_pcs_publish(const struct mcov_region *r);
/* The entry of an identity (base 0). */
MCOV_HIDDEN void mcov_entry_of_identity(const struct mcov_identity *id, mcov_module_entry *e);
/* The directory part of a path into buf. */
MCOV_HIDDEN const char *mcov_dir_of(const char *path, char *buf, size_t len);

/* --- the process's modules (modules.c) --- */
/* What a no-call module's section maps. */
enum mcov_section_place {
    MCOV_SECTION_OWN_MEMORY, /* its own pages, copied by memcov calls (mirrored) */
    MCOV_SECTION_REGION,     /* the region's slice: the base view */
    MCOV_SECTION_LANE,       /* the process's lane: an own view */
};

struct mcov_module {
    uint64_t local;       /* first local slot (the guard value of edge 0) */
    uint64_t span;        /* bytes of the slice: edge_count rounded up to MCOV_EDGE_ALIGN */
    int64_t region_base;  /* slot in the attached region, or -1 when recording privately */
    bool fresh;           /* its window slice holds nothing yet (and may be unmapped): joining
                           * maps the region there with nothing to carry over */
    struct mcov_identity id;
    /* No-call modules only (inline.c says where a section is when). */
    uint8_t *section;     /* __sancov_bools or __sancov_cntrs; NULL for callback modules, or unloaded */
    bool counters;        /* section counts (inline-8bit-counters): in the lane in every view */
    uintptr_t load_base;  /* dlpi_addr of the object holding section: tells it is still loaded */
    bool mappable;        /* page-aligned and padded by memcov-inline.ld: may be mapped over */
    bool in_lane;         /* the own-window slice maps the process's lane (MAP_SHARED) */
    enum mcov_section_place place;
    /* pc-table modules: the module's (PC, flags) pairs, in its own memory, and the lanes_token
     * of the region that has its PC file (0: none yet). */
    const uintptr_t *pcs;
    uint64_t pcs_token;
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
    uint8_t *own;    /* the own view, same layout, private pages (from the first own view or count) */
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
    uint32_t inline_count;          /* no-call modules registered */
    int32_t lane;                   /* the lane this process owns in the attached region, or -1 */
    /* No lane was taken, and why: it asks again at its next attach, and a fork child with a
     * descriptor of its own asks again where its parent's descriptor was the reason. */
    enum mcov_lane_refusal lane_refusal;
    /* A dead owner's bytes below this, outside the modules in the lane, that a fold through the
     * file has yet to put into the map and clear (0: none); before it has, the lane adopts no
     * new epoch and is not released. */
    uint64_t lane_leftover;
    unsigned long long dl_subs;     /* objects unloaded so far (dlpi_subs), at the last check */
    bool own_ready;    /* the own window is mapped (mcov_own_window_ready) */
    bool own_written;  /* an own view was opened once: the own window holds bytes to clear */
    bool layout_asked; /* get_total was called: its layout bounds copy/set_hitmap */
    uint64_t layout_cursor;
    uint64_t layout_total;
    /* The first modules' records: a worker's start-up then calls no malloc (whose first call sets
     * the heap up). Here, not in .bss, they end .data, on the page where .bss starts, which the
     * loader writes (zeroing .bss's part of it): no page fault of their own. */
    struct mcov_module first_modules[MCOV_FIRST_MODULES];
};

MCOV_HIDDEN extern struct mcov_runtime mcov_rt;

/* The process-wide lock (runtime.c): registration, views and attachment change under it. */
MCOV_HIDDEN void mcov_lock(void);
MCOV_HIDDEN void mcov_unlock(void);
/* Every public memcov call starts here: the lock, then mcov_inline_sync, so the call sees (and
 * the region gets) what no-call modules recorded in mirrored sections. */
MCOV_HIDDEN void mcov_lock_and_sync(void);
/* Reserve the windows once; false if the address space is not there. */
MCOV_HIDDEN bool mcov_windows_ready(void);
/* Map the own window's sink and each module's own slice not in the lane, once: before the first
 * own view, or counting, nothing reads or writes there but lanes, which map themselves. False,
 * with errno, if pages cannot be mapped. */
MCOV_HIDDEN bool mcov_own_window_ready(void);
/* The size of a page. */
MCOV_HIDDEN long mcov_page_size(void);
/* Runs of resident pages of private memory p[0, n): a page never touched is not resident
 * (mincore) and holds zeros, and reading it would fault it in. mcov_pages_run gives, from p + i
 * (i < n), the end (at most n) of a run of pages that are all resident or all not, and *resident
 * which; mincore answers for 256 pages at a time. On a system with swap (where a page written and
 * then swapped out is not resident either), or where mincore refuses, all of it is resident. */
struct mcov_pages {
    const uint8_t *p;
    uint64_t n;
    uintptr_t from; /* the first page vec describes */
    uint64_t pages; /* how many it describes; 0: none yet */
    bool all;
    unsigned char vec[256];
};
MCOV_HIDDEN void mcov_pages_start(struct mcov_pages *s, const uint8_t *p, uint64_t n);
MCOV_HIDDEN uint64_t mcov_pages_run(struct mcov_pages *s, uint64_t i, bool *resident);
/* Map fresh private pages over [local, local + span) of a window (mcov_rt.window or .own). */
MCOV_HIDDEN bool mcov_window_map_private(uint8_t *window, uint64_t local, uint64_t span);
/* Map the region's slots [base, base + span) over the window at local, from fd: a
 * descriptor of the region file opened and checked just now (mcov_region_lock). */
MCOV_HIDDEN bool mcov_window_map_region(int fd, const struct mcov_region *r, uint64_t local,
                                        uint64_t base, uint64_t span);
/* After a failed MAP_FIXED over [at, at + span) (a window slice, a module's flags) the kernel
 * may have removed the old pages, and live code stores there. Keep the old pages if they are
 * still mapped, else map private pages and OR held[0, n) into them (held may be NULL). */
enum mcov_slice_state { MCOV_SLICE_KEPT, MCOV_SLICE_PRIVATE, MCOV_SLICE_LOST };
MCOV_HIDDEN enum mcov_slice_state mcov_remap_recover(uint8_t *at, uint64_t span,
                                                     const uint8_t *held, uint64_t n);
/* libmemcov.so's copy of the hot pointers (record.h), head of the list of registered copies. */
struct mcov_hot;
MCOV_HIDDEN extern struct mcov_hot mcov_hot;
/* The own view the hot path writes besides the base, or NULL (base view). */
MCOV_HIDDEN void mcov_set_own_pointer(uint8_t *own);
/* Whether callback modules count every hit in the own window (a hit-count region, every callback
 * module in the lane) or test and set flags; false if counting could not start. */
MCOV_HIDDEN bool mcov_set_counting(bool on);

/* --- joining and leaving a region (attach.c), under the process lock --- */
/* Give modules [first, module_count) a range of the region (under the region's file lock);
 * modules that do not fit stay private and are counted. Moves their private hits into it.
 * fd_checked: join through r->fd, which the running attach opened (mcov_region_lock). */
MCOV_HIDDEN void mcov_modules_join(struct mcov_region *r, uint32_t first, bool fd_checked);
MCOV_HIDDEN int mcov_attach_locked(const char *name);
/* Attach to a region just opened (or created) by this process; takes it over. fd_checked: modules
 * join through r->fd (mcov_region_lock); a creator's r->fd holds its creator lock and is never
 * mapped, since a mapping that fork children inherit would keep that lock after the creator. */
MCOV_HIDDEN void mcov_attach_region_locked(struct mcov_region *r, bool fd_checked);
MCOV_HIDDEN void mcov_detach_locked(void);

/* --- no-call modules (inline.c) --- */
/* Whether [start, stop) was laid out by memcov-inline.ld: page-aligned, followed by the
 * marker and padding to a page, inside one writable segment. Sets *load_base. */
MCOV_HIDDEN bool mcov_section_mappable(uint8_t *start, uint8_t *stop, uintptr_t *load_base);
/* At the start of every memcov call (mcov_lock_and_sync), at fork, at exit and when a module
 * unloads: OR every mirrored section into its module's base and open own view; on the base view
 * after a reset elsewhere, fold the lane and start it from the new epoch. */
MCOV_HIDDEN void mcov_inline_sync(void);
/* OR what this process's lane counts for into the base (no clearing): before a read of the base
 * view (at_exit false: not in a hit-count region, whose counts are partial until then) or at
 * exit. */
MCOV_HIDDEN void mcov_inline_fold_lane(bool at_exit);
/* The own view was cleared (reset, push) or is about to be replaced (set_hitmap): fold and clear
 * the lane and drain each mirrored section into the base, so they collect own hits from now on. */
MCOV_HIDDEN void mcov_inline_own_cleared(void);
/* Move each mirrored section's hits into its base and clear them (region reset). */
MCOV_HIDDEN void mcov_inline_drain_mirrored(void);
/* Put every section where it belongs for the view and the attachment: the region's slice on the
 * base view, the lane in an own view (taking one, and moving own views into it, which
 * own_view_empty says need not be copied), else its own memory. After a join, a view change and
 * a reload. */
MCOV_HIDDEN void mcov_inline_place_sections(bool own_view_empty);
/* Detaching: sections get private pages again (mirrored), the own view keeps what the lane
 * held, the base gets it, and the lane is given back. */
MCOV_HIDDEN void mcov_inline_leave_lanes(void);
/* In a fork child: a lane of its own in place of the parent's, never the parent's; none unless
 * own_fd (the child holds the region through a descriptor of its own, on which it can lock one). */
MCOV_HIDDEN void mcov_inline_after_fork(bool own_fd);
/* A pop brings saved own-view bytes back into the lane: after a reset elsewhere they must stay
 * hidden from the union, as the edges of a callback module's restored own view are. */
MCOV_HIDDEN void mcov_inline_mask_restored(const uint8_t *saved, uint64_t len);
/* OR src[0, n) into module m's base and open own view from its edge at on (views.c): flags, or
 * in a hit-count region classes (into a lane, the counts they stand for). */
MCOV_HIDDEN void mcov_view_or_module(const struct mcov_module *m, uint64_t at, const uint8_t *src,
                                     uint64_t n);
/* Attached to a hit-count region: the base holds classes, and a module's lane or counters hold
 * counts, folded as their classes (runtime.c). */
MCOV_HIDDEN bool mcov_counts_classes(void);
/* Before the base view is read: this process's lane and every other lane folded in. */
MCOV_HIDDEN void mcov_fold_lanes_for_union(void);

/* --- offline maps (mapfile.c, memcov_map.h) --- */
/* One module to write: its entry (base ignored) and its edges. */
struct mcov_map_source {
    mcov_module_entry entry;
    const uint8_t *edges;   /* NULL: all 0 */
    const mcov_map_pc *pcs; /* entry.edge_count entries, or NULL: no PC table */
};
/* Check a whole offline map of any format mcov_map_check reads. */
MCOV_HIDDEN int mcov_map_check_bytes(const uint8_t *data, uint64_t size, mcov_map_summary *out);
/* Check, then read the modules and their edges (base = offset into edges). */
MCOV_HIDDEN int mcov_map_read_bytes(const uint8_t *data, uint64_t size, mcov_module_entry *modules,
                                    uint32_t n, uint8_t *edges, uint64_t edge_len);
/* Bytes of a version 2 map file of n modules, edge_count edges and pc_count PC-table entries;
 * 0 when too large. */
MCOV_HIDDEN uint64_t mcov_map_size_of(uint32_t n, uint64_t edge_count, uint64_t pc_count);
/* Check, then read every module's PC table into pcs[base, + edge_count) ({0, 0} where none). */
MCOV_HIDDEN int mcov_map_read_pcs_bytes(const uint8_t *data, uint64_t size, mcov_map_pc *pcs,
                                        uint64_t len);
/* The same for a map already checked (s: what the check found): pcs holds s->edge_count entries. */
MCOV_HIDDEN void mcov_map_copy_pcs(const uint8_t *data, const mcov_map_summary *s,
                                   mcov_map_pc *pcs);
/* Write a version 2 map file of n modules into out[0, out_len): out_len must be the size. */
MCOV_HIDDEN int mcov_map_encode(const struct mcov_map_source *mods, uint32_t n, uint32_t kind,
                                uint8_t *out, uint64_t out_len);

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
/* The first i + 64k below n whose 64 bytes p[i + 64k, ...) hold a non-zero byte, or n. p and i
 * are 64-byte aligned. Vectorized like mcov_count_set. */
MCOV_HIDDEN uint64_t mcov_next_set_block(const uint8_t *p, uint64_t i, uint64_t n);
/* A flag map's fold of a lane copied out of its file: map[i] becomes 1 where lane[i] is non-zero
 * and differs from mask[i] (mask NULL: no mask); only map bytes that are 0 are written. */
MCOV_HIDDEN void mcov_fold_flags(uint8_t *map, const uint8_t *lane, const uint8_t *mask, uint64_t n);

#endif
