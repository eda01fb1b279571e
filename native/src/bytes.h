/* Byte-map helpers shared by the runtime's views and serializer. */
#ifndef MEMCOV_BYTES_H
#define MEMCOV_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A 64-bit word read over bytes of any type (a map, a table entry) without breaking the
 * aliasing rules. */
typedef uint64_t __attribute__((may_alias)) mcov_word;

/* FNV-1a-64 (offset basis 0xcbf29ce484222325), continuing from h. */
#define MCOV_FNV_OFFSET 0xcbf29ce484222325ull
static inline uint64_t mcov_fnv1a(const void *data, size_t n, uint64_t h)
{
    const uint8_t *p = (const uint8_t *)data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Set dst[i] where src[i] is set, storing only where dst is still clear. */
static inline void mcov_or_into(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (src[i] && !__atomic_load_n(&dst[i], __ATOMIC_RELAXED))
            __atomic_store_n(&dst[i], 1, __ATOMIC_RELAXED);
}

/* Copy n bytes as exact hits (0 or 1), whatever else a byte holds. */
static inline void mcov_copy_hits(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED) != 0;
}

#endif
