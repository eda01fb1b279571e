/* The hot path: one edge hit. Shared by libmemcov.so's exported callback and
 * the hidden-visibility hook object linked into instrumented modules. */
#ifndef MEMCOV_RECORD_H
#define MEMCOV_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* The pointers one edge hit needs. Every module's hook object has a hidden copy of its own,
 * which the runtime registered (mcov_register_hot) and keeps up to date under its lock, so the
 * hook reaches it PC-relative: no GOT, no call. libmemcov.so's exported callback uses the
 * runtime's copy, also hidden. Every pointer is indexed by slot (guard value):
 *   test: what the one test of a hit reads: the base on the base view, the own view while one
 *         is open. Every edge an own view has is in the base too (its first hit took the second
 *         path, which writes both; set_hitmap and deserialize OR into both), so either way an
 *         edge already recorded costs one test.
 *   base: always valid: a static sink before the windows exist (every guard is 0 until its
 *         module registers), then the process's window (region slices or private pages).
 *   own:  the own view's window while one is open, else NULL. */
struct mcov_hot {
    uint8_t *test;
    uint8_t *base;
    uint8_t *own;
    struct mcov_hot *next; /* the runtime's list of registered copies: no allocation */
};

/* Test-then-store: a byte many processes share is written once, then only read. An edge the
 * tested view already has costs one test. Otherwise the base and the own view are tested
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
    uint8_t *base = __atomic_load_n(&hot->base, __ATOMIC_RELAXED);
    if (!__atomic_load_n(&base[slot], __ATOMIC_RELAXED))
        __atomic_store_n(&base[slot], 1, __ATOMIC_RELAXED);
    uint8_t *own = __atomic_load_n(&hot->own, __ATOMIC_RELAXED);
    if (own && !__atomic_load_n(&own[slot], __ATOMIC_RELAXED))
        __atomic_store_n(&own[slot], 1, __ATOMIC_RELAXED);
}

#endif
