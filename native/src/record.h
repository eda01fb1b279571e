/* The hot path: one edge hit. Shared by libmemcov.so's exported callback and
 * the hidden-visibility hook object linked into instrumented modules. */
#ifndef MEMCOV_RECORD_H
#define MEMCOV_RECORD_H

#include <stdint.h>

/* Both pointers are always valid: a static sink before the first module
 * registers, then the process's window. own == map while no own view is open,
 * so the second test finds the byte set and stores nothing. */
struct mcov_hot {
    uint8_t *map;
    uint8_t *own;
};

extern struct mcov_hot mcov_hot __attribute__((visibility("default")));

/* Test-then-store: a byte many processes share is written once, then only read. */
static inline __attribute__((always_inline)) void mcov_record(const uint32_t *guard)
{
    uint32_t slot = __atomic_load_n(guard, __ATOMIC_RELAXED); /* a plain mov: races init */
    uint8_t *map = __atomic_load_n(&mcov_hot.map, __ATOMIC_RELAXED);
    if (!__atomic_load_n(&map[slot], __ATOMIC_RELAXED))
        __atomic_store_n(&map[slot], 1, __ATOMIC_RELAXED);
    uint8_t *own = __atomic_load_n(&mcov_hot.own, __ATOMIC_RELAXED);
    if (!__atomic_load_n(&own[slot], __ATOMIC_RELAXED))
        __atomic_store_n(&own[slot], 1, __ATOMIC_RELAXED);
}

#endif
