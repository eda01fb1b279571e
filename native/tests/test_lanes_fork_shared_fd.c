/* Review reproducer (lanes): a fork child that could not open a descriptor of its own for the
 * region (own_descriptor fails: here EMFILE at the fork, the host closing descriptors after it;
 * also a region file removed or replaced by path while its lanes file stays) keeps its parent's
 * descriptor, and with it its parent's open file description and OFD lane locks. The child's
 * first base-view read folds every lane (mcov_lanes_fold, lanes.c) and tries each lane's lock on
 * that shared descriptor: on the parent's lane it succeeds, so the child takes the parent for
 * dead, punches the parent's live lane out (the parent's own view is emptied under it) and
 * unlocks the parent's lock (F_UNLCK on the shared description), so the next process to take a
 * lane takes the parent's and both write into it.
 *
 * Expected: the parent keeps its lane (state owned, locked) and its own view.
 * Observed: the lane is free and unlocked, the parent's own view is empty, and a third process
 * is given the parent's lane. */
#define _GNU_SOURCE
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int s_failures;
#define EXPECT(cond, ...)                                                                   \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: EXPECT(%s) failed: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            s_failures++;                                                                   \
        }                                                                                   \
    } while (0)

static int open_lanes(const char *name)
{
    const char *dir = getenv("MEMCOV_SHM_DIR");
    dir = dir && dir[0] ? dir : "/dev/shm";
    char prefix[512];
    snprintf(prefix, sizeof prefix, MCOV_LANES_FILE_PREFIX "%s-", name);
    DIR *d = opendir(dir);
    CHECK(d, "opendir %s", dir);
    int fd = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
    closedir(d);
    CHECK(fd >= 0, "open the lanes file");
    return fd;
}

/* The lane this pid owns, or -1. */
static int lane_of(int lanes, pid_t pid)
{
    for (uint32_t k = 0; k < MCOV_LANE_COUNT; k++) {
        mcov_lane_entry e;
        CHECK(pread(lanes, &e, sizeof e, (off_t)(sizeof(mcov_lanes_header) + k * sizeof e)) ==
                  (ssize_t)sizeof e,
              "read lane %u", k);
        if (e.state == MCOV_LANE_OWNED && (pid_t)e.owner_pid == pid)
            return (int)k;
    }
    return -1;
}

static bool lane_locked(const char *name, int k)
{
    char path[4096];
    t_region_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0, "open region");
    struct flock l;
    memset(&l, 0, sizeof l);
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = (off_t)MCOV_LOCK_LANE(k);
    l.l_len = 1;
    CHECK(fcntl(fd, F_OFD_GETLK, &l) == 0, "F_OFD_GETLK");
    close(fd);
    return l.l_type != F_UNLCK;
}

static struct rlimit s_saved;
static int s_fillers[4096];
static int s_filler_count;

static void release_fillers(void)
{
    setrlimit(RLIMIT_NOFILE, &s_saved);
    for (int i = 0; i < s_filler_count; i++)
        close(s_fillers[i]);
    s_filler_count = 0;
}

static void child(void *arg)
{
    (void)arg;
    release_fillers(); /* a host closing what it does not need after fork */
    mcov_pop_coverage(); /* back to the base view */
    mcov_get_now64();    /* a base-view read: folds every lane */
}

static void third(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    mcov_reset();
    t_run_inputs(0, 5, 1);
    int lanes = open_lanes(name);
    int mine = lane_of(lanes, getpid());
    close(lanes);
    _exit(mine < 0 ? 100 : mine);
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    const char *name = t_region_name("sharedfd");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_push_coverage(); /* an own view: this process's lane */
    t_run_inputs(0, 0, 3);
    uint64_t view = mcov_get_now64();
    int lanes = open_lanes(name);
    int k = lane_of(lanes, getpid());
    CHECK(k >= 0, "the parent owns no lane");
    CHECK(lane_locked(name, k), "the parent's lane is not locked");

    /* Every descriptor number taken at the fork: the child cannot open the region again. */
    CHECK(getrlimit(RLIMIT_NOFILE, &s_saved) == 0, "getrlimit");
    struct rlimit low = {256, s_saved.rlim_max};
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit");
    int fd;
    while (s_filler_count < 4096 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        s_fillers[s_filler_count++] = fd;
    CHECK(errno == EMFILE, "filling descriptors: %s", strerror(errno));
    pid_t pid = t_fork(child, NULL);
    release_fillers();
    t_wait_ok(pid);

    EXPECT(lane_of(lanes, getpid()) == k, "the parent's lane %d is no longer owned by it", k);
    EXPECT(lane_locked(name, k), "the parent's lane %d is no longer locked", k);
    uint64_t after = mcov_get_now64();
    EXPECT(after == view, "the parent's own view went from %" PRIu64 " to %" PRIu64
                          " edges under it", view, after);
    pid_t t = t_fork(third, (void *)name);
    int status;
    CHECK(waitpid(t, &status, 0) == t && WIFEXITED(status), "third process");
    EXPECT(WEXITSTATUS(status) != k, "a third process was given lane %d, the parent's, which the "
                                     "parent still maps and writes", k);
    close(lanes);
    mcov_pop_coverage();
    mcov_detach();
    t_cleanup();
    return s_failures ? 1 : 0;
}
