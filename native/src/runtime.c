/* The process's one runtime state, its lock, and what happens to it at fork and at exit. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

struct mcov_runtime mcov_rt = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .region = {.fd = -1, .share_fd = -1, .lanes = {.fd = -1}},
    .lane = -1};

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

/* A fork child's descriptor of the region: the inherited ones share the parent's open file
 * descriptions, and with them the parent's locks. Its lane must be locked through one of its own
 * (own_descriptor), but until it takes one, sharing the parent's attached lock holds the region
 * as well; the parent's mappings, which the child inherited, keep that description anyway until
 * it exits or execs (docs/semantics.md, "Holding a region"). A creator's descriptor holds its
 * creator lock too, which no child keeps: the child drops its copy and shares share_fd, which
 * holds the attached lock alone. False where share_fd is not the runtime's any more (the host
 * closed or reused its number). Only system calls here, as in own_descriptor. */
static bool share_parent_descriptor(struct mcov_region *r)
{
    if (r->share_fd < 0)
        return !r->creator; /* a creator that could not keep one: the child opens its own */
    if (!mcov_fd_own(r->share_fd, r->dev, r->ino, r->share_tag))
        return false;
    mcov_liveness_drop(r->fd, r->dev, r->ino, r->fd_tag);
    r->fd = r->share_fd;
    r->fd_tag = r->share_tag;
    r->share_fd = -1;
    r->creator = false;
    return true;
}

/* A descriptor of the child's own, holding the attached lock; the inherited ones are dropped. */
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
    if (r->share_fd >= 0 && r->share_fd != fd)
        mcov_liveness_drop(r->share_fd, r->dev, r->ino, r->share_tag);
    r->share_fd = -1;
    r->creator = false;
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
    /* Without lanes (callback modules on a flag region) the child shares its parent's descriptor
     * until a no-call module it loads needs a lane (have_lane): a child forked to exec, or a fork
     * server's child running one input, opens nothing. With lanes at the fork it takes its own
     * now, and a lane where the parent's state needs one. */
    bool lanes = mcov_rt.inline_count > 0 || mcov_rt.region.kind != MCOV_REGION_FLAGS;
    if (mcov_rt.attached) {
        bool shares = !lanes && share_parent_descriptor(&mcov_rt.region);
        bool own = !shares && own_descriptor(&mcov_rt.region);
        /* A lane is owned through a descriptor of the child's own, or not at all: one still the
         * parent's takes, folds and frees no lane (fd_pid 0: no process's, even where a pid
         * namespace gives the child its parent's pid number). */
        if (!own)
            mcov_rt.region.fd_pid = 0;
        if (!shares)
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
