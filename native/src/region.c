/* Region files: name rules, create (temp + fallocate + link), open and validate,
 * remove, reset, and the registration lock. No process state lives here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "runtime.h"
#include "text.h"

/* The region directory: dir if given, else $MEMCOV_SHM_DIR, else /dev/shm. */
const char *mcov_region_dir(const char *dir)
{
    if (dir && dir[0])
        return dir;
    const char *env = getenv("MEMCOV_SHM_DIR");
    return env && env[0] ? env : "/dev/shm";
}

static bool name_char_ok(char c, bool first)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return !first && (c == '.' || c == '_' || c == '-');
}

int mcov_region_check_name(const char *name)
{
    if (!name)
        return mcov_fail(MCOV_E_INVALID_NAME, "region name is NULL: pass a name matching "
                                              "[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    size_t len = strnlen(name, MCOV_REGION_NAME_MAX + 1);
    bool ok = len > 0 && len <= MCOV_REGION_NAME_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = name_char_ok(name[i], i == 0);
    if (!ok)
        return mcov_fail(MCOV_E_INVALID_NAME,
                         "invalid region name '%.64s%s': a name matches "
                         "[A-Za-z0-9][A-Za-z0-9._-]{0,199} (letters, digits, '.', '_', '-'; "
                         "no '/'; 1 to 200 characters)",
                         name, len > 64 ? "..." : "");
    return MCOV_OK;
}

int mcov_region_path_of(const char *dir, const char *name, char *buf, size_t len)
{
    int rc = mcov_region_check_name(name);
    if (rc)
        return rc;
    struct mcov_text t = mcov_text_in(buf, len);
    mcov_text_str(&t, mcov_region_dir(dir));
    mcov_text_str(&t, "/" MCOV_REGION_FILE_PREFIX);
    mcov_text_str(&t, name);
    if (!t.fits)
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "MEMCOV_SHM_DIR is too long (%zu bytes at most): set it to a shorter "
                         "directory",
                         len - sizeof MCOV_REGION_FILE_PREFIX - MCOV_REGION_NAME_MAX - 2);
    return MCOV_OK;
}

static int validate(const char *name, const char *path, const mcov_region_header *h,
                    uint64_t size)
{
    if (memcmp(h->magic, MCOV_REGION_MAGIC, MCOV_REGION_MAGIC_LEN) != 0)
        return mcov_fail(MCOV_E_CORRUPT,
                         "%s is not a memcov region (bad magic: not \"" MCOV_REGION_MAGIC "\"): "
                         "remove it with mcov_region_remove(\"%s\") and create the region again",
                         path, name);
    if (h->version != MCOV_REGION_VERSION)
        return mcov_fail(MCOV_E_VERSION,
                         "region '%s' has format version %u, this runtime reads version %u: "
                         "use the memcov that created it, or recreate the region",
                         name, h->version, MCOV_REGION_VERSION);
    /* Ordered so that no sum below can wrap: each check bounds the fields the next uses. */
    const char *why = NULL;
    if (h->header_size != sizeof(mcov_region_header))
        why = "header_size";
    else if (h->map_offset % MCOV_EDGE_ALIGN || h->map_offset > (1ull << 32) ||
             h->map_offset < sizeof(mcov_region_header) + sizeof(mcov_module_entry))
        why = "map_offset";
    else if (h->module_table_offset < h->header_size || h->module_table_offset % 8 ||
             h->module_table_offset > h->map_offset)
        why = "module_table_offset";
    else if (h->module_capacity == 0 || h->module_capacity > 65536 ||
             (h->map_offset - h->module_table_offset) / sizeof(mcov_module_entry) <
                 h->module_capacity)
        why = "module_capacity or map_offset: the module table overlaps the map";
    else if (h->capacity_edges == 0 || h->capacity_edges % MCOV_EDGE_ALIGN ||
             h->capacity_edges > MCOV_REGION_MAX_CAPACITY)
        why = "capacity_edges";
    else if (h->map_offset + h->capacity_edges > size)
        why = "file size (truncated)";
    else if (h->alloc_cursor > h->capacity_edges || h->alloc_cursor % MCOV_EDGE_ALIGN)
        why = "alloc_cursor";
    else if (h->module_count > h->module_capacity)
        why = "module_count";
    else if (h->kind != MCOV_REGION_FLAGS && h->kind != MCOV_REGION_CLASSES)
        why = "kind";
    else if (h->lanes_token == 0 || h->lane_count == 0 || h->lane_count > MCOV_LANE_COUNT)
        why = "lanes_token or lane_count";
    if (why)
        return mcov_fail(MCOV_E_CORRUPT,
                         "region '%s' at %s is corrupt or truncated (%s out of range, file "
                         "%llu bytes): remove it and create it again",
                         name, path, why, (unsigned long long)size);
    return MCOV_OK;
}

/* Checks 3-17 of docs/region-format.md on the open file fd, whose fstat is *st, then map it into
 * out (whose path is set). fd stays open: the caller closes it. */
static int map_validated(int fd, const struct stat *st, const char *name, struct mcov_region *out)
{
    if (!S_ISREG(st->st_mode))
        return mcov_fail(MCOV_E_PERMISSION, "%s is not a regular file: remove it", out->path);
    if (st->st_uid != geteuid())
        return mcov_fail(MCOV_E_PERMISSION,
                         "region '%s' (%s) belongs to uid %u, not to this process's uid %u: "
                         "use a region of your own",
                         name, out->path, (unsigned)st->st_uid, (unsigned)geteuid());
    mcov_region_header h;
    uint64_t size = (uint64_t)st->st_size;
    if (size < sizeof h || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        return mcov_fail(MCOV_E_CORRUPT,
                         "region '%s' at %s is truncated (%llu bytes, a header is %zu): remove "
                         "it and create it again",
                         name, out->path, (unsigned long long)size, sizeof h);
    out->version = h.version;
    int rc = validate(name, out->path, &h, size);
    if (rc)
        return rc;
    /* Check 17: every page of the map exists. A hole (a sparse copy, a file cut and grown again)
     * would be allocated at its first touch, and on a full tmpfs that is SIGBUS in whoever
     * touches it. tmpfs reports pages reserved by posix_fallocate as holes to SEEK_HOLE, so the
     * file's allocated blocks are what tells. */
    if ((uint64_t)st->st_blocks * 512u < h.map_offset + h.capacity_edges)
        return mcov_fail(MCOV_E_CORRUPT,
                         "region '%s' at %s has holes: %llu of its %llu bytes exist (a sparse "
                         "copy?); touching the rest could fail with SIGBUS: remove it and create "
                         "it again",
                         name, out->path, (unsigned long long)st->st_blocks * 512u,
                         (unsigned long long)(h.map_offset + h.capacity_edges));
    uint64_t len = h.map_offset + h.capacity_edges;
    size_t name_len = strnlen(name, sizeof out->name - 1); /* checked: at most the maximum */
    memcpy(out->name, name, name_len);
    out->name[name_len] = 0;
    out->capacity = h.capacity_edges;
    /* Without its lanes file a region still works: own views of no-call modules are private
     * memory then (mcov_lanes_open says so). */
    mcov_lanes_open(out, h.lanes_token, h.lane_count, st->st_uid);
    void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
        mcov_lanes_close(out);
    if (base == MAP_FAILED)
        return mcov_fail(MCOV_E_SYSTEM,
                         "cannot map region '%s' (%llu bytes): %s; raise the address-space "
                         "limit (ulimit -v, RLIMIT_AS) or use a region of smaller capacity",
                         name, (unsigned long long)len, strerror(errno));
    out->dev = st->st_dev;
    out->ino = st->st_ino;
    out->base = base;
    out->size = len;
    out->header = base;
    out->map = (uint8_t *)base + h.map_offset;
    out->capacity = h.capacity_edges;
    out->map_offset = h.map_offset;
    out->table_offset = h.module_table_offset;
    /* Bounded by the room before the map too (check 12 makes them equal, but say it once). */
    uint64_t room = (h.map_offset - h.module_table_offset) / sizeof(mcov_module_entry);
    out->table_capacity = h.module_capacity < room ? h.module_capacity : (uint32_t)room;
    out->creator_pid = h.creator_pid;
    out->created_ns = h.created_ns;
    out->kind = h.kind;
    out->lanes_token = h.lanes_token;
    return MCOV_OK;
}

/* Whether path still names the open file whose fstat is *st. One a sweeper removed has no link
 * left. One with more than one link is looked up by its path again; with one, a file renamed by
 * hand meanwhile, or left with only a second name made by hand, counts as named (it is opened
 * under its other name). */
static bool still_named(const char *path, const struct stat *st)
{
    if (st->st_nlink <= 1)
        return st->st_nlink == 1;
    struct stat at;
    return stat(path, &at) == 0 && at.st_dev == st->st_dev && at.st_ino == st->st_ino;
}

int mcov_region_open(const char *dir, const char *name, struct mcov_region *out)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->share_fd = -1;
    out->lanes.fd = -1;
    int rc = mcov_region_path_of(dir, name, out->path, sizeof out->path);
    if (rc)
        return rc;
    int fd = open(out->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return mcov_fail(MCOV_E_NOT_FOUND,
                             "no region '%s' (%s): create it first (mcov_region_create, "
                             "memcov create) or check MEMCOV_SHM_DIR",
                             name, out->path);
        if (e == ELOOP)
            return mcov_fail(MCOV_E_PERMISSION,
                             "%s is a symbolic link: memcov never follows one; remove it", out->path);
        if (e == EACCES || e == EPERM)
            return mcov_fail(MCOV_E_PERMISSION,
                             "cannot open region '%s' (%s): %s; a region is opened read-write "
                             "by the user who created it (mode 0600): use a region of your own",
                             name, out->path, strerror(e));
        return mcov_fail(MCOV_E_SYSTEM,
                         "cannot open region '%s' (%s): %s; check MEMCOV_SHM_DIR and the "
                         "process's open-file limit (ulimit -n)",
                         name, out->path, strerror(e));
    }
    /* In use from now on; a sweeper that removed the file before this lock was taken has
     * unlinked it, and the path no longer names it. */
    rc = mcov_liveness_hold(fd, name, out->path, false);
    struct stat st;
    if (rc == MCOV_OK && fstat(fd, &st) != 0)
        rc = mcov_fail(MCOV_E_SYSTEM, "cannot stat region '%s' (%s): %s; remove it and create "
                                      "it again",
                       name, out->path, strerror(errno));
    if (rc == MCOV_OK && !still_named(out->path, &st))
        rc = mcov_fail(MCOV_E_NOT_FOUND,
                       "region '%s' (%s) was removed while it was being opened: create it "
                       "again",
                       name, out->path);
    if (rc == MCOV_OK)
        rc = map_validated(fd, &st, name, out);
    if (rc) {
        close(fd);
        out->fd = -1;
        return rc;
    }
    mcov_region_keep_fd(out, fd); /* kept for its locks alone */
    return MCOV_OK;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int mcov_region_create_file(const char *dir, const char *name, uint64_t capacity_edges,
                            uint32_t kind, struct mcov_region *opened)
{
    char path[4096];
    int rc = mcov_region_path_of(dir, name, path, sizeof path);
    if (rc)
        return rc;
    if (capacity_edges == 0 || capacity_edges > MCOV_REGION_MAX_CAPACITY)
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "capacity of %llu edges for region '%s' is out of range: "
                         "pass 1 to %llu edges (rounded up to a multiple of %u)",
                         (unsigned long long)capacity_edges, name,
                         (unsigned long long)MCOV_REGION_MAX_CAPACITY, MCOV_EDGE_ALIGN);
    if (kind != MCOV_REGION_FLAGS && kind != MCOV_REGION_CLASSES)
        return mcov_fail(MCOV_E_INVALID_ARG, "region kind %u is not one this version defines", kind);
    uint64_t capacity = mcov_round_up(capacity_edges, MCOV_EDGE_ALIGN);
    uint64_t size = MCOV_REGION_MAP_OFFSET + capacity;

    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s/.memcov-tmp-XXXXXX", mcov_region_dir(dir));
    if (n < 0 || (size_t)n >= sizeof tmp) /* a cut template would name another file */
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "MEMCOV_SHM_DIR is too long for a temporary file name (%zu bytes at "
                         "most): set it to a shorter directory",
                         sizeof tmp - sizeof "/.memcov-tmp-XXXXXX");
    int fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return mcov_fail(MCOV_E_NOT_FOUND,
                             "shm directory '%s' does not exist: create it, or set "
                             "MEMCOV_SHM_DIR to an existing tmpfs directory",
                             mcov_region_dir(dir));
        return mcov_fail(e == EACCES || e == EPERM ? MCOV_E_PERMISSION : MCOV_E_SYSTEM,
                         "cannot create a file in shm directory '%s': %s "
                         "(set MEMCOV_SHM_DIR to a writable tmpfs directory)",
                         mcov_region_dir(dir), strerror(e));
    }
    /* Reserve every page now: a full tmpfs fails here, not with SIGBUS in a target later. */
    int err;
    do
        err = posix_fallocate(fd, 0, (off_t)size);
    while (err == EINTR);
    if (err) {
        unlink(tmp);
        close(fd);
        if (err == ENOSPC || err == EFBIG || err == EDQUOT)
            return mcov_fail(MCOV_E_NO_SPACE,
                             "no room for region '%s' in '%s': it needs %llu bytes (%s); "
                             "free space there, lower the capacity or set MEMCOV_SHM_DIR",
                             name, mcov_region_dir(dir), (unsigned long long)size, strerror(err));
        return mcov_fail(MCOV_E_SYSTEM,
                         "cannot reserve %llu bytes for region '%s' in '%s': %s; set "
                         "MEMCOV_SHM_DIR to a tmpfs directory (posix_fallocate must work there)",
                         (unsigned long long)size, name, mcov_region_dir(dir), strerror(err));
    }
    /* Its lanes file before its name: a region is never linked into place without one. */
    uint64_t token;
    rc = mcov_lanes_create(path, name, capacity, &token);
    if (rc) {
        unlink(tmp);
        close(fd);
        return rc;
    }
    mcov_region_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MCOV_REGION_MAGIC, MCOV_REGION_MAGIC_LEN);
    h.version = MCOV_REGION_VERSION;
    h.header_size = sizeof h;
    h.map_offset = MCOV_REGION_MAP_OFFSET;
    h.capacity_edges = capacity;
    h.module_capacity = MCOV_MODULE_TABLE_CAPACITY;
    h.module_table_offset = MCOV_MODULE_TABLE_OFFSET;
    h.creator_pid = (uint64_t)getpid();
    h.created_ns = now_ns();
    h.kind = kind;
    h.lanes_token = token;
    h.lane_count = MCOV_LANE_COUNT;
    h.reset_epoch = 1; /* a fresh lane's seen_epoch; 0 is no epoch */
    ssize_t w = pwrite(fd, &h, sizeof h, 0);
    err = w == (ssize_t)sizeof h ? 0 : (w < 0 ? errno : EIO);
    /* Held before its name appears, so no sweep can find it unused in between. */
    if (!err && opened && mcov_liveness_hold(fd, name, tmp, true) != MCOV_OK)
        err = errno ? errno : EIO;
    /* link() never replaces: an existing region of that name is left alone. */
    if (!err && link(tmp, path) != 0)
        err = errno;
    unlink(tmp);
    if (err)
        mcov_lanes_remove(path, name, token);
    if (!err && opened) {
        /* Mapped through its name, so that the process's maps show the region's path, from a
         * descriptor checked to be the file just made; the one that made it keeps the locks. */
        memset(opened, 0, sizeof *opened);
        snprintf(opened->path, sizeof opened->path, "%s", path);
        struct stat made, named;
        int by_name = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        opened->share_fd = -1;
        if (by_name < 0 || fstat(fd, &made) != 0 || fstat(by_name, &named) != 0 ||
            made.st_dev != named.st_dev || made.st_ino != named.st_ino)
            rc = mcov_fail(MCOV_E_SYSTEM,
                           "region '%s' (%s) was removed or replaced right after it was created: "
                           "create it again",
                           name, path);
        else if ((rc = map_validated(by_name, &named, name, opened)) != MCOV_OK) {
            unlink(path); /* a region its creator cannot map is of no use to anyone */
            mcov_lanes_remove(path, name, token);
        }
        if (rc) {
            if (by_name >= 0)
                close(by_name);
            close(fd);
            opened->fd = -1;
            return rc;
        }
        /* Kept, held as attached alone, for fork children to share (struct mcov_region); without
         * that hold they open the region again at the fork. The create succeeded either way. */
        char saved[1024];
        mcov_save_error(saved);
        if (mcov_liveness_hold(by_name, name, path, false) == MCOV_OK) {
            opened->share_fd = by_name;
            opened->share_tag = mcov_fd_tag(by_name);
        } else {
            close(by_name);
        }
        mcov_restore_error(saved);
        mcov_region_keep_fd(opened, fd);
        opened->creator = true;
        return MCOV_OK;
    }
    close(fd);
    if (err == EEXIST)
        return mcov_fail(MCOV_E_EXISTS,
                         "region '%s' exists already at %s: attach to it, or remove it first",
                         name, path);
    if (err)
        return mcov_fail(MCOV_E_SYSTEM,
                         "cannot create region '%s' at %s: %s; set MEMCOV_SHM_DIR to a "
                         "writable local tmpfs directory",
                         name, path, strerror(err));
    return MCOV_OK;
}

void mcov_region_keep_fd(struct mcov_region *r, int fd)
{
    r->fd = fd;
    r->fd_tag = mcov_fd_tag(fd);
    r->fd_pid = getpid();
}

bool mcov_region_fd_own(const struct mcov_region *r, int fd)
{
    return r->fd_pid == getpid() && mcov_fd_own(fd, r->dev, r->ino, r->fd_tag);
}

void mcov_region_close(struct mcov_region *r)
{
    mcov_lanes_close(r);
    if (r->base)
        munmap(r->base, r->size);
    mcov_liveness_drop(r->fd, r->dev, r->ino, r->fd_tag);
    if (r->share_fd >= 0)
        mcov_liveness_drop(r->share_fd, r->dev, r->ino, r->share_tag);
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->share_fd = -1;
}

/* Up to 64 MiB of map: at most 16 Ki page-table entries. */
#define MCOV_PREFAULT_BYTES (64ull << 20)

/* A read of each page. A fresh region's pages are zero-filled at their first touch, which is
 * most of the cost; on such pages MADV_POPULATE_READ measured slower. Recorded in r->faulted, so
 * that a count's fault-ahead starts past them. */
void mcov_region_prefault(struct mcov_region *r)
{
    uint64_t n = r->capacity < MCOV_PREFAULT_BYTES ? r->capacity : MCOV_PREFAULT_BYTES;
    for (uint64_t off = 0; off < n; off += MCOV_EDGE_ALIGN)
        (void)__atomic_load_n(r->map + off, __ATOMIC_RELAXED);
    mcov_region_faulted_at_least(r, n);
}

/* Beyond what the process faulted in (past the creator's prefault; from 0 in a process that
 * attached or forked), a count's reads would fault every few pages (fault-around); on pages the
 * workers wrote already, one MADV_POPULATE_READ maps them all (64 MiB in about 3 ms in a VM, whose
 * host still fills its shadow page tables at each page's first read). A kernel without it faults
 * as before. */
void mcov_region_fault_ahead(struct mcov_region *r, uint64_t upto)
{
    /* Atomic: readers through one file handle may count from several threads; two that race map
     * the same pages twice, which is harmless. */
    upto = upto < r->capacity ? mcov_round_up(upto, (uint64_t)mcov_page_size()) : r->capacity;
    uint64_t from = __atomic_load_n(&r->faulted, __ATOMIC_RELAXED);
    if (upto <= from)
        return;
    (void)madvise(r->map + from, upto - from, MADV_POPULATE_READ);
    mcov_region_faulted_at_least(r, upto);
}

void mcov_region_faulted_at_least(struct mcov_region *r, uint64_t n)
{
    uint64_t was = __atomic_load_n(&r->faulted, __ATOMIC_RELAXED);
    while (was < n &&
           !__atomic_compare_exchange_n(&r->faulted, &was, n, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

/* The header's alloc_cursor and module_count as read, bounded whatever another process wrote. */
static uint64_t bounded_cursor(const struct mcov_region *r, uint64_t c)
{
    c -= c % MCOV_EDGE_ALIGN;
    return c < r->capacity ? c : r->capacity;
}

static uint32_t bounded_count(const struct mcov_region *r, uint32_t n)
{
    return n < r->table_capacity ? n : r->table_capacity;
}

uint64_t mcov_region_cursor(const struct mcov_region *r)
{
    return bounded_cursor(r, __atomic_load_n(&r->header->alloc_cursor, __ATOMIC_ACQUIRE));
}

uint32_t mcov_region_module_count(const struct mcov_region *r)
{
    return bounded_count(r, __atomic_load_n(&r->header->module_count, __ATOMIC_ACQUIRE));
}

bool mcov_entry_identity_valid(const mcov_module_entry *e)
{
    /* file_size fits a signed 64-bit size, as every reader's file sizes do. */
    return e->edge_count > 0 && e->edge_count <= MCOV_REGION_MAX_CAPACITY &&
           e->file_size <= (uint64_t)INT64_MAX &&
           (e->mode == MCOV_MODE_CALLBACK || e->mode == MCOV_MODE_INLINE) &&
           (e->id_kind == MCOV_ID_BUILD_ID || e->id_kind == MCOV_ID_PATH) && e->id_len >= 1 &&
           e->id_len <= sizeof e->id;
}

static bool entry_valid(const struct mcov_region *r, const mcov_module_entry *e)
{
    return mcov_entry_identity_valid(e) && e->edge_count <= r->capacity &&
           e->base % MCOV_EDGE_ALIGN == 0 &&
           e->base <= r->capacity - mcov_round_up(e->edge_count, MCOV_EDGE_ALIGN);
}

bool mcov_region_read_entry(const struct mcov_region *r, uint32_t i, mcov_module_entry *out)
{
    /* Word by word with atomic loads, so the compiler cannot read the shared bytes again
     * later; the table offset is validated to be 8-aligned. */
    enum { WORDS = sizeof *out / sizeof(uint64_t) };
    const mcov_word *src = (const mcov_word *)(r->base + r->table_offset) + (uint64_t)i * WORDS;
    uint64_t words[WORDS];
    for (size_t k = 0; k < WORDS; k++)
        words[k] = __atomic_load_n(&src[k], __ATOMIC_RELAXED);
    memcpy(out, words, sizeof *out);
    return entry_valid(r, out);
}

uint64_t mcov_region_lanes_token(int fd)
{
    mcov_region_header h;
    if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
        memcmp(h.magic, MCOV_REGION_MAGIC, MCOV_REGION_MAGIC_LEN) != 0 ||
        h.version != MCOV_REGION_VERSION)
        return 0;
    return h.lanes_token;
}

int mcov_region_remove_file(const char *dir, const char *name)
{
    char path[4096];
    int rc = mcov_region_path_of(dir, name, path, sizeof path);
    if (rc)
        return rc;
    struct stat st;
    uint64_t token = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            token = mcov_region_lanes_token(fd);
        close(fd);
    }
    if (unlink(path) != 0) {
        if (errno == ENOENT) {
            mcov_lanes_remove_stale(path, name, 0); /* of a region removed by other means */
            return mcov_fail(MCOV_E_NOT_FOUND, "no region '%s' to remove (%s)", name, path);
        }
        return mcov_fail(MCOV_E_SYSTEM,
                         "cannot remove region '%s' (%s): %s; the directory (MEMCOV_SHM_DIR) "
                         "must be writable by this user",
                         name, path, strerror(errno));
    }
    mcov_lanes_remove(path, name, token);
    mcov_lanes_remove_stale(path, name, 0);
    return MCOV_OK;
}

int mcov_region_remove_unused(const char *dir, const char *name)
{
    char path[4096];
    int rc = mcov_region_path_of(dir, name, path, sizeof path);
    if (rc)
        return rc;
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return mcov_fail(MCOV_E_NOT_FOUND, "no region '%s' to remove (%s)", name, path);
        return mcov_fail(e == ELOOP || e == EACCES || e == EPERM ? MCOV_E_PERMISSION
                                                                 : MCOV_E_SYSTEM,
                         "cannot open region '%s' (%s): %s", name, path, strerror(e));
    }
    struct stat st, at;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        return mcov_fail(MCOV_E_PERMISSION, "%s is not a region file of this user: left alone",
                         path);
    }
    if (!mcov_liveness_take_unused(fd)) {
        close(fd);
        return mcov_fail(MCOV_E_IN_USE, "region '%s' is held by a running process: left alone",
                         name);
    }
    /* The write lock keeps attachers out until the name is gone; the path must still be this
     * file, or the unlink would remove another one. */
    if (stat(path, &at) != 0 || at.st_dev != st.st_dev || at.st_ino != st.st_ino) {
        close(fd);
        return mcov_fail(MCOV_E_NOT_FOUND, "region '%s' was removed or replaced meanwhile", name);
    }
    uint64_t token = mcov_region_lanes_token(fd);
    rc = unlink(path) == 0 ? MCOV_OK
                           : mcov_fail(MCOV_E_SYSTEM, "cannot remove region '%s' (%s): %s", name,
                                       path, strerror(errno));
    if (rc == MCOV_OK) {
        mcov_lanes_remove(path, name, token);
        mcov_lanes_remove_stale(path, name, 0);
    }
    close(fd);
    return rc;
}

int mcov_region_liveness(const char *dir, const char *name, uint32_t *state)
{
    *state = 0;
    char path[4096];
    int rc = mcov_region_path_of(dir, name, path, sizeof path);
    if (rc)
        return rc;
    /* Read-only and never blocking: a FIFO at the path is refused by the type check below. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return mcov_fail(e == ENOENT ? MCOV_E_NOT_FOUND : MCOV_E_PERMISSION, "cannot open %s: %s",
                         path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mcov_fail(MCOV_E_PERMISSION, "%s is not a regular file", path);
    }
    *state = mcov_liveness_of(fd);
    close(fd);
    return MCOV_OK;
}

static void clear_map(const struct mcov_region *r)
{
    /* Store only where a byte is set: clean pages stay clean and unshared. */
    mcov_word *words = (mcov_word *)r->map;
    for (uint64_t i = 0; i < r->capacity / 8; i++)
        if (__atomic_load_n(&words[i], __ATOMIC_RELAXED))
            __atomic_store_n(&words[i], 0, __ATOMIC_RELAXED);
}

int mcov_region_clear(const struct mcov_region *r)
{
    /* Without its lanes file (a copy, or the file removed) no lane can be masked: the epoch stays,
     * so live lanes keep counting whole, and what they held comes back when they are folded. */
    if (!r->lanes.base) {
        clear_map(r);
        return MCOV_OK;
    }
    int lock = mcov_lanes_lock(r, true);
    if (lock < 0)
        return lock;
    int rc = mcov_lanes_reset(r, r->fd);
    if (rc == MCOV_OK)
        clear_map(r);
    mcov_lanes_unlock(lock);
    return rc;
}

int mcov_region_sync(const struct mcov_region *r, int32_t own)
{
    if (!mcov_lanes_any_taken(r, own))
        return MCOV_OK;
    int lock = mcov_lanes_lock(r, false);
    if (lock < 0)
        return lock;
    int rc = mcov_lanes_fold(r, r->fd, own);
    mcov_lanes_unlock(lock);
    return rc;
}

/* How long a registration waits for another process's registration lock. Holds last
 * microseconds; a holder that died has released it (the kernel drops flock with the last
 * descriptor), so only a stopped or stuck live holder makes a registration wait this long. */
#define MCOV_LOCK_WAIT_NS (3ull * 1000000000ull)

/* The region's path opened again and checked to be this file, or a negative code. */
static int open_again(struct mcov_region *r)
{
    /* A fresh open: flock belongs to the open file description, so a fork child never
     * shares it, and the kernel drops it when its holder dies. */
    int fd = open(r->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return mcov_fail(MCOV_E_NOT_FOUND,
                         "region '%s' was removed (%s): new modules record privately; "
                         "attach again to a live region",
                         r->name, r->path);
    if (!mcov_fd_is(fd, r->dev, r->ino)) {
        close(fd);
        return mcov_fail(MCOV_E_NOT_FOUND,
                         "region '%s' was removed and replaced (%s): new modules record "
                         "privately; attach again",
                         r->name, r->path);
    }
    return fd;
}

int mcov_region_lock(struct mcov_region *r, bool fd_checked)
{
    int fd = fd_checked ? r->fd : open_again(r);
    if (fd < 0)
        return fd;
    /* Never block without bound: registration runs inside dlopen, under the loader's lock,
     * so a stuck holder would hang the host. After one timeout, later modules only try. */
    struct mcov_lock_wait wait;
    mcov_lock_wait_start(&wait, r->lock_timed_out ? 0 : MCOV_LOCK_WAIT_NS, 50000000);
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            r->lock_timed_out = false;
            return fd;
        }
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EWOULDBLOCK) {
            mcov_region_lock_close(fd, fd_checked);
            return mcov_fail(MCOV_E_SYSTEM,
                             "cannot lock region '%s' (%s): %s; new modules record privately, "
                             "check that the file system of MEMCOV_SHM_DIR supports flock",
                             r->name, r->path, strerror(e));
        }
        if (!mcov_lock_wait(&wait))
            break;
    }
    mcov_region_lock_close(fd, fd_checked);
    r->lock_timed_out = true;
    return mcov_fail(MCOV_E_SYSTEM,
                     "region '%s' stayed locked by another process for %llu s (stopped or stuck "
                     "while registering a module? fuser %s finds it): new modules record "
                     "privately; resume or end that process, then attach again",
                     r->name, MCOV_LOCK_WAIT_NS / 1000000000ull, r->path);
}

void mcov_region_lock_close(int fd, bool fd_checked)
{
    /* Unlocked first: a fork in another thread of a tool may hold a copy of the descriptor. The
     * liveness locks are record locks: they stay. */
    (void)flock(fd, LOCK_UN);
    if (!fd_checked)
        close(fd);
}

/* --- Claiming ranges (docs/region-format.md, "Registration protocol"), under the lock --- */

static mcov_module_entry *entry_at(const struct mcov_region *r, uint32_t i)
{
    return (mcov_module_entry *)(r->base + r->table_offset) + i;
}

/* The table as a claim reads it, under the registration lock: the header's count and cursor, and
 * the entries on the header's page, with pread from the locked descriptor, a few entries at a
 * time (2 KiB with the header: a larger buffer could reach a stack page the usual start-up never
 * touches); later entries through the mapping. A worker of callback modules on a flag region
 * then never touches the header's page, which nothing else in it reads: in a VM a page's first
 * touch costs more than a read (the host fills its shadow page tables). Only a registrant holding
 * the lock writes module_count, alloc_cursor and the entries. */
#define MCOV_TABLE_READ_ENTRIES 7
struct table_read {
    uint32_t n;      /* entries (bounded_count) */
    uint64_t cursor; /* bounded_cursor */
    int fd;          /* where entries are read from; -1: through the mapping */
    uint32_t paged;  /* entries [0, paged) share the header's page */
    uint32_t from;   /* entries [from, from + held) are in chunk[] */
    uint32_t held;
    struct {
        mcov_region_header header;
        mcov_module_entry chunk[MCOV_TABLE_READ_ENTRIES];
    } bytes;
};

static uint32_t chunk_at(const struct table_read *t, uint32_t i)
{
    uint32_t end = t->n < t->paged ? t->n : t->paged;
    return end - i < MCOV_TABLE_READ_ENTRIES ? end - i : MCOV_TABLE_READ_ENTRIES;
}

static void read_table(const struct mcov_region *r, int fd, struct table_read *t)
{
    t->from = 0;
    t->held = 0;
    t->fd = fd;
    uint64_t page = (uint64_t)mcov_page_size();
    t->paged = r->table_offset < page
                   ? (uint32_t)((page - r->table_offset) / sizeof(mcov_module_entry))
                   : 0;
    /* With the first entries when they follow the header, as in the files this version makes. */
    bool along = r->table_offset == sizeof t->bytes.header;
    uint32_t first = along ? (r->table_capacity < MCOV_TABLE_READ_ENTRIES ? r->table_capacity
                                                                          : MCOV_TABLE_READ_ENTRIES)
                           : 0;
    size_t len = sizeof t->bytes.header + first * sizeof(mcov_module_entry);
    if (pread(fd, &t->bytes, len, 0) != (ssize_t)len) {
        t->fd = -1;
        t->n = mcov_region_module_count(r);
        t->cursor = mcov_region_cursor(r);
        return;
    }
    t->n = bounded_count(r, t->bytes.header.module_count);
    t->cursor = bounded_cursor(r, t->bytes.header.alloc_cursor);
    t->held = first < t->n ? first : t->n;
}

static bool table_entry(const struct mcov_region *r, struct table_read *t, uint32_t i,
                        mcov_module_entry *out)
{
    if (i < t->from || i - t->from >= t->held) {
        if (t->fd < 0 || i >= t->paged)
            return mcov_region_read_entry(r, i, out);
        uint32_t want = chunk_at(t, i);
        size_t len = want * sizeof(mcov_module_entry);
        off_t at = (off_t)(r->table_offset + (uint64_t)i * sizeof(mcov_module_entry));
        if (pread(t->fd, t->bytes.chunk, len, at) != (ssize_t)len) {
            t->held = 0; /* part of the chunk may be overwritten */
            t->fd = -1;
            return mcov_region_read_entry(r, i, out);
        }
        t->from = i;
        t->held = want;
    }
    *out = t->bytes.chunk[i - t->from];
    return entry_valid(r, out);
}

/* The base of the valid entry matching id (copied into *match if not NULL), or -1; *cursor
 * becomes the first slot no valid entry reserves (a cursor another process wrote back never
 * overlaps an entry). */
static int64_t find_range(const struct mcov_region *r, struct table_read *t,
                          const struct mcov_identity *id, uint64_t *cursor,
                          mcov_module_entry *match)
{
    uint64_t c = t->cursor;
    int64_t found = -1;
    for (uint32_t i = 0; i < t->n; i++) {
        mcov_module_entry e;
        if (!table_entry(r, t, i, &e))
            continue;
        if (found < 0 && mcov_identity_matches(id, &e)) {
            found = (int64_t)e.base;
            if (match)
                *match = e;
        }
        uint64_t end = e.base + mcov_round_up(e.edge_count, MCOV_EDGE_ALIGN);
        if (end > c)
            c = end;
    }
    *cursor = c;
    return found;
}

/* Publish entry n for id at cursor. Cursor before count: a writer killed in between wastes a
 * range, never shares one. */
static void publish(const struct mcov_region *r, uint32_t n, const struct mcov_identity *id,
                    uint64_t cursor)
{
    mcov_module_entry *e = entry_at(r, n);
    mcov_entry_of_identity(id, e);
    e->base = cursor;
    mcov_region_header *h = r->header;
    __atomic_store_n(&h->alloc_cursor, cursor + mcov_round_up(id->edge_count, MCOV_EDGE_ALIGN),
                     __ATOMIC_RELEASE);
    __atomic_store_n(&h->module_count, n + 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&h->edges_registered, id->edge_count, __ATOMIC_RELAXED);
}

int64_t mcov_region_claim_one(const struct mcov_region *r, int fd, struct mcov_identity *id)
{
    struct table_read t;
    read_table(r, fd, &t);
    uint64_t cursor;
    mcov_module_entry match;
    int64_t base = find_range(r, &t, id, &cursor, &match);
    if (base >= 0) {
        mcov_identity_adopt(id, &match);
        return base;
    }
    mcov_identity_complete(id); /* the entry written names the file */
    uint32_t n = t.n;
    uint64_t need = mcov_round_up(id->edge_count, MCOV_EDGE_ALIGN);
    if (n < r->table_capacity && need <= r->capacity - cursor) {
        publish(r, n, id, cursor);
        return (int64_t)cursor;
    }
    mcov_region_count_private(r, id->edge_count);
    if (n >= r->table_capacity)
        mcov_warn("region '%s' has no free module entry (%u in use): module %s records "
                  "privately; use a new region",
                  r->name, n, id->path);
    else
        mcov_warn("region '%s' (capacity %llu edges, %llu in use) is too small for module %s "
                  "(%llu edges): create it with a capacity of at least %llu edges; the module "
                  "records privately",
                  r->name, (unsigned long long)r->capacity, (unsigned long long)cursor, id->path,
                  (unsigned long long)id->edge_count, (unsigned long long)(cursor + need));
    return -1;
}

/* A new module's place in bases[] until its range is known: no real base has this bit. */
#define NEW_TAG (1ull << 63)

int mcov_region_claim_all(const struct mcov_region *r, int fd, const struct mcov_identity *ids,
                          uint32_t count, uint64_t *bases, uint64_t *needed)
{
    struct table_read t;
    read_table(r, fd, &t);
    uint64_t cursor = 0, need = 0;
    uint32_t fresh = 0;
    /* Every base is known before the first store, so a refusal leaves the table as it was. */
    for (uint32_t i = 0; i < count; i++) {
        int64_t found = find_range(r, &t, &ids[i], &cursor, NULL);
        uint64_t base = found >= 0 ? (uint64_t)found : NEW_TAG | fresh;
        for (uint32_t j = 0; found < 0 && j < i; j++)
            if (mcov_identity_equal(&ids[j], &ids[i])) {
                base = bases[j]; /* the same module twice: one range */
                break;
            }
        if (base == (NEW_TAG | fresh)) {
            fresh++;
            need += mcov_round_up(ids[i].edge_count, MCOV_EDGE_ALIGN);
        }
        bases[i] = base;
    }
    uint32_t n = t.n;
    uint64_t want = cursor + need;
    if (want > MCOV_REGION_MAX_CAPACITY)
        want = MCOV_REGION_MAX_CAPACITY;
    if (fresh > r->table_capacity - n) {
        if (needed)
            *needed = want;
        return mcov_fail(MCOV_E_TOO_SMALL,
                         "region '%s' has %u free module entries and %u modules are new to it: "
                         "use a new region; nothing was written",
                         r->name, r->table_capacity - n, fresh);
    }
    if (need > r->capacity - cursor) {
        if (needed)
            *needed = want;
        return mcov_fail(MCOV_E_TOO_SMALL,
                         "region '%s' (capacity %llu edges, %llu in use) has no room for %u new "
                         "modules (%llu edges): use a region with a capacity of at least %llu "
                         "edges; nothing was written",
                         r->name, (unsigned long long)r->capacity, (unsigned long long)cursor,
                         fresh, (unsigned long long)need, (unsigned long long)want);
    }
    for (uint32_t i = 0; i < count; i++) {
        uint64_t tag = bases[i];
        if (!(tag & NEW_TAG))
            continue;
        publish(r, n++, &ids[i], cursor);
        for (uint32_t j = i; j < count; j++)
            if (bases[j] == tag)
                bases[j] = cursor;
        cursor += mcov_round_up(ids[i].edge_count, MCOV_EDGE_ALIGN);
    }
    return MCOV_OK;
}

void mcov_region_count_private(const struct mcov_region *r, uint64_t edges)
{
    __atomic_fetch_add(&r->header->edges_dropped, edges, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->header->modules_private, 1, __ATOMIC_RELAXED);
}
