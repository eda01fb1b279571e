/* Region files that are not valid regions of this version are refused by attach and reset with
 * the right code and a message naming the remedy, and are never written to; a symlink, a
 * FIFO or another uid's file at the region path is refused with MCOV_E_PERMISSION. Regions
 * mcov_region_create makes are mode 0600, mcov_region_remove removes them, and creating an
 * existing name leaves that file alone. Runs in a private shm directory. */
#define _GNU_SOURCE
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[] = "/dev/shm/memcov-t-corrupt-XXXXXX";

static void remove_dir(void)
{
    t_remove_dir(s_dir);
}

static void write_file(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0, "create %s: %s", path, strerror(errno));
    CHECK(len == 0 || write(fd, buf, len) == (ssize_t)len, "write %s", path);
    close(fd);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    struct stat st;
    CHECK(fstat(fd, &st) == 0, "fstat");
    *len = (size_t)st.st_size;
    uint8_t *buf = malloc(*len ? *len : 1);
    CHECK(buf, "malloc");
    CHECK(*len == 0 || read(fd, buf, *len) == (ssize_t)*len, "read %s", path);
    close(fd);
    return buf;
}

static void check_file_is(const char *path, const uint8_t *want, size_t want_len,
                          const char *label)
{
    size_t len;
    uint8_t *got = read_file(path, &len);
    CHECK(len == want_len, "%s: file is %zu bytes, was %zu", label, len, want_len);
    CHECK(len == 0 || memcmp(got, want, len) == 0, "%s: a refused file was written to", label);
    free(got);
}

static uint8_t *s_tmpl;
static size_t s_tmpl_len;
static const char *s_good;

static void check_still_on_good(const char *label)
{
    CHECK(mcov_is_attached() == 1, "%s: no longer attached", label);
    CHECK(strcmp(mcov_region_name(), s_good) == 0, "%s: attached to '%s'", label,
          mcov_region_name());
}

/* Write BUF as a fresh region, expect attach, reset and create to refuse it without
 * touching it, then remove it. Messages must carry MSG_PART: the remedy ("remove" for a
 * corrupt file), not which field a validator happens to check first. */
static void refused(const char *label, const uint8_t *buf, size_t len, int want,
                    const char *msg_part)
{
    const char *name = t_region_name("bad");
    char path[4096];
    t_region_path(name, path, sizeof path);
    write_file(path, buf, len);

    int rc = mcov_attach(name);
    CHECK(rc == want, "%s: attach = %d, want %d (%s)", label, rc, want, mcov_last_error());
    const char *msg = mcov_last_error();
    CHECK(msg[0], "%s: empty mcov_last_error()", label);
    CHECK(strstr(msg, msg_part), "%s: message lacks '%s': '%s'", label, msg_part, msg);
    check_still_on_good(label);
    check_file_is(path, buf, len, label);

    rc = mcov_region_reset(name);
    CHECK(rc == want, "%s: reset = %d, want %d", label, rc, want);
    CHECK(strstr(mcov_last_error(), msg_part), "%s: reset message '%s'", label,
          mcov_last_error());
    check_file_is(path, buf, len, label);

    rc = mcov_region_create(name, 4096);
    CHECK(rc == MCOV_E_EXISTS, "%s: create over it = %d", label, rc);
    check_file_is(path, buf, len, label);
    check_still_on_good(label);

    /* The remedy the messages give works. */
    rc = mcov_region_remove(name);
    CHECK(rc == MCOV_OK, "%s: remove = %d (%s)", label, rc, mcov_last_error());
    struct stat st;
    CHECK(lstat(path, &st) != 0, "%s: still there after remove", label);
}

/* The template with one header field changed. */
#define WITH(field, value, label, want, part)                                               \
    do {                                                                                    \
        uint8_t *b = malloc(s_tmpl_len);                                                    \
        CHECK(b, "malloc");                                                                 \
        memcpy(b, s_tmpl, s_tmpl_len);                                                      \
        mcov_region_header *h = (mcov_region_header *)b;                                    \
        h->field = (value);                                                                 \
        refused(label, b, s_tmpl_len, want, part);                                          \
        free(b);                                                                            \
    } while (0)

int main(void)
{
    CHECK(mkdtemp(s_dir), "mkdtemp %s", s_dir);
    atexit(remove_dir);
    setenv("MEMCOV_SHM_DIR", s_dir, 1);

    /* Mode, remove, and the template: a fresh 4096-edge region with some map bytes set. */
    mode_t old_mask = umask(0);
    const char *tmpl = t_region_name("tmpl");
    int rc = mcov_region_create(tmpl, 4096);
    umask(old_mask);
    CHECK(rc == MCOV_OK, "create: %s", mcov_last_error());
    char tmpl_path[4096];
    t_region_path(tmpl, tmpl_path, sizeof tmpl_path);
    struct stat st;
    CHECK(lstat(tmpl_path, &st) == 0, "stat %s", tmpl_path);
    CHECK(S_ISREG(st.st_mode), "not a regular file");
    CHECK((st.st_mode & 07777) == 0600, "mode %o, want 0600 (umask 0)", st.st_mode & 07777);
    CHECK(st.st_uid == geteuid(), "owner %u", (unsigned)st.st_uid);
    CHECK_EQ_U64(st.st_size, MCOV_REGION_MAP_OFFSET + 4096);
    CHECK(t_count_entries(s_dir, ".memcov-tmp") == 0, "temp file left after create");
    mcov_detach();
    s_tmpl = read_file(tmpl_path, &s_tmpl_len);
    for (size_t i = 0; i < 64; i++)
        s_tmpl[MCOV_REGION_MAP_OFFSET + i * 7] = 1; /* a reset would clear these */
    CHECK(mcov_region_remove(tmpl) == MCOV_OK, "remove: %s", mcov_last_error());
    CHECK(lstat(tmpl_path, &st) != 0, "%s still there after remove", tmpl_path);
    rc = mcov_region_remove(tmpl);
    CHECK(rc == MCOV_E_NOT_FOUND, "second remove = %d", rc);

    /* Control: the template written back is a valid region. */
    const char *ctl = t_region_name("ctl");
    char ctl_path[4096];
    t_region_path(ctl, ctl_path, sizeof ctl_path);
    write_file(ctl_path, s_tmpl, s_tmpl_len);
    rc = mcov_attach(ctl);
    CHECK(rc == MCOV_OK, "attach to the template copy: %s", mcov_last_error());
    mcov_detach();
    check_file_is(ctl_path, s_tmpl, s_tmpl_len, "control");

    /* Every refusal below happens while attached to a good region, which stays attached. */
    s_good = t_region_name("good");
    CHECK(mcov_region_create(s_good, 4096) == MCOV_OK, "create good: %s", mcov_last_error());

    const uint64_t map_off = MCOV_REGION_MAP_OFFSET;
    refused("empty file", s_tmpl, 0, MCOV_E_CORRUPT, "remove");
    refused("1 byte", s_tmpl, 1, MCOV_E_CORRUPT, "remove");
    refused("truncated header (100 bytes)", s_tmpl, 100, MCOV_E_CORRUPT, "remove");
    refused("truncated header (255 bytes)", s_tmpl, 255, MCOV_E_CORRUPT, "remove");
    refused("header only", s_tmpl, 256, MCOV_E_CORRUPT, "remove");
    refused("header and table, no map", s_tmpl, map_off, MCOV_E_CORRUPT, "remove");
    refused("map one byte short", s_tmpl, s_tmpl_len - 1, MCOV_E_CORRUPT, "remove");
    {
        uint8_t *zero = calloc(1, s_tmpl_len);
        CHECK(zero, "calloc");
        refused("all zero", zero, s_tmpl_len, MCOV_E_CORRUPT, "remove");
        free(zero);
    }
    WITH(magic[0], 'X', "bad magic", MCOV_E_CORRUPT, "remove");
    WITH(magic[7], 'g', "bad magic (last byte)", MCOV_E_CORRUPT, "remove");
    WITH(version, 1, "version 1", MCOV_E_VERSION, "version 1");
    WITH(version, 2, "version 2 (before lanes)", MCOV_E_VERSION, "reads version 5");
    WITH(version, 3, "version 3 (masks of flags only)", MCOV_E_VERSION, "reads version 5");
    WITH(version, 4, "version 4 (no PC files)", MCOV_E_VERSION, "reads version 5");
    WITH(version, MCOV_REGION_VERSION + 1, "the next version", MCOV_E_VERSION, "reads version");
    WITH(version, 0, "version 0", MCOV_E_VERSION, "version 0");
    WITH(version, 0xffffffffu, "version 2^32-1", MCOV_E_VERSION, "recreate");
    WITH(capacity_edges, 4095, "capacity 4095", MCOV_E_CORRUPT, "remove");
    WITH(capacity_edges, 4097, "capacity 4097", MCOV_E_CORRUPT, "remove");
    WITH(capacity_edges, 0, "capacity 0", MCOV_E_CORRUPT, "remove");
    WITH(capacity_edges, (1ull << 32) + 4096, "capacity above 2^32", MCOV_E_CORRUPT,
         "remove");
    WITH(capacity_edges, UINT64_MAX - 4095, "capacity near 2^64", MCOV_E_CORRUPT,
         "remove");
    WITH(capacity_edges, 8192, "file shorter than map_offset + capacity", MCOV_E_CORRUPT,
         "remove");
    WITH(alloc_cursor, 8192, "cursor above capacity", MCOV_E_CORRUPT, "remove");
    WITH(alloc_cursor, 100, "cursor not a multiple of 4096", MCOV_E_CORRUPT, "remove");
    WITH(alloc_cursor, UINT64_MAX, "cursor 2^64-1", MCOV_E_CORRUPT, "remove");
    WITH(module_count, MCOV_MODULE_TABLE_CAPACITY + 1, "module_count above module_capacity",
         MCOV_E_CORRUPT, "remove");
    WITH(module_count, 0xffffffffu, "module_count 2^32-1", MCOV_E_CORRUPT, "remove");
    WITH(header_size, 128, "header_size 128", MCOV_E_CORRUPT, "remove");
    WITH(header_size, 512, "header_size 512", MCOV_E_CORRUPT, "remove");
    WITH(map_offset, map_off + 1, "map_offset not page-aligned", MCOV_E_CORRUPT, "remove");
    WITH(map_offset, 4096, "map_offset inside the module table", MCOV_E_CORRUPT, "remove");
    WITH(map_offset, 0, "map_offset 0", MCOV_E_CORRUPT, "remove");
    WITH(map_offset, UINT64_MAX - 4095, "map_offset near 2^64 (wraps with capacity)",
         MCOV_E_CORRUPT, "remove");
    WITH(map_offset, map_off + 4096, "map_offset past the file", MCOV_E_CORRUPT, "remove");
    WITH(module_table_offset, 0, "module table over the header", MCOV_E_CORRUPT,
         "remove");
    WITH(module_table_offset, 257, "module table misaligned", MCOV_E_CORRUPT,
         "remove");
    WITH(module_table_offset, map_off, "module table over the map", MCOV_E_CORRUPT,
         "remove");
    /* 2^64 - 256 KiB: offset + 1024 entries of 256 bytes wraps to 0, "before" the map. */
    WITH(module_table_offset, (uint64_t)0 - 262144, "module table offset wrapping around 2^64",
         MCOV_E_CORRUPT, "remove");
    WITH(module_capacity, 0, "module_capacity 0", MCOV_E_CORRUPT, "remove");
    WITH(module_capacity, 2000, "module table over the map (capacity)", MCOV_E_CORRUPT,
         "remove");
    WITH(module_capacity, 0xffffffffu, "module_capacity 2^32-1", MCOV_E_CORRUPT,
         "remove");
    WITH(kind, 0, "kind 0", MCOV_E_CORRUPT, "remove");
    WITH(kind, 3, "kind 3", MCOV_E_CORRUPT, "remove");
    WITH(lanes_token, 0, "no lanes token", MCOV_E_CORRUPT, "remove");
    WITH(lane_count, 0, "lane_count 0", MCOV_E_CORRUPT, "remove");
    WITH(lane_count, MCOV_LANE_COUNT + 1, "lane_count above the maximum", MCOV_E_CORRUPT, "remove");
    check_still_on_good("after the corrupt files");
    CHECK(t_count_entries(s_dir, ".memcov-tmp") == 0, "temp file left");

    /* A valid region behind a symlink: never followed, never written. */
    const char *target = t_region_name("target");
    char target_path[4096];
    t_region_path(target, target_path, sizeof target_path);
    write_file(target_path, s_tmpl, s_tmpl_len);
    const char *link_name = t_region_name("link");
    char link_path[4096];
    t_region_path(link_name, link_path, sizeof link_path);
    CHECK(symlink(target_path, link_path) == 0, "symlink: %s", strerror(errno));
    rc = mcov_attach(link_name);
    CHECK(rc == MCOV_E_PERMISSION, "attach through a symlink = %d", rc);
    CHECK(strstr(mcov_last_error(), "symbolic link"), "message: '%s'", mcov_last_error());
    check_still_on_good("symlink");
    rc = mcov_region_reset(link_name);
    CHECK(rc == MCOV_E_PERMISSION, "reset through a symlink = %d", rc);
    rc = mcov_region_create(link_name, 4096);
    CHECK(rc == MCOV_E_EXISTS, "create over a symlink = %d", rc);
    check_file_is(target_path, s_tmpl, s_tmpl_len, "symlink target");
    CHECK(lstat(link_path, &st) == 0 && S_ISLNK(st.st_mode), "the symlink was replaced");
    /* Removing the link's name must not remove what it points to. */
    rc = mcov_region_remove(link_name);
    CHECK(rc == MCOV_OK || rc == MCOV_E_PERMISSION, "remove of a symlink = %d", rc);
    check_file_is(target_path, s_tmpl, s_tmpl_len, "symlink target after remove");
    unlink(link_path);

    /* A dangling symlink: also refused, and create does not write through it. */
    char nowhere[4096];
    snprintf(nowhere, sizeof nowhere, "%s/nowhere", s_dir);
    CHECK(symlink(nowhere, link_path) == 0, "symlink: %s", strerror(errno));
    rc = mcov_attach(link_name);
    CHECK(rc == MCOV_E_PERMISSION, "attach through a dangling symlink = %d", rc);
    rc = mcov_region_create(link_name, 4096);
    CHECK(rc == MCOV_E_EXISTS, "create over a dangling symlink = %d", rc);
    CHECK(lstat(nowhere, &st) != 0, "create wrote through a dangling symlink");
    unlink(link_path);

    /* A FIFO at the region path. */
    const char *fifo = t_region_name("fifo");
    char fifo_path[4096];
    t_region_path(fifo, fifo_path, sizeof fifo_path);
    CHECK(mkfifo(fifo_path, 0600) == 0, "mkfifo: %s", strerror(errno));
    rc = mcov_attach(fifo);
    CHECK(rc == MCOV_E_PERMISSION, "attach to a FIFO = %d", rc);
    CHECK(mcov_last_error()[0], "empty message");
    rc = mcov_region_reset(fifo);
    CHECK(rc == MCOV_E_PERMISSION, "reset of a FIFO = %d", rc);
    unlink(fifo_path);

    /* Creating an existing name: refused, the region is left as it was. */
    const char *dup = t_region_name("dup");
    CHECK(mcov_region_create(dup, 4096) == MCOV_OK, "create dup: %s", mcov_last_error());
    CHECK(mcov_attach(s_good) == MCOV_OK, "attach good: %s", mcov_last_error());
    char dup_path[4096];
    t_region_path(dup, dup_path, sizeof dup_path);
    {
        int fd = open(dup_path, O_WRONLY | O_CLOEXEC);
        CHECK(fd >= 0, "open dup");
        uint8_t marks[16];
        memset(marks, 1, sizeof marks);
        CHECK(pwrite(fd, marks, sizeof marks, (off_t)map_off + 100) == (ssize_t)sizeof marks,
              "pwrite");
        close(fd);
    }
    size_t dup_len;
    uint8_t *dup_bytes = read_file(dup_path, &dup_len);
    for (int i = 0; i < 2; i++) {
        rc = mcov_region_create(dup, i ? 1u << 20 : 4096);
        CHECK(rc == MCOV_E_EXISTS, "create of an existing name = %d", rc);
        CHECK(strstr(mcov_last_error(), "exists"), "message: '%s'", mcov_last_error());
        check_file_is(dup_path, dup_bytes, dup_len, "existing region");
        check_still_on_good("create of an existing name");
        CHECK(t_count_entries(s_dir, ".memcov-tmp") == 0, "temp file left after EXISTS");
    }
    free(dup_bytes);

    /* A region of another uid: refused without a write. Skipped only if chown fails. */
    const char *foreign = t_region_name("foreign");
    char foreign_path[4096];
    t_region_path(foreign, foreign_path, sizeof foreign_path);
    write_file(foreign_path, s_tmpl, s_tmpl_len);
    int skipped = 0;
    if (chown(foreign_path, 65534, 65534) != 0) {
        fprintf(stderr, "chown to 65534 failed (%s): skipping the other-uid check\n",
                strerror(errno));
        skipped = 1;
    } else {
        rc = mcov_attach(foreign);
        CHECK(rc == MCOV_E_PERMISSION, "attach to another uid's region = %d", rc);
        CHECK(strstr(mcov_last_error(), "uid"), "message: '%s'", mcov_last_error());
        check_still_on_good("foreign");
        rc = mcov_region_reset(foreign);
        CHECK(rc == MCOV_E_PERMISSION, "reset of another uid's region = %d", rc);
        check_file_is(foreign_path, s_tmpl, s_tmpl_len, "foreign region");
        CHECK(lstat(foreign_path, &st) == 0 && st.st_uid == 65534, "owner changed");
    }

    mcov_detach();
    free(s_tmpl);
    t_cleanup();
    return skipped ? T_SKIP : 0;
}
