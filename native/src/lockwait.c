/* Waiting for a lock of the region's files that another process holds: a claim or a lane take
 * holds one for microseconds, a reader or a reset for milliseconds, and only a stopped process
 * for longer. A short wait spins, the caller trying the lock again at once: a nap, or a yield to
 * another task, costs hundreds of microseconds in a VM (an idle vCPU is woken late; a yield may
 * give up a whole time slice), longer than a short worker lives. A longer wait naps, each nap
 * twice the last, up to a bound. */
#define _GNU_SOURCE
#include <time.h>

#include "runtime.h"

/* Long enough for a claim or a take to end, short enough that a stopped holder costs little. */
#define MCOV_LOCK_SPIN_NS 200000ull

void mcov_lock_wait_start(struct mcov_lock_wait *w, uint64_t max_wait_ns, long max_nap_ns)
{
    uint64_t now = mcov_monotonic_ns();
    w->spin_until = now + (max_wait_ns < MCOV_LOCK_SPIN_NS ? max_wait_ns : MCOV_LOCK_SPIN_NS);
    w->deadline = now + max_wait_ns;
    w->nap_ns = 100000;
    w->max_nap_ns = max_nap_ns;
}

bool mcov_lock_wait(struct mcov_lock_wait *w)
{
    uint64_t now = mcov_monotonic_ns();
    if (now >= w->deadline)
        return false;
    if (now < w->spin_until)
        return true;
    struct timespec nap = {0, w->nap_ns};
    nanosleep(&nap, NULL);
    w->nap_ns = w->nap_ns < w->max_nap_ns / 2 ? w->nap_ns * 2 : w->max_nap_ns;
    return true;
}
