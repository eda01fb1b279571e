/* The process's one runtime state, its lock, and what happens to it at fork and at exit. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

struct mcov_runtime mcov_rt = {
    .lock = PTHREAD_MUTEX_INITIALIZER, .region = {.fd = -1, .lanes = {.fd = -1}}, .lane = -1};

void mcov_lock(void)
{
    pthread_mutex_lock(&mcov_rt.lock);
}

void mcov_unlock(void)
{
    pthread_mutex_unlock(&mcov_rt.lock);
}

uint64_t mcov_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t mcov_monotonic_ms(void)
{
    return (int64_t)(mcov_monotonic_ns() / 1000000);
}

void mcov_lock_and_sync(void)
{
    mcov_lock();
    mcov_inline_sync();
}

bool mcov_counts_classes(void)
{
    return mcov_rt.attached && mcov_rt.region.kind == MCOV_REGION_CLASSES;
}

void mcov_fold_lanes_for_union(void)
{
    if (!mcov_rt.attached)
        return;
    mcov_inline_fold_lane(false);
    mcov_region_sync(&mcov_rt.region, mcov_rt.lane);
}

void mcov_flush(void)
{
    mcov_clear_error();
    mcov_lock_and_sync();
    mcov_unlock();
}

/* fork while another thread registers or switches views would leave the child a held lock:
 * hold it across fork instead. The registration file lock is taken and released inside this
 * lock, so no child inherits it. The sync puts the parent's mirrored hits where the child's
 * views start from. */
static void before_fork(void)
{
    mcov_lock_and_sync();
}

static void after_fork_parent(void)
{
    mcov_unlock();
}

/* The child holds the region through a descriptor of its own: the inherited one shares the
 * parent's open file description, and with it the parent's locks (the creator's among them),
 * which would keep the parent looking alive after it exits. An attacher's mappings of the region
 * keep that description too, so they still do until the child exits (docs/semantics.md, "Holding
 * a region"). Only system calls here. */
static bool own_descriptor(struct mcov_region *r)
{
    int fd = open(r->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (!mcov_fd_is(fd, r->dev, r->ino) ||
        mcov_liveness_hold(fd, r->name, r->path, false) != MCOV_OK) {
        close(fd);
        return false; /* the inherited descriptor stays: shared with the parent, but held */
    }
    /* The same number where the host had closed the old one: nothing of the old to drop. */
    if (fd != r->fd)
        mcov_liveness_drop(r->fd, r->dev, r->ino, r->fd_tag);
    mcov_region_keep_fd(r, fd);
    return true;
}

bool mcov_region_own_descriptor(void)
{
    return own_descriptor(&mcov_rt.region);
}

static void after_fork_child(void)
{
    mcov_lanes_forget_locks();
    mcov_rt.region.faulted = 0; /* a fork copies no page table entries of shared file mappings */
    /* A fork server's child never outlives its server (it dies with it), so sharing the server's
     * descriptor keeps no one looking alive: without lanes (callback modules on a flag region)
     * it opens none of its own until a no-call module it loads needs a lane (have_lane), and
     * saves the open and the lock per input. */
    bool lanes = mcov_rt.inline_count > 0 || mcov_rt.region.kind != MCOV_REGION_FLAGS;
    if (mcov_rt.attached) {
        bool wants_own = !mcov_rt.serving_fork || lanes;
        bool own = wants_own && own_descriptor(&mcov_rt.region);
        /* A lane is owned through a descriptor of the child's own, or not at all: one still the
         * parent's takes, folds and frees no lane (fd_pid 0: no process's, even where a pid
         * namespace gives the child its parent's pid number). */
        if (!own)
            mcov_rt.region.fd_pid = 0;
        if (wants_own)
            mcov_inline_after_fork(own);
    }
    mcov_unlock();
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* At exit the no-call modules' mirrored hits go to the base, and in a hit-count region the lane
 * too (its count ends there). A flag region's lane stays for readers, as after _exit: whoever
 * notices the process died folds its lane. */
__attribute__((destructor)) static void flush_at_exit(void)
{
    mcov_lock_and_sync();
    mcov_inline_fold_lane(true);
    mcov_unlock();
}
