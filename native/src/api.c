/* The public calls on the process's attachment and on regions by name. */
#include <pthread.h>
#include <unistd.h>

#include "runtime.h"

static int create_and_attach(const char *name, uint64_t capacity_edges, uint32_t kind)
{
    mcov_clear_error();
    int rc = mcov_region_check_name(name);
    if (rc)
        return rc;
    /* Created, held (as its creator) and mapped from the one descriptor that made it. */
    struct mcov_region r;
    rc = mcov_region_create_file(NULL, name, capacity_edges, kind, &r);
    if (rc)
        return rc;
    mcov_lock_and_sync();
    mcov_rt.env_checked = true; /* an explicit attach wins over MEMCOV_REGION */
    mcov_attach_region_locked(&r, false);
    /* The creator is the process that reads the map most: a parent counting or gathering its
     * workers' edges. Its first read of each page, and of the code and tables a count uses,
     * would fault them in; do that now, before any worker starts, not when the parent waits
     * for the count. */
    mcov_region_prefault(&mcov_rt.region);
    (void)mcov_count_view_locked();
    mcov_unlock();
    return MCOV_OK;
}

int mcov_region_create(const char *name, uint64_t capacity_edges)
{
    return create_and_attach(name, capacity_edges, MCOV_REGION_FLAGS);
}

int mcov_region_create_counts(const char *name, uint64_t capacity_edges)
{
    return create_and_attach(name, capacity_edges, MCOV_REGION_CLASSES);
}

int mcov_attach(const char *name)
{
    mcov_clear_error();
    int rc = mcov_region_check_name(name);
    if (rc)
        return rc;
    mcov_lock_and_sync();
    mcov_rt.env_checked = true; /* an explicit attach wins over MEMCOV_REGION */
    rc = mcov_attach_locked(name);
    mcov_unlock();
    return rc;
}

int mcov_region_reset(const char *name)
{
    mcov_clear_error();
    /* Mirrored sections still hold hits from before the reset: move them out first, or the next
     * memcov call would put them back into the cleared map. */
    mcov_lock_and_sync();
    mcov_inline_drain_mirrored();
    struct mcov_region r;
    int rc = mcov_region_open(NULL, name, &r);
    if (rc == MCOV_OK) {
        rc = mcov_region_clear(&r);
        mcov_region_close(&r);
    }
    mcov_inline_sync(); /* on the base view, this process's lane starts from the new epoch */
    mcov_unlock();
    return rc;
}

void mcov_detach(void)
{
    mcov_clear_error();
    mcov_lock_and_sync();
    mcov_detach_locked();
    mcov_unlock();
}

int mcov_region_remove(const char *name)
{
    mcov_clear_error();
    return mcov_region_remove_file(NULL, name);
}

int mcov_is_attached(void)
{
    mcov_lock_and_sync();
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
    mcov_lock_and_sync();
    uint32_t n = mcov_rt.module_count;
    mcov_unlock();
    return n;
}

uint32_t mcov_private_module_count(void)
{
    mcov_lock_and_sync();
    uint32_t n = 0;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        n += mcov_rt.modules[i].region_base < 0;
    mcov_unlock();
    return n;
}
