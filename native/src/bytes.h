/* Byte-map helpers shared by the runtime's views and serializer. */
#ifndef MEMCOV_BYTES_H
#define MEMCOV_BYTES_H

#include <stdbool.h>
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

/* AFL++'s bucket of a hit count, as one bit: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. A count
 * of 0 has none. */
static inline uint8_t mcov_class_of(uint8_t count)
{
    if (count <= 2)
        return count;
    if (count == 3)
        return 4;
    if (count < 8)
        return 8;
    if (count < 16)
        return 16;
    if (count < 32)
        return 32;
    return count < 128 ? 64 : 128;
}

/* The least count whose class is the highest bit of classes: what a lane takes for a byte of
 * classes loaded into it (0 for 0). */
static inline uint8_t mcov_count_of_class(uint8_t classes)
{
    static const uint8_t least[8] = {1, 2, 3, 4, 8, 16, 32, 128};
    uint8_t count = 0;
    for (int k = 0; k < 8; k++)
        if (classes >> k & 1u)
            count = least[k];
    return count;
}

/* What byte b of a lane or a no-call section adds to a map's byte: its class in a hit-count
 * region, else 1 (a flag). */
static inline uint8_t mcov_map_bits(uint8_t b, bool classes)
{
    return classes ? mcov_class_of(b) : b != 0;
}

/* What a lane's byte b adds to the map when its mask byte is m (a lane without a mask: pass 0):
 * nothing if it is clear or still what a reset found there (docs/region-format.md, "Lanes"). */
static inline uint8_t mcov_lane_bits(uint8_t b, uint8_t m, bool classes)
{
    return b && b != m ? mcov_map_bits(b, classes) : 0;
}

/* OR bits into *p, writing only when they are not there yet (a shared byte stays clean). */
static inline void mcov_or_bits(uint8_t *p, uint8_t bits)
{
    if (bits && (__atomic_load_n(p, __ATOMIC_RELAXED) & bits) != bits)
        __atomic_fetch_or(p, bits, __ATOMIC_RELAXED);
}

/* Put bits (mcov_map_bits) into a map byte: in a flag map with a plain store of 1, since every
 * writer of a flag map stores the same 1 (a locked OR per byte made folding a lane of a million
 * edges cost milliseconds); in a class map with an atomic OR, since writers OR different bits. */
static inline void mcov_put_bits(uint8_t *p, uint8_t bits, bool classes)
{
    if (classes)
        mcov_or_bits(p, bits);
    else if (bits && !__atomic_load_n(p, __ATOMIC_RELAXED))
        __atomic_store_n(p, 1, __ATOMIC_RELAXED);
}

/* OR src[0, n) into dst bit by bit (classes), writing only bytes that gain bits. */
static inline void mcov_or_classes(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        mcov_or_bits(&dst[i], src[i]);
}

/* Copy n bytes, each as the class of the count it holds (a flag's 1 is class 1). */
static inline void mcov_copy_classes(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        dst[i] = mcov_class_of(__atomic_load_n(&src[i], __ATOMIC_RELAXED));
}

/* Copy n bytes as they are (a region's classes), with relaxed loads. */
static inline void mcov_copy_bytes(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* Copy n bytes as exact hits (0 or 1), whatever else a byte holds. */
static inline void mcov_copy_hits(uint8_t *dst, const uint8_t *src, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED) != 0;
}

#endif
