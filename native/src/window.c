/* The process's windows: one contiguous range of address space indexed by guard value.
 * Each module's slice maps either its range of the region or private pages, and is
 * replaced in place with MAP_FIXED, so a thread in the hot path never sees a hole. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bytes.h"
#include "record.h"
#include "runtime.h"

static void *reserve(void)
{
    void *p = mmap(NULL, MCOV_WINDOW_BYTES, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static bool map_private(uint8_t *at, uint64_t span)
{
    return mmap(at, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                0) != MAP_FAILED;
}

bool mcov_windows_ready(void)
{
    if (mcov_rt.window)
        return true;
    if (sysconf(_SC_PAGESIZE) > (long)MCOV_EDGE_ALIGN) {
        mcov_warn("page size %ld is above %u bytes: this runtime records nothing",
                  sysconf(_SC_PAGESIZE), MCOV_EDGE_ALIGN);
        return false;
    }
    uint8_t *window = reserve();
    uint8_t *own = reserve();
    if (!window || !own || !map_private(window, MCOV_SINK_BYTES) ||
        !map_private(own, MCOV_SINK_BYTES)) {
        mcov_warn("cannot reserve %llu bytes of address space (%s): recording nothing; "
                  "raise the address-space limit (ulimit -v, RLIMIT_AS) by 8 GiB",
                  (unsigned long long)MCOV_WINDOW_BYTES, strerror(errno));
        if (window)
            munmap(window, MCOV_WINDOW_BYTES);
        if (own)
            munmap(own, MCOV_WINDOW_BYTES);
        return false;
    }
    mcov_rt.window = window;
    mcov_rt.own = own;
    mcov_rt.used = MCOV_SINK_BYTES;
    __atomic_store_n(&mcov_hot.own, window, __ATOMIC_RELEASE);
    __atomic_store_n(&mcov_hot.map, window, __ATOMIC_RELEASE);
    return true;
}

bool mcov_window_map_private(uint8_t *window, uint64_t local, uint64_t span)
{
    return map_private(window + local, span);
}

bool mcov_window_map_region(int fd, const struct mcov_region *r, uint64_t local,
                            uint64_t base, uint64_t span)
{
    off_t offset = (off_t)(r->map_offset + base);
    return mmap(mcov_rt.window + local, span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                fd, offset) != MAP_FAILED;
}

enum mcov_slice_state mcov_window_recover(uint64_t local, uint64_t span, const uint8_t *held,
                                          uint64_t n)
{
    uint8_t *at = mcov_rt.window + local;
    /* msync fails with ENOMEM only where nothing is mapped. */
    if (msync(at, span, MS_ASYNC) == 0 || errno != ENOMEM)
        return MCOV_SLICE_KEPT;
    if (!map_private(at, span))
        return MCOV_SLICE_LOST;
    mcov_or_into(at, held, n);
    return MCOV_SLICE_PRIVATE;
}

void mcov_set_own_pointer(uint8_t *own)
{
    __atomic_store_n(&mcov_hot.own, own, __ATOMIC_RELEASE);
}
