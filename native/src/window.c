/* The process's windows: one contiguous range of address space indexed by guard value.
 * Each module's slice maps either its range of the region or private pages, and is
 * replaced in place with MAP_FIXED, so a thread in the hot path never sees a hole. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "bytes.h"
#include "record.h"
#include "runtime.h"

/* The hot pointers: mcov_hot (the exported callback's) holds the truth, and the copy of each
 * hook object that registered, listed from mcov_hot.next, follows it. Under the lock. A thread
 * in the hot path may read an old pointer for a moment: both windows stay mapped for good. */
static void copy_hot(struct mcov_hot *h)
{
    if (mcov_hot.count) /* counting from now on: the count before the test that leads to it */
        __atomic_store_n(&h->count, mcov_hot.count, __ATOMIC_RELEASE);
    __atomic_store_n(&h->base, mcov_hot.base, __ATOMIC_RELEASE);
    if (mcov_hot.own) { /* opening an own view: own before test */
        __atomic_store_n(&h->own, mcov_hot.own, __ATOMIC_RELEASE);
        __atomic_store_n(&h->test, mcov_hot.test, __ATOMIC_RELEASE);
    } else { /* back on the base view: test before own */
        __atomic_store_n(&h->test, mcov_hot.test, __ATOMIC_RELEASE);
        __atomic_store_n(&h->own, mcov_hot.own, __ATOMIC_RELEASE);
    }
    if (!mcov_hot.count)
        __atomic_store_n(&h->count, NULL, __ATOMIC_RELEASE);
}

/* What the test reads while every hit counts: a read-only window of zeros, reserved once. */
static uint8_t *s_zeros;

static void publish_hot(void)
{
    for (struct mcov_hot *h = mcov_hot.next; h; h = h->next)
        copy_hot(h);
}

static void *reserve(int prot, uint64_t bytes)
{
    void *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static bool map_private(uint8_t *at, uint64_t span)
{
    return mmap(at, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
                0) != MAP_FAILED;
}

long mcov_page_size(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return 4096; /* the only base page x86 has; asking libc costs a fresh process a fault */
#else
    return sysconf(_SC_PAGESIZE);
#endif
}

bool mcov_windows_ready(void)
{
    if (mcov_rt.window)
        return true;
    if (mcov_page_size() > (long)MCOV_EDGE_ALIGN) {
        mcov_warn("page size %ld is above %u bytes: this runtime records nothing",
                  mcov_page_size(), MCOV_EDGE_ALIGN);
        return false;
    }
    /* Address space only, both windows in one reservation: a slice is mapped as its module
     * registers. Writable reservations would spare that mapping, but count 8 GiB against
     * RLIMIT_DATA and strict overcommit (also at each fork), and mlockall would fault them all
     * in. */
    uint8_t *window = reserve(PROT_NONE, 2 * MCOV_WINDOW_BYTES);
    uint8_t *own = window ? window + MCOV_WINDOW_BYTES : NULL;
    if (!window || !map_private(window, MCOV_SINK_BYTES)) {
        mcov_warn("cannot reserve %llu bytes of address space (%s): recording nothing; "
                  "raise the address-space limit (ulimit -v, RLIMIT_AS) by 8 GiB",
                  (unsigned long long)(2 * MCOV_WINDOW_BYTES), strerror(errno));
        if (window)
            munmap(window, 2 * MCOV_WINDOW_BYTES);
        return false;
    }
    mcov_rt.window = window;
    mcov_rt.own = own;
    mcov_rt.used = MCOV_SINK_BYTES;
    __atomic_store_n(&mcov_hot.base, window, __ATOMIC_RELEASE);
    __atomic_store_n(&mcov_hot.test, window, __ATOMIC_RELEASE);
    publish_hot();
    return true;
}

void mcov_pages_start(struct mcov_pages *s, const uint8_t *p, uint64_t n)
{
    s->p = p;
    s->n = n;
    s->pages = 0;
    /* With swap, a page that was written and then swapped out is not resident either. */
    struct sysinfo si;
    s->all = sysinfo(&si) != 0 || si.totalswap != 0;
}

uint64_t mcov_pages_run(struct mcov_pages *s, uint64_t i, bool *resident)
{
    *resident = true;
    if (s->all)
        return s->n;
    uintptr_t page = (uintptr_t)mcov_page_size();
    uintptr_t at = ((uintptr_t)s->p + i) & ~(page - 1);
    uintptr_t end = (uintptr_t)s->p + s->n;
    if (!s->pages || at < s->from || at >= s->from + s->pages * page) {
        uintptr_t len = end - at < sizeof s->vec * page ? end - at : sizeof s->vec * page;
        if (mincore((void *)at, len, s->vec) != 0) {
            s->all = true;
            return s->n;
        }
        s->from = at;
        s->pages = (len + page - 1) / page;
    }
    uint64_t k = (at - s->from) / page;
    *resident = s->vec[k] & 1;
    while (k + 1 < s->pages && (s->vec[k + 1] & 1) == (s->vec[k] & 1))
        k++;
    uintptr_t run_end = s->from + (k + 1) * page;
    return run_end >= end ? s->n : (uint64_t)(run_end - (uintptr_t)s->p);
}

bool mcov_window_map_private(uint8_t *window, uint64_t local, uint64_t span)
{
    return map_private(window + local, span);
}

/* Not populated: real targets write few of a module's pages, and a populate pays only where a
 * process writes more than about one page in five (in a VM, 0.13-0.23 us a page populated against
 * 0.75-1.2 us a first write; on a host whose shadow page tables fill at the first write anyway, it
 * saved nothing). */
bool mcov_window_map_region(int fd, const struct mcov_region *r, uint64_t local,
                            uint64_t base, uint64_t span)
{
    off_t offset = (off_t)(r->map_offset + base);
    return mmap(mcov_rt.window + local, span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                fd, offset) != MAP_FAILED;
}

enum mcov_slice_state mcov_remap_recover(uint8_t *at, uint64_t span, const uint8_t *held,
                                         uint64_t n)
{
    /* msync fails with ENOMEM only where nothing is mapped. */
    if (msync(at, span, MS_ASYNC) == 0 || errno != ENOMEM)
        return MCOV_SLICE_KEPT;
    if (!map_private(at, span))
        return MCOV_SLICE_LOST;
    if (held)
        mcov_or_into(at, held, n);
    return MCOV_SLICE_PRIVATE;
}

/* The test pointer of the view, or the zeros while every hit counts. */
static uint8_t *test_pointer(uint8_t *own)
{
    return mcov_hot.count ? s_zeros : own ? own : mcov_rt.window;
}

void mcov_set_own_pointer(uint8_t *own)
{
    if (own) {
        __atomic_store_n(&mcov_hot.own, own, __ATOMIC_RELEASE);
        __atomic_store_n(&mcov_hot.test, test_pointer(own), __ATOMIC_RELEASE);
    } else {
        __atomic_store_n(&mcov_hot.test, test_pointer(NULL), __ATOMIC_RELEASE);
        __atomic_store_n(&mcov_hot.own, NULL, __ATOMIC_RELEASE);
    }
    publish_hot();
}

bool mcov_own_window_ready(void)
{
    if (mcov_rt.own_ready)
        return true;
    /* All of [0, used) but the lanes (modules hold their slots in registration order): a push
     * copies all of it, the slots of a module dropped at registration too. */
    bool mapped = true;
    uint64_t at = 0;
    for (uint32_t i = 0; mapped && i < mcov_rt.module_count; i++) {
        const struct mcov_module *m = &mcov_rt.modules[i];
        if (!m->in_lane)
            continue;
        mapped = m->local == at || map_private(mcov_rt.own + at, m->local - at);
        at = m->local + m->span;
    }
    mapped = mapped && (at == mcov_rt.used || map_private(mcov_rt.own + at, mcov_rt.used - at));
    mcov_rt.own_ready = mapped; /* where it failed, the next call maps it all again */
    return mapped;
}

bool mcov_set_counting(bool on)
{
    if (on == (mcov_hot.count != NULL))
        return true;
    if (on && !mcov_own_window_ready()) {
        mcov_warn("cannot map pages to count hits in (%s): callback modules record class 1 for "
                  "each edge",
                  strerror(errno));
        return false;
    }
    if (on && !s_zeros && !(s_zeros = reserve(PROT_READ, MCOV_WINDOW_BYTES))) {
        mcov_warn("cannot reserve %llu bytes of address space for a hit-count region (%s): "
                  "callback modules record class 1 for each edge",
                  (unsigned long long)MCOV_WINDOW_BYTES, strerror(errno));
        return false;
    }
    if (on) {
        __atomic_store_n(&mcov_hot.count, mcov_rt.own, __ATOMIC_RELEASE);
        __atomic_store_n(&mcov_hot.test, s_zeros, __ATOMIC_RELEASE);
    } else {
        __atomic_store_n(&mcov_hot.count, NULL, __ATOMIC_RELEASE);
        __atomic_store_n(&mcov_hot.test, test_pointer(mcov_hot.own), __ATOMIC_RELEASE);
    }
    publish_hot();
    return true;
}

void mcov_register_hot(struct mcov_hot *hot)
{
    if (!hot)
        return;
    mcov_lock();
    bool known = false;
    for (struct mcov_hot *h = mcov_hot.next; h && !known; h = h->next)
        known = h == hot;
    if (!known) {
        copy_hot(hot);
        hot->next = mcov_hot.next;
        mcov_hot.next = hot;
    }
    mcov_unlock();
}

void mcov_unregister_hot(struct mcov_hot *hot)
{
    if (!hot)
        return;
    mcov_lock();
    for (struct mcov_hot **link = &mcov_hot.next; *link; link = &(*link)->next)
        if (*link == hot) {
            *link = hot->next;
            hot->next = NULL;
            break;
        }
    mcov_unlock();
}
