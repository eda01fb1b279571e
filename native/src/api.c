/* Region calls of the public API, on top of regions and views; fork safety. */
#include <pthread.h>
#include <unistd.h>

#include "runtime.h"

static void unlink_region_quietly(const char *name)
{
    char path[4096];
    if (mcov_region_path_of(name, path, sizeof path) == MCOV_OK)
        unlink(path);
}

int mcov_region_create(const char *name, uint64_t capacity_edges)
{
    mcov_clear_error();
    int rc = mcov_region_create_file(name, capacity_edges);
    if (rc)
        return rc;
    rc = mcov_attach(name);
    if (rc) { /* a region no one can attach to is of no use: do not leave it behind */
        unlink_region_quietly(name);
        return rc;
    }
    /* The creator is the process that reads the map most: a parent counting or gathering its
     * workers' edges. Its first read of each page would fault it in (about 60 us per MiB);
     * do that now, before any worker starts, not when the parent waits for the count. */
    mcov_lock();
    if (mcov_rt.attached)
        mcov_region_prefault(&mcov_rt.region);
    mcov_unlock();
    return MCOV_OK;
}

int mcov_attach(const char *name)
{
    mcov_clear_error();
    int rc = mcov_region_check_name(name);
    if (rc)
        return rc;
    mcov_lock();
    mcov_rt.env_checked = true; /* an explicit attach wins over MEMCOV_REGION */
    rc = mcov_attach_locked(name);
    mcov_unlock();
    return rc;
}

int mcov_region_reset(const char *name)
{
    mcov_clear_error();
    /* Mirrored flags still hold hits from before the reset: move them out first, or the next
     * memcov call would put them back into the cleared map. */
    mcov_lock();
    mcov_inline_drain_mirrored();
    int rc = mcov_region_reset_file(name);
    mcov_unlock();
    return rc;
}

void mcov_detach(void)
{
    mcov_clear_error();
    mcov_lock();
    mcov_detach_locked();
    mcov_unlock();
}

int mcov_is_attached(void)
{
    mcov_lock();
    int attached = mcov_rt.attached;
    mcov_unlock();
    return attached;
}

const char *mcov_region_name(void)
{
    /* The name lives as long as the attachment; read it before detaching. */
    return mcov_rt.attached ? mcov_rt.region.name : "";
}

uint32_t mcov_module_count(void)
{
    mcov_lock();
    uint32_t n = mcov_rt.module_count;
    mcov_unlock();
    return n;
}

uint32_t mcov_private_module_count(void)
{
    mcov_lock();
    uint32_t n = 0;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        n += mcov_rt.modules[i].region_base < 0;
    mcov_unlock();
    return n;
}

/* fork while another thread registers or switches views would leave the child a
 * held lock: hold it across fork instead. The registration file lock is taken and
 * released inside this lock, so no child inherits it. */
static void before_fork(void)
{
    mcov_lock();
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
    mcov_lock();
    mcov_unlock();
}
