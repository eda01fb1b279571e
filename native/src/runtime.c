/* The process's one runtime state, its lock, and what happens to it at fork and at exit. */
#include <pthread.h>

#include "runtime.h"

struct mcov_runtime mcov_rt = {.lock = PTHREAD_MUTEX_INITIALIZER};

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

static void after_fork(void)
{
    mcov_unlock();
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork, after_fork);
}

/* At exit the inline modules' mirrored hits (an own view, a detached process) go to their
 * maps; the region has them before the process is gone. _exit skips this: see mcov_flush. */
__attribute__((destructor)) static void flush_at_exit(void)
{
    mcov_lock_and_sync();
    mcov_unlock();
}
