/* The hot path: one edge hit. Shared by libmemcov.so's exported callback and
 * the hidden-visibility hook object linked into instrumented modules. */
#ifndef MEMCOV_RECORD_H
#define MEMCOV_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "hook_abi.h"

/* Test-then-store: a byte many processes share is written once, then only read. An edge the
 * tested view already has costs one test. In a hit-count region the test reads zeros and every
 * hit counts in the process's lane. Otherwise the base and the own view are tested
 * independently, never one inside the other. The one exception to "every hit reaches the
 * base": after a mcov_region_reset, an edge this process's open own view already had reaches
 * the region again only once that own view is cleared or closed (docs/semantics.md). */
static inline __attribute__((always_inline)) void mcov_record(const struct mcov_hot *hot,
                                                              const uint32_t *guard)
{
    uint32_t slot = __atomic_load_n(guard, __ATOMIC_RELAXED); /* a plain mov: races init */
    const uint8_t *test = __atomic_load_n(&hot->test, __ATOMIC_RELAXED);
    if (__builtin_expect(__atomic_load_n(&test[slot], __ATOMIC_RELAXED) != 0, 1))
        return;
    uint8_t *count = __atomic_load_n(&hot->count, __ATOMIC_RELAXED);
    if (count) { /* a hit-count region: every hit counts, NeverZero, as no-call counters do */
        uint8_t v = (uint8_t)(__atomic_load_n(&count[slot], __ATOMIC_RELAXED) + 1);
        __atomic_store_n(&count[slot], (uint8_t)(v + (v == 0)), __ATOMIC_RELAXED);
        return;
    }
    uint8_t *base = __atomic_load_n(&hot->base, __ATOMIC_RELAXED);
    if (!__atomic_load_n(&base[slot], __ATOMIC_RELAXED))
        __atomic_store_n(&base[slot], 1, __ATOMIC_RELAXED);
    uint8_t *own = __atomic_load_n(&hot->own, __ATOMIC_RELAXED);
    if (own && !__atomic_load_n(&own[slot], __ATOMIC_RELAXED))
        __atomic_store_n(&own[slot], 1, __ATOMIC_RELAXED);
}

#endif
