/* Lanes: slices of shared memory that one process owns and only it writes (docs/region-format.md,
 * "Lanes"). They live in a file beside the region, .memcov-lanes-NAME-TOKEN, each laid out like
 * the map and reserved by its owner from its start as far as it uses it. A no-call module's
 * section is its owner's lane, mapped over it, so the compiler's store is the write into shared
 * memory, and nothing a process records lives only in its private memory.
 *
 * Ownership is a write lock (OFD) on byte MCOV_LOCK_LANE(k) of the region file, taken without
 * waiting through the descriptor that holds the region: the kernel drops it when the owner dies.
 * A lane reaches the map (the union) when it is folded: by its owner (inline.c) and by readers,
 * which OR every lane into the map before they read it (a flag is the same however often it is
 * ORed); whoever finds a lane OWNED but unlocked folds it and frees it, or, taking it, keeps its
 * bytes to fold and clear through its own mapping (mcov_lane_claim).
 *
 * A region reset never writes into a lane: it bumps the region's epoch and writes each live
 * lane's content into that lane's mask, so the union takes from the lane only the bytes that
 * change after the reset (a flag set, a counter counting on: every hit changes a counter, which
 * never wraps to 0), until its owner folds it and starts from the new epoch. Readers (shared) and
 * resets (exclusive) take flock on the lanes file, so that no fold puts bytes of before a reset
 * into the map it cleared. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "runtime.h"
#include "text.h"

/* Lanes are copied through their file a chunk at a time, in a buffer from the heap, or a small one
 * on the stack when the heap has none: thread-local buffers would be static TLS, zeroed at every
 * thread's start and every exec's, and large ones on the stack could overflow a small thread
 * stack (a module's registration runs in whatever thread loads it). */
enum { LANE_CHUNK = 32 << 10, LANE_CHUNK_SMALL = 4096 };

struct lane_buffer {
    uint8_t *p;     /* parts of size bytes each, one after the other */
    uint64_t size;
    uint8_t small[2 * LANE_CHUNK_SMALL];
};

static void buffer_get(struct lane_buffer *b, unsigned parts)
{
    b->p = malloc((size_t)LANE_CHUNK * parts);
    b->size = LANE_CHUNK;
    if (!b->p) {
        b->p = b->small;
        b->size = LANE_CHUNK_SMALL;
    }
}

static void buffer_put(struct lane_buffer *b)
{
    if (b->p != b->small)
        free(b->p);
}

/* How many bytes the owned lanes (live or dead) may hold before a process taking a lane folds a
 * dead owner's of any size rather than take a free one; also never more than half of what the
 * file system has free, so that dead lanes do not crowd out the lanes of live processes in a small
 * shm directory (a container's is often 64 MiB). */
#define MCOV_OWNED_LANES_BUDGET (256ull << 20)

/* Up to what extent a process taking a lane reuses a dead owner's first, keeping its pages, and
 * how many such owned lanes it tries to lock (a system call each). */
#define MCOV_DEAD_LANE_TRIES 8u
#define MCOV_LANE_REUSE_BYTES (1ull << 20)

const char *mcov_dir_of(const char *region_path, char *buf, size_t len)
{
    snprintf(buf, len, "%s", region_path);
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = 0;
    return buf;
}

int mcov_lanes_path(const char *region_path, const char *name, uint64_t token, char *buf,
                    size_t len)
{
    struct mcov_text t = mcov_text_in(buf, len);
    mcov_text_side_file(&t, region_path, MCOV_LANES_FILE_PREFIX, name, token);
    if (!t.fits)
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "the lanes file of region '%s' needs a path of more than %zu bytes: set "
                         "MEMCOV_SHM_DIR to a shorter directory",
                         name, len - 1);
    return MCOV_OK;
}

uint64_t mcov_lanes_table_bytes(uint32_t count)
{
    return mcov_round_up(sizeof(mcov_lanes_header) + (uint64_t)count * sizeof(mcov_lane_entry),
                         MCOV_EDGE_ALIGN);
}

/* Lane k's bytes, and its mask capacity bytes further. */
static uint64_t lane_offset(const struct mcov_region *r, uint32_t k)
{
    return r->lanes.offset + 2 * (uint64_t)k * r->capacity;
}

static int space_code(int err)
{
    return err == ENOSPC || err == EFBIG || err == EDQUOT ? MCOV_E_NO_SPACE : MCOV_E_SYSTEM;
}

static int reserve(int fd, uint64_t at, uint64_t len)
{
    int err;
    do
        err = posix_fallocate(fd, (off_t)at, (off_t)len);
    while (err == EINTR);
    return err;
}

/* Write buf[0, n) at offset at, reserved first (a hole written on a full tmpfs is SIGBUS for
 * whoever maps it): false if there is no room or the write fails. */
static bool reserve_and_write(int fd, const uint8_t *buf, uint64_t n, uint64_t at)
{
    return reserve(fd, at, n) == 0 && pwrite(fd, buf, n, (off_t)at) == (ssize_t)n;
}

int mcov_lanes_create(const char *region_path, const char *name, uint64_t capacity,
                      uint64_t *token)
{
    do {
        if (getrandom(token, sizeof *token, 0) != (ssize_t)sizeof *token)
            return mcov_fail(MCOV_E_SYSTEM, "cannot draw a token for region '%s': %s", name,
                             strerror(errno));
    } while (*token == 0);
    char path[4096];
    int rc = mcov_lanes_path(region_path, name, *token, path, sizeof path);
    if (rc)
        return rc;
    uint64_t table = mcov_lanes_table_bytes(MCOV_LANE_COUNT);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return mcov_fail(errno == ENOSPC ? MCOV_E_NO_SPACE : MCOV_E_SYSTEM,
                         "cannot create the lanes file of region '%s' (%s): %s", name, path,
                         strerror(errno));
    mcov_lanes_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MCOV_LANES_MAGIC, sizeof h.magic);
    h.version = MCOV_REGION_VERSION;
    h.header_size = sizeof h;
    h.token = *token;
    h.capacity_edges = capacity;
    h.lane_count = MCOV_LANE_COUNT;
    h.entry_size = sizeof(mcov_lane_entry);
    h.lanes_offset = table;
    int err = reserve(fd, 0, table);
    if (!err && ftruncate(fd, (off_t)(table + 2 * (uint64_t)MCOV_LANE_COUNT * capacity)) != 0)
        err = errno;
    if (!err && pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        err = errno ? errno : EIO;
    close(fd);
    if (err) {
        unlink(path);
        return mcov_fail(space_code(err), "cannot reserve the lanes file of region '%s' (%s): %s",
                         name, path, strerror(err));
    }
    return MCOV_OK;
}

void mcov_lanes_remove(const char *region_path, const char *name, uint64_t token)
{
    char path[4096];
    if (token && mcov_lanes_path(region_path, name, token, path, sizeof path) == MCOV_OK)
        unlink(path);
}

/* The region name and token of a file beside a region: a lanes file, ".memcov-lanes-NAME-TOKEN",
 * or a PC file, ".memcov-pcs-NAME-TOKEN-HASH" (hex_fields 1 or 2, 16 lowercase hex digits each);
 * false for another file. */
static bool parse_side_name(const char *file, const char *prefix_text, size_t hex_fields,
                            char *name, size_t len, uint64_t *token)
{
    size_t prefix = strlen(prefix_text), n = strlen(file), tail = 17 * hex_fields;
    if (strncmp(file, prefix_text, prefix) != 0 || n < prefix + tail + 1 || n - prefix - tail >= len)
        return false;
    uint64_t fields[2] = {0, 0};
    for (size_t f = 0; f < hex_fields; f++) {
        const char *at = file + n - tail + 17 * f;
        if (at[0] != '-')
            return false;
        for (size_t i = 1; i <= 16; i++) {
            char c = at[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                return false;
            fields[f] = fields[f] << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
    }
    memcpy(name, file + prefix, n - prefix - tail);
    name[n - prefix - tail] = 0;
    *token = fields[0];
    return mcov_region_check_name(name) == MCOV_OK;
}

static bool parse_side_file(const char *file, char *name, size_t len, uint64_t *token)
{
    return parse_side_name(file, MCOV_LANES_FILE_PREFIX, 1, name, len, token) ||
           parse_side_name(file, MCOV_PCS_FILE_PREFIX, 2, name, len, token);
}

/* The token the region file at path names now, 0 if none. */
static uint64_t token_at(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    uint64_t token = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? mcov_region_lanes_token(fd) : 0;
    close(fd);
    return token;
}

/* Remove the lanes files and PC files in dir (of region only, if not NULL) that no region names,
 * and that are at least min_age_s old: a creator links its region a moment after its lanes
 * file. */
static int64_t sweep(const char *dir, const char *only, uint64_t min_age_s)
{
    DIR *d = opendir(dir);
    if (!d)
        return mcov_fail(errno == ENOENT ? MCOV_E_NOT_FOUND : MCOV_E_SYSTEM,
                         "cannot list the region directory '%s': %s", dir, strerror(errno));
    int64_t removed = 0;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char name[MCOV_REGION_NAME_MAX + 1], region[4096];
        uint64_t token;
        struct stat st;
        if (!parse_side_file(e->d_name, name, sizeof name, &token) ||
            (only && strcmp(name, only) != 0))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            st.st_uid != geteuid() || (uint64_t)(now - st.st_mtime) < min_age_s)
            continue;
        if (mcov_region_path_of(dir, name, region, sizeof region) != MCOV_OK ||
            token_at(region) == token)
            continue;
        removed += unlinkat(dirfd(d), e->d_name, 0) == 0;
    }
    closedir(d);
    return removed;
}

void mcov_lanes_remove_stale(const char *region_path, const char *name, uint64_t min_age_s)
{
    char dir[4096];
    char saved[1024];
    mcov_save_error(saved); /* best effort: the removal's own outcome is what the caller reports */
    sweep(mcov_dir_of(region_path, dir, sizeof dir), name, min_age_s);
    mcov_restore_error(saved);
}

int64_t mcov_lanes_sweep(const char *dir, uint64_t min_age_s)
{
    return sweep(mcov_region_dir(dir), NULL, min_age_s);
}

int mcov_lanes_open(struct mcov_region *r, uint64_t token, uint32_t count, uid_t owner)
{
    struct mcov_lanes *l = &r->lanes;
    memset(l, 0, sizeof *l);
    l->fd = -1;
    char path[4096];
    int rc = mcov_lanes_path(r->path, r->name, token, path, sizeof path);
    if (rc)
        return rc;
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        mcov_warn("the lanes file of region '%s' (%s) cannot be opened (%s): own views of no-call "
                  "modules are private memory; remove the region and create it again",
                  r->name, path, strerror(errno));
        return MCOV_E_CORRUPT;
    }
    struct stat st;
    mcov_lanes_header h;
    uint64_t table = mcov_lanes_table_bytes(count);
    const char *why = NULL;
    /* Read, not taken from the table's mapping: a page's first touch costs more than a read. */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != owner)
        why = "not a regular file of this user";
    else if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        why = "truncated";
    else if (memcmp(h.magic, MCOV_LANES_MAGIC, sizeof h.magic) != 0 ||
             h.version != MCOV_REGION_VERSION || h.header_size != sizeof h || h.token != token ||
             h.capacity_edges != r->capacity || h.lane_count != count ||
             h.entry_size != sizeof(mcov_lane_entry) || h.lanes_offset != table)
        why = "its header does not match the region";
    else if ((uint64_t)st.st_size < table + 2 * (uint64_t)count * r->capacity ||
             (uint64_t)st.st_blocks * 512u < table)
        why = "truncated, or its table has holes";
    void *base = MAP_FAILED;
    if (!why && (base = mmap(NULL, table, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
        why = strerror(errno);
    if (why) {
        close(fd);
        mcov_warn("the lanes file of region '%s' (%s) is not usable (%s): own views of no-call "
                  "modules are private memory; remove the region and create it again",
                  r->name, path, why);
        return MCOV_E_CORRUPT;
    }
    l->fd = fd;
    l->fd_tag = mcov_fd_tag(fd);
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    l->base = base;
    l->table_bytes = table;
    l->count = count;
    l->offset = table;
    return MCOV_OK;
}

void mcov_lanes_close(struct mcov_region *r)
{
    struct mcov_lanes *l = &r->lanes;
    if (l->base) { /* the descriptor is open exactly while the table is mapped */
        munmap(l->base, l->table_bytes);
        mcov_liveness_drop(l->fd, l->dev, l->ino, l->fd_tag);
    }
    memset(l, 0, sizeof *l);
    l->fd = -1;
}

/* A descriptor of r's lanes file for one operation's reads, writes and mappings: r->lanes.fd
 * while it holds the file, else the file opened again by its path. The host owns descriptor
 * numbers: it may have closed that one, or put a file of its own there, which must never be
 * opened, written, punched, locked or mapped. -1, with errno, when neither reaches the file. */
static int lanes_io(const struct mcov_region *r)
{
    /* Own, not any open of the file: the lanes lock's read-only one may be at a freed number. */
    if (mcov_fd_own(r->lanes.fd, r->lanes.dev, r->lanes.ino, r->lanes.fd_tag))
        return r->lanes.fd;
    char path[4096];
    int fd = -1;
    errno = ENOENT;
    if (mcov_lanes_path(r->path, r->name, r->lanes_token, path, sizeof path) == MCOV_OK)
        fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && !mcov_fd_is(fd, r->lanes.dev, r->lanes.ino)) {
        close(fd);
        fd = -1;
        errno = ENOENT; /* another file at the path: this one's name is gone */
    }
    if (fd >= 0 && fd == r->lanes.fd) /* the number the host left free: kept there, as its own */
        (void)lseek(fd, (off_t)r->lanes.fd_tag, SEEK_SET);
    return fd;
}

/* Closes a descriptor lanes_io opened again; one at r->lanes.fd's number stays for
 * mcov_lanes_close. */
static void lanes_io_done(const struct mcov_region *r, int fd)
{
    if (fd >= 0 && fd != r->lanes.fd)
        close(fd);
}

/* The lanes file for I/O: io if the caller has it open (>= 0), else lanes_io's. */
static int io_or_own(const struct mcov_region *r, int io)
{
    return io >= 0 ? io : lanes_io(r);
}

static void io_or_own_done(const struct mcov_region *r, int io, int used)
{
    if (io < 0)
        lanes_io_done(r, used);
}

mcov_lane_entry *mcov_lane_at(const struct mcov_region *r, uint32_t k)
{
    return (mcov_lane_entry *)(r->lanes.base + sizeof(mcov_lanes_header)) + k;
}

uint64_t mcov_region_epoch(const struct mcov_region *r)
{
    return __atomic_load_n(&r->header->reset_epoch, __ATOMIC_ACQUIRE);
}

enum mcov_lane_part mcov_lane_part(const struct mcov_region *r, uint32_t k, uint64_t epoch)
{
    const mcov_lane_entry *e = mcov_lane_at(r, k);
    if (__atomic_load_n(&e->seen_epoch, __ATOMIC_ACQUIRE) == epoch)
        return MCOV_LANE_ALL;
    if (__atomic_load_n(&e->mask_epoch, __ATOMIC_ACQUIRE) == epoch)
        return MCOV_LANE_BEYOND_MASK;
    return MCOV_LANE_NONE;
}

uint64_t mcov_lane_extent(const struct mcov_region *r, uint32_t k)
{
    uint64_t extent = __atomic_load_n(&mcov_lane_at(r, k)->extent, __ATOMIC_ACQUIRE);
    return extent < r->capacity ? extent : r->capacity;
}

bool mcov_lane_read_mask(const struct mcov_region *r, uint32_t k, uint64_t from, uint8_t *buf,
                         uint64_t n)
{
    int io = lanes_io(r);
    bool read = io >= 0 && mcov_read_at(io, buf, n, lane_offset(r, k) + r->capacity + from);
    lanes_io_done(r, io);
    return read;
}

/* --- locks --- */

static bool lane_lock(int fd, uint32_t k, short type)
{
    struct flock l;
    memset(&l, 0, sizeof l);
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = (off_t)MCOV_LOCK_LANE(k);
    l.l_len = 1;
    return fcntl(fd, F_OFD_SETLK, &l) == 0;
}

/* Readers and resets hold the lock a few milliseconds; only a stopped process makes one wait. */
#define MCOV_LANES_WAIT_NS (3ull * 1000000000ull)

/* The descriptors that hold (or are about to hold) a lanes flock, each + 1 (0: a free slot).
 * memcov_files.h calls take no process mutex, so a fork in another thread can copy one into the
 * child, whose copy would hold the flock as long as it lives: the child closes its copies
 * (mcov_lanes_forget_locks). A descriptor is tracked before it locks, and its lock released
 * before it is untracked, so an untracked copy never holds one. */
#define MCOV_LOCK_SLOTS 64
static int s_lock_fds[MCOV_LOCK_SLOTS];

static void track_lock(int fd)
{
    for (int i = 0; i < MCOV_LOCK_SLOTS; i++) {
        int free_slot = 0;
        if (__atomic_compare_exchange_n(&s_lock_fds[i], &free_slot, fd + 1, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return;
    }
}

void mcov_lanes_unlock(int fd)
{
    flock(fd, LOCK_UN);
    for (int i = 0; i < MCOV_LOCK_SLOTS; i++) {
        int mine = fd + 1;
        if (__atomic_compare_exchange_n(&s_lock_fds[i], &mine, 0, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            break;
    }
    close(fd);
}

void mcov_lanes_forget_locks(void)
{
    for (int i = 0; i < MCOV_LOCK_SLOTS; i++) {
        int v = __atomic_exchange_n(&s_lock_fds[i], 0, __ATOMIC_ACQ_REL);
        if (v)
            close(v - 1);
    }
}

int mcov_lanes_lock(const struct mcov_region *r, bool exclusive)
{
    if (!r->lanes.base)
        return MCOV_E_NOT_FOUND; /* no lanes file: nothing to fold, nothing to mask */
    /* A fresh open: flock belongs to the open file description, which a fork child shares.
     * By its name, which is quick; where the name went away (mcov_region_remove while processes
     * stay attached, or someone removing the file) through the descriptor this handle keeps, so
     * that its lanes are still folded and masked: they are still there, and so are their owners. */
    char path[4096];
    int rc = mcov_lanes_path(r->path, r->name, r->lanes_token, path, sizeof path);
    if (rc)
        return rc;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int open_errno = errno;
    bool lanes = fd >= 0 && mcov_fd_is(fd, r->lanes.dev, r->lanes.ino);
    /* The descriptor is checked before its open: opening a device or FIFO the host put at that
     * number acts on it. One put at the name is opened as lanes_io opens it, and refused. */
    if (!lanes && mcov_fd_is(r->lanes.fd, r->lanes.dev, r->lanes.ino)) {
        if (fd >= 0)
            close(fd); /* another file at the name */
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", r->lanes.fd);
        fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        open_errno = errno;
        lanes = fd >= 0 && mcov_fd_is(fd, r->lanes.dev, r->lanes.ino);
    }
    if (!lanes) {
        int e = fd < 0 ? open_errno : 0;
        if (fd >= 0)
            close(fd);
        struct stat st;
        if (stat(r->path, &st) != 0 || st.st_dev != r->dev || st.st_ino != r->ino)
            return mcov_fail(MCOV_E_NOT_FOUND, "region '%s' was removed (%s)", r->name, r->path);
        if (e)
            return mcov_fail(MCOV_E_NOT_FOUND, "cannot open the lanes file of region '%s' (%s): %s",
                             r->name, path, strerror(e));
        return mcov_fail(MCOV_E_NOT_FOUND, "the lanes file of region '%s' is another file now (%s)",
                         r->name, path);
    }
    track_lock(fd);
    struct mcov_lock_wait wait;
    mcov_lock_wait_start(&wait, MCOV_LANES_WAIT_NS, 16000000);
    /* flock lets new readers in while a writer waits, so readers in a loop would starve a reset:
     * a reset says it waits, and readers let it go first (for as long as it says, at most). */
    uint64_t *waiting = &((mcov_lanes_header *)r->lanes.base)->reset_waiting_until_ns;
    for (;;) {
        uint64_t now = mcov_monotonic_ns();
        int e = 0;
        if (exclusive)
            __atomic_store_n(waiting, now + 100000000ull, __ATOMIC_RELEASE);
        if (!exclusive && __atomic_load_n(waiting, __ATOMIC_ACQUIRE) > now &&
            __atomic_load_n(waiting, __ATOMIC_ACQUIRE) < now + MCOV_LANES_WAIT_NS)
            e = EWOULDBLOCK;
        else if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
            break;
        else
            e = errno;
        if (e == EINTR)
            continue;
        if (e != EWOULDBLOCK || !mcov_lock_wait(&wait)) {
            if (exclusive)
                __atomic_store_n(waiting, 0, __ATOMIC_RELEASE);
            mcov_lanes_unlock(fd);
            return mcov_fail(MCOV_E_SYSTEM,
                             "the lanes of region '%s' stayed locked by another process for "
                             "%llu s (stopped while reading or resetting the region? fuser %s "
                             "finds it): resume or end it",
                             r->name, MCOV_LANES_WAIT_NS / 1000000000ull, path);
        }
    }
    if (exclusive)
        __atomic_store_n(waiting, 0, __ATOMIC_RELEASE);
    return fd;
}

/* --- folding --- */

/* OR into map[0, n) what lane[0, n) holds beyond mask (NULL: all of it): its non-zero bytes that
 * differ from their mask byte, as flags (vectorized) or, with classes, as their count's class
 * (words of zero skipped). */
static void or_lane(uint8_t *map, const uint8_t *lane, const uint8_t *mask, uint64_t n, bool classes)
{
    if (!classes) {
        mcov_fold_flags(map, lane, mask, n);
        return;
    }
    for (uint64_t i = 0; i < n; i += 8) {
        uint64_t end = n - i < 8 ? n : i + 8;
        mcov_word w = 0;
        if (end == i + 8)
            memcpy(&w, lane + i, 8);
        if (end == i + 8 && !w)
            continue;
        for (uint64_t j = i; j < end; j++)
            mcov_or_bits(&map[j], mcov_lane_bits(lane[j], mask ? mask[j] : 0, true));
    }
}

static bool all_zero(const uint8_t *p, uint64_t n)
{
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w)
            return false;
    }
    for (; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static uint64_t page_end(uint64_t i, uint64_t n)
{
    return i + 4096 < n ? i + 4096 : n;
}

/* Zeros over the pages of [at, at + n) of the lanes file whose bytes, read into buf, hold one that
 * is not zero: a run of them at a time, from buf itself. Pages of zeros are left alone: a write
 * would fill a hole among them. False if a write fails. */
static bool zero_pages_with_data(int io, uint8_t *buf, uint64_t n, uint64_t at)
{
    for (uint64_t i = 0; i < n;) {
        uint64_t from = i;
        while (i < n && !all_zero(buf + i, page_end(i, n) - i))
            i = page_end(i, n);
        if (i == from) {
            i = page_end(i, n);
            continue;
        }
        memset(buf + from, 0, i - from);
        if (pwrite(io, buf + from, i - from, (off_t)(at + from)) != (ssize_t)(i - from))
            return false;
    }
    return true;
}

/* Fold what lane k's bytes [from, to) count for into the map, through the file: lanes of other
 * processes are not mapped here. With *clear, each chunk's pages that hold data are then written
 * with zeros (its owner is dead, or it is the caller's and nothing writes there: the caller holds
 * its lock); *clear ends false if a write failed. False if part of it could not be read: the lane
 * must not be freed then. */
static bool fold_from_file(const struct mcov_region *r, int io, uint32_t k, uint64_t epoch,
                           uint64_t from, uint64_t to, bool *clear)
{
    enum mcov_lane_part part = mcov_lane_part(r, k, epoch);
    bool clearing = clear && *clear;
    if (from >= to || (part == MCOV_LANE_NONE && !clearing))
        return true;
    struct lane_buffer b;
    buffer_get(&b, 2);
    uint8_t *buf = b.p, *mask = b.p + b.size;
    uint64_t at = lane_offset(r, k);
    bool whole = true;
    for (uint64_t done = from; whole && done < to; done += b.size) {
        uint64_t want = to - done < b.size ? to - done : b.size;
        whole = mcov_read_at(io, buf, want, at + done) &&
                (part != MCOV_LANE_BEYOND_MASK ||
                 mcov_read_at(io, mask, want, at + r->capacity + done));
        if (whole && part != MCOV_LANE_NONE)
            or_lane(r->map + done, buf, part == MCOV_LANE_BEYOND_MASK ? mask : NULL, want,
                    r->kind == MCOV_REGION_CLASSES);
        if (whole && clearing && !zero_pages_with_data(io, buf, want, at + done))
            clearing = false;
    }
    buffer_put(&b);
    if (clear)
        *clear = clearing;
    return whole;
}

/* Zeros over [at, at + punch) of the lanes file, a hole; where none can be punched, zeros written
 * over [at, at + write) (write <= punch: what lies beyond holds zeros already). */
static bool clear_range(int io, uint64_t at, uint64_t punch, uint64_t write)
{
    if (fallocate(io, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)at, (off_t)punch) == 0)
        return true;
    struct lane_buffer b;
    buffer_get(&b, 1);
    memset(b.p, 0, b.size);
    bool written = true;
    for (uint64_t done = 0; written && done < write; done += b.size) {
        uint64_t want = write - done < b.size ? write - done : b.size;
        written = pwrite(io, b.p, want, (off_t)(at + done)) == (ssize_t)want;
    }
    buffer_put(&b);
    return written;
}

/* Give lane k's memory back and free it; the caller holds its lock. With lane_clear, its bytes are
 * zero already (cleared in place by the fold, for the caller to take it next), and only its mask
 * is punched. The punches cover the whole lane and mask, holes past the extent costing nothing: a
 * lane reused in place keeps the pages an earlier owner's extent reached, and a fork child's
 * inherited mask is written before its range is reserved. False, and the lane left taken, if
 * what it held cannot be cleared: a reserve does not clear, so its next owner's lane and mask
 * would start with it. */
static bool free_lane(const struct mcov_region *r, int io, uint32_t k, bool lane_clear)
{
    mcov_lane_entry *e = mcov_lane_at(r, k);
    uint64_t extent = mcov_lane_extent(r, k);
    uint64_t at = lane_offset(r, k);
    if (!lane_clear && !clear_range(io, at, r->capacity, extent))
        return false;
    if (!clear_range(io, at + r->capacity, r->capacity, extent))
        return false;
    __atomic_store_n(&e->extent, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&e->mask_epoch, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&e->state, MCOV_LANE_FREE, __ATOMIC_RELEASE);
    return true;
}

bool mcov_lanes_any_taken(const struct mcov_region *r, int32_t own)
{
    if (!r->lanes.base)
        return false;
    for (uint32_t k = 0; k < r->lanes.count; k++)
        if ((int32_t)k != own &&
            __atomic_load_n(&mcov_lane_at(r, k)->state, __ATOMIC_ACQUIRE) != MCOV_LANE_FREE)
            return true;
    return false;
}

int mcov_lanes_fold(const struct mcov_region *r, int fd, int32_t own)
{
    if (!r->lanes.base)
        return MCOV_OK;
    int io = lanes_io(r);
    if (io < 0) /* nothing folded, so nothing freed: the lanes keep what they hold */
        return mcov_fail(MCOV_E_SYSTEM,
                         "cannot read the lanes of region '%s' (%s): what processes recording "
                         "into it hold in them is not in its map yet",
                         r->name, strerror(errno));
    if (!mcov_region_fd_own(r, fd))
        fd = -1; /* through another file or the parent's description, every lane locks as dead */
    uint64_t epoch = mcov_region_epoch(r);
    bool all = true;
    for (uint32_t k = 0; k < r->lanes.count; k++) {
        if ((int32_t)k == own ||
            __atomic_load_n(&mcov_lane_at(r, k)->state, __ATOMIC_ACQUIRE) == MCOV_LANE_FREE)
            continue;
        /* The lock first: an owner that dies after the fold read its lane may have stored more
         * since, which only a fold after its death is sure to read. */
        bool dead = fd >= 0 && lane_lock(fd, k, F_WRLCK);
        /* A live owner's counts are partial: their classes would stick. Its own folds put them in
         * (docs/semantics.md, "Hit counts"). */
        if (!dead && r->kind == MCOV_REGION_CLASSES)
            continue;
        bool whole = fold_from_file(r, io, k, epoch, 0, mcov_lane_extent(r, k), NULL);
        all &= whole;
        if (dead && whole) /* its owner died: what it held is in the map now */
            free_lane(r, io, k, false);
        if (dead)
            lane_lock(fd, k, F_UNLCK);
    }
    lanes_io_done(r, io);
    if (!all)
        return mcov_fail(MCOV_E_SYSTEM,
                         "cannot read all of the lanes of region '%s': what processes recording "
                         "into it hold in them may not be in its map yet",
                         r->name);
    return MCOV_OK;
}

/* A reset, for lane k: its owner lives (the caller could not lock it). Its mask becomes what it
 * holds now, so the union takes only what it gains from now on. */
static void mask_live_lane(const struct mcov_region *r, int io, uint32_t k, uint64_t epoch)
{
    mcov_lane_entry *e = mcov_lane_at(r, k);
    uint64_t n = mcov_lane_extent(r, k);
    uint64_t at = lane_offset(r, k);
    struct lane_buffer b;
    buffer_get(&b, 1);
    uint8_t *buf = b.p;
    bool whole = true;
    for (uint64_t done = 0; whole && done < n; done += b.size) {
        uint64_t want = n - done < b.size ? n - done : b.size;
        if (!(whole = mcov_read_at(io, buf, want, at + done)))
            break;
        /* A chunk that holds nothing adds nothing now, but the lane may gain bytes there later:
         * what an earlier reset left in its mask must not hide them. Punching needs no room;
         * where it fails, the zeros are written below. */
        if (all_zero(buf, want) &&
            fallocate(io, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t)(at + r->capacity + done), (off_t)want) == 0)
            continue;
        /* No room for the mask: the lane counts for nothing until its owner folds it. */
        whole = reserve_and_write(io, buf, want, at + r->capacity + done);
    }
    buffer_put(&b);
    if (whole)
        __atomic_store_n(&e->mask_epoch, epoch, __ATOMIC_RELEASE);
}

/* Before a reset changes anything: room for the mask of every live lane, as far as it reaches
 * now. A mask that cannot be written would leave its lane counting for nothing, and its owner's
 * next fold would drop what the lane gained after the reset. */
static int reserve_masks(const struct mcov_region *r, int io, int fd)
{
    for (uint32_t k = 0; k < r->lanes.count; k++) {
        if (__atomic_load_n(&mcov_lane_at(r, k)->state, __ATOMIC_ACQUIRE) == MCOV_LANE_FREE)
            continue;
        if (lane_lock(fd, k, F_WRLCK)) { /* dead: freed below, needs no mask */
            lane_lock(fd, k, F_UNLCK);
            continue;
        }
        uint64_t n = mcov_lane_extent(r, k);
        int err = n ? reserve(io, lane_offset(r, k) + r->capacity, n) : 0;
        if (err)
            return mcov_fail(space_code(err),
                             "cannot reset region '%s': no room for the masks of the lanes of the "
                             "processes recording into it (%s); nothing was cleared: free space "
                             "in MEMCOV_SHM_DIR",
                             r->name, strerror(err));
    }
    return MCOV_OK;
}

int mcov_lanes_reset(const struct mcov_region *r, int fd)
{
    if (!r->lanes.base) {
        __atomic_add_fetch(&r->header->reset_epoch, 1, __ATOMIC_ACQ_REL);
        return MCOV_OK;
    }
    int io = lanes_io(r);
    if (io < 0)
        return mcov_fail(MCOV_E_NOT_FOUND,
                         "cannot reset region '%s': its lanes file is gone; nothing was cleared",
                         r->name);
    if (!mcov_region_fd_own(r, fd))
        fd = -1; /* no lane can be told dead: each is masked as a live one */
    int rc = reserve_masks(r, io, fd);
    if (rc) {
        lanes_io_done(r, io);
        return rc;
    }
    uint64_t epoch = __atomic_add_fetch(&r->header->reset_epoch, 1, __ATOMIC_ACQ_REL);
    for (uint32_t k = 0; k < r->lanes.count; k++) {
        if (__atomic_load_n(&mcov_lane_at(r, k)->state, __ATOMIC_ACQUIRE) == MCOV_LANE_FREE)
            continue;
        if (lane_lock(fd, k, F_WRLCK)) { /* dead: what it held is cleared with the map */
            free_lane(r, io, k, false); /* or left with the last epoch's stamps: none counts */
            lane_lock(fd, k, F_UNLCK);
        } else {
            mask_live_lane(r, io, k, epoch);
        }
    }
    lanes_io_done(r, io);
    return MCOV_OK;
}

/* Take lane k if its byte can be locked on fd. A dead owner's lane is folded first; up to
 * MCOV_LANE_REUSE_BYTES it is cleared in place as it is folded, so that its pages are the taker's
 * next, whose first write to each then finds it allocated (a first write to a punched page
 * allocates and zeroes it, several times the cost in a VM); a larger one, or one whose clearing
 * failed, is punched out. With inherited, such a small lane all of whose bytes count (no reset
 * since its owner stamped its epoch) keeps them instead, for the taker to fold and clear through
 * its own mapping of the lane: *inherited is how far they reach. */
static bool take_lane(const struct mcov_region *r, int io, int fd, uint32_t k, uint64_t *inherited)
{
    mcov_lane_entry *e = mcov_lane_at(r, k);
    if (!lane_lock(fd, k, F_WRLCK))
        return false; /* another process owns it */
    uint64_t epoch = mcov_region_epoch(r);
    if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != MCOV_LANE_FREE) {
        uint64_t n = mcov_lane_extent(r, k);
        bool cleared = n <= MCOV_LANE_REUSE_BYTES;
        bool kept = inherited && cleared && mcov_lane_part(r, k, epoch) == MCOV_LANE_ALL;
        /* Kept: never FREE meanwhile, so that a reader always finds the bytes in an owned lane. */
        if (kept ? !clear_range(io, lane_offset(r, k) + r->capacity, r->capacity, n)
                 : !fold_from_file(r, io, k, epoch, 0, n, &cleared) ||
                       !free_lane(r, io, k, cleared)) {
            lane_lock(fd, k, F_UNLCK); /* left for a later fold */
            return false;
        }
        if (kept) {
            __atomic_store_n(&e->mask_epoch, 0, __ATOMIC_RELEASE);
            *inherited = n;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    __atomic_store_n(&e->seen_epoch, epoch, __ATOMIC_RELEASE);
    __atomic_store_n(&e->owner_pid, (uint64_t)getpid(), __ATOMIC_RELAXED);
    __atomic_store_n(&e->taken_ns, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&e->state, MCOV_LANE_OWNED, __ATOMIC_RELEASE);
    return true;
}

/* A dead owner's lane of up to MCOV_LANE_REUSE_BYTES first, among the first MCOV_DEAD_LANE_TRIES
 * such owned lanes (a lock attempt each): its fold costs less than the page faults its kept pages
 * save, and a campaign of short-lived workers leaves about as many lanes as run at once. Then a
 * free lane, while the owned lanes hold less than the budget (MCOV_OWNED_LANES_BUDGET): a larger
 * dead lane is left to readers, as its fold would cost the taker more than it saves. Beyond the
 * budget, or when no lane is free, the first lane that can be locked is taken, so that dead lanes
 * stay in bounds when no one reads. io is lanes_io's, and io_errno its errno where it failed;
 * inherited as for take_lane. */
static int32_t take_under_lock(const struct mcov_region *r, int fd, int io, int io_errno,
                               uint64_t *inherited)
{
    if (io < 0) {
        mcov_fail(MCOV_E_SYSTEM, "cannot open the lanes of region '%s' (%s)", r->name,
                  strerror(io_errno));
        return MCOV_LANE_UNREACHABLE;
    }
    for (uint32_t k = 0, tries = 0; tries < MCOV_DEAD_LANE_TRIES && k < r->lanes.count; k++) {
        if (__atomic_load_n(&mcov_lane_at(r, k)->state, __ATOMIC_ACQUIRE) != MCOV_LANE_OWNED ||
            mcov_lane_extent(r, k) > MCOV_LANE_REUSE_BYTES)
            continue;
        tries++;
        if (take_lane(r, io, fd, k, inherited))
            return (int32_t)k;
    }
    uint64_t budget = MCOV_OWNED_LANES_BUDGET;
    struct statvfs fs;
    if (fstatvfs(io, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize / 2 < budget)
        budget = (uint64_t)fs.f_bavail * fs.f_frsize / 2;
    uint64_t held = 0;
    for (uint32_t k = 0; k < r->lanes.count; k++)
        if (__atomic_load_n(&mcov_lane_at(r, k)->state, __ATOMIC_ACQUIRE) != MCOV_LANE_FREE)
            held += mcov_lane_extent(r, k);
    int32_t taken = MCOV_LANE_NONE_FREE;
    for (uint32_t k = 0; taken < 0 && held < budget && k < r->lanes.count; k++)
        if (__atomic_load_n(&mcov_lane_at(r, k)->state, __ATOMIC_ACQUIRE) == MCOV_LANE_FREE &&
            take_lane(r, io, fd, k, inherited))
            taken = (int32_t)k;
    for (uint32_t k = 0; taken < 0 && k < r->lanes.count; k++)
        if (take_lane(r, io, fd, k, inherited))
            taken = (int32_t)k;
    return taken;
}

static int32_t take_with_io(const struct mcov_region *r, int fd, uint64_t *inherited)
{
    int io = lanes_io(r);
    int32_t taken = take_under_lock(r, fd, io, errno, inherited);
    lanes_io_done(r, io);
    return taken;
}

/* Only through r's own descriptor: a lock through another file would not be this process's. */
int32_t mcov_lane_take_locked(const struct mcov_region *r, int fd)
{
    return mcov_region_fd_own(r, fd) ? take_with_io(r, fd, NULL) : MCOV_LANE_UNREACHABLE;
}

void mcov_lane_claim(const struct mcov_region *r, int fd, struct mcov_lane_claim *c)
{
    c->lane = MCOV_LANE_UNREACHABLE;
    c->lock = -1;
    c->io = -1;
    c->inherited = 0;
    if (!r->lanes.base || !mcov_region_fd_own(r, fd))
        return;
    /* The file before the lock: opened again where the host closed it, it takes back the number
     * the host left free (lanes_io), which the lock's own open would take otherwise. */
    c->io = lanes_io(r);
    int io_errno = errno;
    /* The lock's failure first: it tells a removed region from a lanes file gone. */
    if ((c->lock = mcov_lanes_lock(r, false)) >= 0)
        c->lane = take_under_lock(r, fd, c->io, io_errno, &c->inherited);
}

void mcov_lane_fold_mapped(const struct mcov_region *r, uint8_t *map, uint8_t *lane, uint64_t n)
{
    or_lane(map, lane, NULL, n, r->kind == MCOV_REGION_CLASSES);
    /* Pages of zeros are left alone: a write would fault each in for nothing. */
    for (uint64_t i = 0; i < n; i = page_end(i, n))
        if (!all_zero(lane + i, page_end(i, n) - i))
            memset(lane + i, 0, page_end(i, n) - i);
}

bool mcov_lane_fold_range(const struct mcov_region *r, int32_t k, int io, uint64_t from,
                          uint64_t to)
{
    int used = io_or_own(r, io);
    bool cleared = true;
    bool folded = used >= 0 && fold_from_file(r, used, (uint32_t)k, mcov_region_epoch(r), from, to,
                                              &cleared);
    io_or_own_done(r, io, used);
    return folded && cleared;
}

void mcov_lane_claim_end(const struct mcov_region *r, struct mcov_lane_claim *c)
{
    if (c->lock >= 0)
        mcov_lanes_unlock(c->lock);
    lanes_io_done(r, c->io);
    c->lock = -1;
    c->io = -1;
    c->inherited = 0;
}

bool mcov_lane_mask_or(const struct mcov_region *r, int32_t k, uint64_t from, const uint8_t *bytes,
                       uint64_t n)
{
    uint64_t at = lane_offset(r, (uint32_t)k) + r->capacity + from;
    int io = lanes_io(r);
    if (io < 0)
        return false;
    struct lane_buffer b;
    buffer_get(&b, 1);
    uint8_t *buf = b.p;
    bool written = true;
    for (uint64_t done = 0; written && done < n; done += b.size) {
        uint64_t want = n - done < b.size ? n - done : b.size;
        if (all_zero(bytes + done, want))
            continue;
        if (!(written = mcov_read_at(io, buf, want, at + done)))
            break;
        for (uint64_t i = 0; i < want; i++)
            buf[i] |= bytes[done + i];
        written = reserve_and_write(io, buf, want, at + done);
    }
    buffer_put(&b);
    lanes_io_done(r, io);
    return written;
}

void mcov_lane_inherit_mask(const struct mcov_region *r, int32_t child, int32_t parent,
                            uint64_t from, uint64_t n)
{
    uint64_t src = lane_offset(r, (uint32_t)parent) + r->capacity + from;
    uint64_t dst = lane_offset(r, (uint32_t)child) + r->capacity + from;
    int io = lanes_io(r);
    if (io < 0) /* its mask stays clear: what the parent's hid may count again, nothing is lost */
        return;
    struct lane_buffer b;
    buffer_get(&b, 1);
    uint8_t *buf = b.p;
    for (uint64_t done = 0; done < n; done += b.size) {
        uint64_t want = n - done < b.size ? n - done : b.size;
        if (!mcov_read_at(io, buf, want, src + done))
            memset(buf, 0xff, want); /* unreadable: hide all of it rather than bring it back */
        if (all_zero(buf, want))
            continue;
        if (!reserve_and_write(io, buf, want, dst + done))
            __atomic_store_n(&mcov_lane_at(r, (uint32_t)child)->mask_epoch, 0, __ATOMIC_RELEASE);
    }
    buffer_put(&b);
    lanes_io_done(r, io);
}

void mcov_lane_set_epochs(const struct mcov_region *r, int32_t k, uint64_t seen, uint64_t mask)
{
    mcov_lane_entry *e = mcov_lane_at(r, (uint32_t)k);
    __atomic_store_n(&e->mask_epoch, mask, __ATOMIC_RELEASE);
    __atomic_store_n(&e->seen_epoch, seen, __ATOMIC_RELEASE);
}

int mcov_lane_reserve(const struct mcov_region *r, int32_t k, uint64_t from, uint64_t to, int io)
{
    mcov_lane_entry *e = mcov_lane_at(r, (uint32_t)k);
    int used = io_or_own(r, io);
    int err = used < 0 ? EBADF : reserve(used, lane_offset(r, (uint32_t)k) + from, to - from);
    io_or_own_done(r, io, used);
    if (err)
        return err;
    /* Published only once reserved: what a reader reads below it is the lane's, or holes that
     * read as zero. */
    if (to > __atomic_load_n(&e->extent, __ATOMIC_RELAXED))
        __atomic_store_n(&e->extent, to, __ATOMIC_RELEASE);
    return 0;
}

bool mcov_lane_map(const struct mcov_region *r, int32_t k, uint64_t base, uint64_t span,
                   uint8_t *at, int io)
{
    int used = io_or_own(r, io);
    if (used < 0)
        return false;
    bool mapped = mmap(at, span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, used,
                       (off_t)(lane_offset(r, (uint32_t)k) + base)) != MAP_FAILED;
    int e = errno;
    io_or_own_done(r, io, used);
    errno = e;
    return mapped;
}

void mcov_lane_adopt_epoch(const struct mcov_region *r, int32_t k, uint64_t epoch)
{
    __atomic_store_n(&mcov_lane_at(r, (uint32_t)k)->seen_epoch, epoch, __ATOMIC_RELEASE);
}

void mcov_lane_release(const struct mcov_region *r, int fd, int32_t k)
{
    if (k < 0 || !r->lanes.base)
        return;
    int io = lanes_io(r);
    if (io < 0)
        return; /* not emptied, so it stays taken: readers fold it once this process is gone */
    /* Under the shared lock: a reset never masks a lane as it is freed. */
    int lock = mcov_lanes_lock(r, false);
    /* Not cleared: it stays this process's, for readers to fold and free once it is gone. Nor
     * unlocked through a descriptor that is not this process's own: the lock lives on until exit
     * in the description the region's mapping keeps. */
    if (free_lane(r, io, (uint32_t)k, false) && mcov_region_fd_own(r, fd))
        lane_lock(fd, (uint32_t)k, F_UNLCK);
    if (lock >= 0)
        mcov_lanes_unlock(lock);
    lanes_io_done(r, io);
}
