/* The process's one runtime state, its lock, and what happens to it at fork and at exit. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

struct mcov_runtime mcov_rt = {.lock = PTHREAD_MUTEX_INITIALIZER, .region = {.fd = -1}};

void mcov_lock(void)
{
    pthread_mutex_lock(&mcov_rt.lock);
}

void mcov_unlock(void)
{
    pthread_mutex_unlock(&mcov_rt.lock);
}

void mcov_lock_and_sync(void)
{
    mcov_lock();
    mcov_inline_sync();
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
 * which would keep the parent looking alive after it exits. Only system calls here. */
static void own_descriptor(struct mcov_region *r)
{
    int fd = open(r->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_dev != r->dev || st.st_ino != r->ino ||
        mcov_liveness_hold(fd, r->name, r->path, false) != MCOV_OK) {
        close(fd);
        return; /* the inherited descriptor stays: shared with the parent, but held */
    }
    mcov_liveness_drop(r->fd, r->dev, r->ino);
    r->fd = fd;
}

static void after_fork_child(void)
{
    if (mcov_rt.attached)
        own_descriptor(&mcov_rt.region);
    mcov_unlock();
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

/* At exit the inline modules' mirrored hits (an own view, a detached process) go to their
 * maps; the region has them before the process is gone. _exit skips this: see mcov_flush. */
__attribute__((destructor)) static void flush_at_exit(void)
{
    mcov_lock_and_sync();
    mcov_unlock();
}
