/* The host owns its descriptors: after it attaches, it may close any fd number or dup2 another
 * file over it. Modules loaded later, and a detach + attach, still map the region itself: the
 * edges land in the region, the host's file is never written, punched or closed, and no
 * descriptor the runtime opened again is left open. With only the lanes file's descriptor taken,
 * no-call modules still record into a lane: what they record survives an _exit. */
#define _GNU_SOURCE
#include "support.h"

#include "memcov_files.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_MAX_FD 1024

/* Whether a descriptor's target (/proc/self/fd/N) is a file whose name starts with prefix: its
 * directory (MEMCOV_SHM_DIR) may hold any text. */
static bool names_file(const char *target, const char *prefix)
{
    const char *slash = strrchr(target, '/');
    return slash && strncmp(slash + 1, prefix, strlen(prefix)) == 0;
}

/* What descriptor fd opens, as /proc/self/fd shows it ("" if nothing). */
static void fd_target(int fd, char target[4096])
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, 4095);
    target[n > 0 ? n : 0] = 0;
}

static void open_fds(char open[T_MAX_FD])
{
    for (int fd = 0; fd < T_MAX_FD; fd++)
        open[fd] = fcntl(fd, F_GETFD) != -1;
}

/* Put the host's file over every descriptor that appeared since before[] was taken, and over
 * the lowest number that was free then (where an attach would put its descriptor). */
static void cover_new_fds(const char before[T_MAX_FD], int decoy, char covered[T_MAX_FD])
{
    int lowest_free = -1;
    for (int fd = 3; fd < T_MAX_FD && lowest_free < 0; fd++)
        if (!before[fd])
            lowest_free = fd;
    char now[T_MAX_FD];
    open_fds(now);
    for (int fd = 3; fd < T_MAX_FD; fd++) {
        if (fd == decoy || (!(now[fd] && !before[fd]) && fd != lowest_free))
            continue;
        CHECK(dup2(decoy, fd) == fd, "dup2 over %d", fd);
        covered[fd] = 1;
    }
}

/* The numbers the host took still hold its file, and no descriptor holds a region. */
static void check_fds(const char covered[T_MAX_FD], const struct stat *st)
{
    for (int fd = 3; fd < T_MAX_FD; fd++) {
        struct stat s;
        if (covered[fd])
            CHECK(fstat(fd, &s) == 0 && s.st_dev == st->st_dev && s.st_ino == st->st_ino,
                  "fd %d no longer holds the host's file", fd);
        char target[4096];
        fd_target(fd, target);
        CHECK(!names_file(target, "memcov-") && !names_file(target, ".memcov-lanes-"),
              "fd %d holds a region or its lanes file (%s)", fd, target);
    }
}

#define T_DECOY_BYTE 0xa5

/* The host's own file, in the region directory, unlinked: size bytes of T_DECOY_BYTE, each
 * block allocated, so that a write, a punched hole or a truncation shows. */
static int make_decoy(uint64_t size, struct stat *st)
{
    const char *dir = getenv("MEMCOV_SHM_DIR");
    char decoy_path[4096];
    snprintf(decoy_path, sizeof decoy_path, "%s/t-decoy-%d", dir && dir[0] ? dir : "/tmp",
             (int)getpid());
    int decoy = open(decoy_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(decoy >= 0, "create %s", decoy_path);
    unlink(decoy_path);
    uint8_t buf[4096];
    memset(buf, T_DECOY_BYTE, sizeof buf);
    for (uint64_t at = 0; at < size; at += sizeof buf)
        CHECK(pwrite(decoy, buf, sizeof buf, (off_t)at) == (ssize_t)sizeof buf, "fill the decoy");
    CHECK(fstat(decoy, st) == 0, "fstat");
    return decoy;
}

/* Its bytes, its blocks and its size as made, and no record lock on it (lane locks are). */
static void check_decoy_untouched(int decoy, const struct stat *st)
{
    uint8_t buf[4096];
    for (off_t at = 0; at < st->st_size; at += (off_t)sizeof buf) {
        ssize_t n = pread(decoy, buf, sizeof buf, at);
        CHECK(n > 0, "read the host's file at %lld", (long long)at);
        for (ssize_t i = 0; i < n; i++)
            CHECK(buf[i] == T_DECOY_BYTE, "the host's file was written at byte %lld",
                  (long long)(at + i));
    }
    struct stat now;
    CHECK(fstat(decoy, &now) == 0 && now.st_size == st->st_size && now.st_blocks == st->st_blocks,
          "the host's file was truncated or punched: %lld bytes in %lld blocks, were %lld in %lld",
          (long long)now.st_size, (long long)now.st_blocks, (long long)st->st_size,
          (long long)st->st_blocks);
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", decoy);
    int other = open(self, O_RDWR | O_CLOEXEC); /* another description: sees every lock */
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    CHECK(other >= 0 && fcntl(other, F_OFD_GETLK, &l) == 0 && l.l_type == F_UNLCK,
          "the host's file holds a record lock at byte %lld", (long long)l.l_start);
    close(other);
}

static void host(void *arg)
{
    const char *name = arg;
    struct stat st;
    /* As large as the region, so a mapping of it at the region's offsets would succeed. */
    int decoy = make_decoy(MCOV_REGION_MAP_OFFSET + (1 << 16), &st);

    char before[T_MAX_FD], covered[T_MAX_FD] = {0};
    open_fds(before);
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    cover_new_fds(before, decoy, covered);
    t_run_inputs(0, 0, 12); /* A and B register now, after the host took the numbers */
    CHECK_EQ_U64(mcov_module_count(), 2);
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    check_decoy_untouched(decoy, &st);

    mcov_detach();
    check_fds(covered, &st);
    open_fds(before);
    CHECK(mcov_attach(name) == 0, "attach again: %s", mcov_last_error());
    cover_new_fds(before, decoy, covered);
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    t_run_inputs(0, 12, t_input_count - 12);

    mcov_detach();
    check_fds(covered, &st);
    check_decoy_untouched(decoy, &st);
    close(decoy);
}

/* The host closes the region's descriptor and leaves its number free: a later registration opens
 * the region again, gets that number, and closes it after, as any descriptor it opened again. */
static void host_closes(void *arg)
{
    const char *name = arg;
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    int closed = 0;
    for (int fd = 3; fd < T_MAX_FD; fd++) {
        char target[4096];
        fd_target(fd, target);
        if (names_file(target, "memcov-")) {
            close(fd);
            closed++;
        }
    }
    CHECK(closed == 1, "the attach holds %d descriptors of the region", closed);
    t_run_inputs(0, 0, 12); /* A and B register now, each opening the region again */
    CHECK_EQ_U64(mcov_private_module_count(), 0);
    mcov_detach();
    const char none[T_MAX_FD] = {0};
    check_fds(none, NULL);
}

/* The number of the one descriptor of a file whose name starts with prefix, or -1. */
static int fd_of(const char *prefix)
{
    int found = -1;
    for (int fd = 3; fd < T_MAX_FD; fd++) {
        char target[4096];
        fd_target(fd, target);
        if (names_file(target, prefix)) {
            CHECK(found < 0, "two descriptors of %s: %d and %d", prefix, found, fd);
            found = fd;
        }
    }
    return found;
}

struct lanes_case {
    const char *name;
    bool dup2; /* another file put over the descriptor, else closed and its number left free */
};

static void run_second_half(void *arg)
{
    (void)arg;
    t_run_inputs(0, t_input_count / 2, t_input_count - t_input_count / 2);
}

/* Every lane of region name is free, and holds zeros, and so does its mask. */
static void check_lanes_free_and_clear(const char *name)
{
    mcov_lanes_header h;
    int fd = t_open_lanes(name, &h);
    uint8_t buf[4096];
    for (uint32_t k = 0; k < h.lane_count; k++) {
        CHECK(t_lane_entry(fd, k).state == MCOV_LANE_FREE, "lane %u is still taken", k);
        uint64_t at = h.lanes_offset + 2 * (uint64_t)k * h.capacity_edges;
        for (uint64_t off = 0; off < 2 * h.capacity_edges; off += sizeof buf) {
            CHECK(pread(fd, buf, sizeof buf, (off_t)(at + off)) == (ssize_t)sizeof buf,
                  "read lane %u", k);
            for (size_t i = 0; i < sizeof buf; i++)
                CHECK(buf[i] == 0, "free lane %u holds byte %llu", k,
                      (unsigned long long)(off + i));
        }
    }
    close(fd);
}

/* Only the lanes file's descriptor is taken by the host. No detach, no flush, no exit handler:
 * what the region holds of this process is what its lane held, which a reader folds once the
 * process is gone. */
static void host_takes_lanes_fd(void *arg)
{
    const struct lanes_case *c = arg;
    CHECK(mcov_region_create(c->name, 1 << 16) == 0, "create: %s", mcov_last_error());
    int lanes = fd_of(".memcov-lanes-");
    CHECK(lanes >= 0, "the attach holds no descriptor of the lanes file");
    struct stat st = {0};
    if (c->dup2) {
        /* Larger than the lanes file's first lanes, at whose offsets a mapping would succeed. */
        int decoy = make_decoy(4 << 20, &st);
        CHECK(dup2(decoy, lanes) == lanes, "dup2 over %d", lanes);
        close(decoy);
    } else {
        /* The host holds every lower number, so that the next descriptor opened gets this one. */
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(null >= 0, "open /dev/null");
        close(lanes);
        for (int fd = 3; fd < lanes; fd++)
            if (fcntl(fd, F_GETFD) == -1)
                CHECK(dup2(null, fd) == fd, "dup2 over %d", fd);
        if (null > lanes)
            close(null);
        /* A fork child records the second half of the inputs and leaves its lane behind. This
         * process's count folds and frees it under the lanes lock, whose read-only descriptor
         * gets the number the host freed: the lane is cleared through a writable one. */
        t_wait_ok_within(t_fork(run_second_half, NULL), 20000);
        (void)mcov_get_now64();
        check_lanes_free_and_clear(c->name);
    }
    t_run_inputs(0, 0, c->dup2 ? t_input_count : t_input_count / 2);
    if (c->dup2)
        check_decoy_untouched(lanes, &st);
    else if (!strcmp(t_samples(), "inline") || !strcmp(t_samples(), "mixed"))
        /* No-call counters took a lane: the lanes file opened again got the number the host
         * left free, and kept it. */
        CHECK(fd_of(".memcov-lanes-") == lanes, "the lanes file is not at %d", lanes);
    _exit(0);
}

/* The host closes the region's descriptor and puts another open of the region at its number (a
 * tool's handle, memcov_files.h): the runtime takes no lane through it (a lock of the handle's
 * would not be the process's, and the handle's folds would free the lane), and never closes it. */
static void host_opens_region_too(void *arg)
{
    const char *name = arg;
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    int kept = fd_of("memcov-");
    CHECK(kept >= 0, "the attach holds no descriptor of the region");
    char before[T_MAX_FD], now[T_MAX_FD];
    open_fds(before);
    mcov_region_file *f = NULL;
    CHECK(mcov_region_file_open(NULL, name, &f, NULL) == 0, "open: %s", mcov_last_error());
    open_fds(now);
    int tool = -1;
    for (int fd = 3; fd < T_MAX_FD && tool < 0; fd++) {
        char target[4096];
        fd_target(fd, target);
        if (now[fd] && !before[fd] && names_file(target, "memcov-"))
            tool = fd;
    }
    CHECK(tool >= 0, "the handle holds no descriptor of the region");
    CHECK(dup2(tool, kept) == kept, "dup2 over %d", kept);
    t_run_inputs(0, 0, t_input_count); /* A and B register now */
    mcov_lanes_header h;
    int lanes = t_open_lanes(name, &h);
    for (uint32_t k = 0; k < h.lane_count; k++) {
        mcov_lane_entry e = t_lane_entry(lanes, k);
        CHECK(e.state == MCOV_LANE_FREE || e.owner_pid != (uint64_t)getpid(),
              "lane %u was taken through the handle's descriptor", k);
    }
    close(lanes);
    CHECK(mcov_region_file_sync(f) == 0, "sync: %s", mcov_last_error());
    mcov_detach();
    CHECK(fcntl(kept, F_GETFD) != -1, "the detach closed the handle's descriptor at %d", kept);
    mcov_region_file_close(f);
    close(kept);
}

/* Takes the lanes file out of reach of this process: its name removed, another file at its
 * descriptor's number. */
static void unlink_lanes_file(void)
{
    int lanes = fd_of(".memcov-lanes-");
    CHECK(lanes >= 0, "the process holds no descriptor of the lanes file");
    char lanes_path[4096];
    fd_target(lanes, lanes_path);
    CHECK(lanes_path[0] && unlink(lanes_path) == 0, "unlink the lanes file");
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(null >= 0 && dup2(null, lanes) == lanes, "dup2 over %d", lanes);
    close(null);
}

struct stderr_capture {
    int file, saved;
};

static struct stderr_capture capture_stderr(void)
{
    char path[] = "/tmp/t-stderr-XXXXXX";
    struct stderr_capture c = {mkstemp(path), dup(STDERR_FILENO)};
    CHECK(c.file >= 0 && c.saved >= 0, "mkstemp, dup");
    unlink(path);
    CHECK(dup2(c.file, STDERR_FILENO) == STDERR_FILENO, "redirect stderr");
    return c;
}

/* What was written to stderr since capture_stderr, which now goes where it went before. */
static void captured_stderr(struct stderr_capture c, char *text, size_t size)
{
    CHECK(dup2(c.saved, STDERR_FILENO) == STDERR_FILENO, "restore stderr");
    ssize_t n = pread(c.file, text, size - 1, 0);
    text[n > 0 ? n : 0] = 0;
    close(c.file);
    close(c.saved);
}

/* A no-call module's process, or fork child, that can take no lane says why on stderr (the
 * lanes lock's reason) and that its counters are private, never that no lane is free; modules
 * that need no lane print nothing about one. who: "process" or "fork child". */
static void check_no_lane_said(const char *text, const char *who)
{
    /* No-call counters record into a lane; callback modules and flags on the base view do not. */
    if (!strcmp(t_samples(), "inline") || !strcmp(t_samples(), "mixed")) {
        char says[64];
        snprintf(says, sizeof says, "for this %s: cannot open the lanes file", who);
        CHECK(strstr(text, says) && strstr(text, "No such file or directory") &&
                  strstr(text, "are private memory"),
              "stderr does not say why the %s took no lane:\n%s", who, text);
        CHECK(!strstr(text, "none is free") && !strstr(text, "was removed"),
              "stderr gives another reason:\n%s", text);
    } else {
        CHECK(!strstr(text, "no lane of region"), "stderr speaks of a lane:\n%s", text);
    }
}

static void fork_child_records(void *arg)
{
    (void)arg;
    t_run_inputs(0, 0, t_input_count);
    _exit(0);
}

/* The lanes file goes out of reach while this process is attached: a no-call module that
 * registers then, and a fork child of a process that had a lane, take no lane, and say why. */
static void lanes_unreachable(void *arg)
{
    const char *const *names = arg;
    unsetenv("MEMCOV_QUIET");
    char text[8192];

    CHECK(mcov_region_create(names[0], 1 << 16) == 0, "create: %s", mcov_last_error());
    unlink_lanes_file();
    struct stderr_capture c = capture_stderr();
    t_run_inputs(0, 0, t_input_count);
    captured_stderr(c, text, sizeof text);
    check_no_lane_said(text, "process");
    CHECK(mcov_module_count() == 2 && mcov_private_module_count() == 0,
          "the modules did not register into the region");

    /* The next attachment asks for a lane again, and gets one. */
    CHECK(mcov_region_create(names[1], 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, 0, t_input_count / 2);
    if (!strcmp(t_samples(), "inline") || !strcmp(t_samples(), "mixed")) {
        mcov_lanes_header h;
        int lanes = t_open_lanes(names[1], &h);
        bool owns = false;
        for (uint32_t k = 0; k < h.lane_count; k++) {
            mcov_lane_entry e = t_lane_entry(lanes, k);
            owns |= e.state != MCOV_LANE_FREE && e.owner_pid == (uint64_t)getpid();
        }
        close(lanes);
        CHECK(owns, "refused a lane in one region, the process takes none in the next");
    }
    /* A process with a lane forks once the lanes file is out of reach: its child takes none. */
    unlink_lanes_file();
    c = capture_stderr();
    t_wait_ok_within(t_fork(fork_child_records, NULL), 20000);
    captured_stderr(c, text, sizeof text);
    check_no_lane_said(text, "fork child");
    _exit(0);
}

int main(void)
{
    t_region_copy ref = t_reference_union();
    const char *name = t_region_name("fdreuse");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(host, (void *)name), 20000);
    t_wait_ok_within(t_fork(host_closes, (void *)name), 20000);
    t_check_region_matches(name, &ref);
    struct lanes_case cases[] = {{t_region_name("lanesdup"), true},
                                 {t_region_name("lanesclose"), false}};
    for (int i = 0; i < 2; i++) {
        t_wait_ok_within(t_fork(host_takes_lanes_fd, &cases[i]), 20000);
        t_check_region_matches(cases[i].name, &ref);
    }
    const char *too = t_region_name("opentoo");
    CHECK(mcov_region_create(too, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(host_opens_region_too, (void *)too), 20000);
    t_check_region_matches(too, &ref);
    const char *unreachable[] = {t_region_name("unreachable"), t_region_name("unreachfork")};
    t_wait_ok_within(t_fork(lanes_unreachable, (void *)unreachable), 20000);
    mcov_region_remove(unreachable[0]);
    mcov_region_remove(unreachable[1]);
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
