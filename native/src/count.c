/* Finding the non-zero bytes of a map: mcov_count_set counts them (mcov_get_now),
 * mcov_next_set_block skips to them (folding a lane), and mcov_fold_flags sets a flag map's bytes
 * where a lane's are (folding a lane read from its file). Their own file so that a test can compile
 * them against a byte-loop oracle, as built and with MCOV_COUNT_PORTABLE (the word loop that
 * targets without SSE2 use). */
#include <stdint.h>

#if defined(__SSE2__) && !defined(MCOV_COUNT_PORTABLE)
#include <emmintrin.h>
#endif

#include "bytes.h"
#include "runtime.h"

/* Counting the non-zero bytes of a map is what a parent gathering many workers pays for, so it
 * runs near memory bandwidth. The map may be written meanwhile by other processes: every read
 * is a relaxed atomic load or a may_alias vector load, and a byte that changes during the count
 * is counted or not, either is right. No instruction beyond the baseline of the target. */
#if defined(__SSE2__) && !defined(MCOV_COUNT_PORTABLE)
/* 16-byte vectors: pcmpeqb against zero gives 0xff (-1) per zero byte; byte lanes add up the
 * zeros of up to 63 blocks of 64 bytes (at most 252 per lane), then psadbw sums the lanes. */
static uint64_t count_zero_vectors(const uint8_t *p, uint64_t blocks)
{
    const __m128i zero = _mm_setzero_si128();
    uint64_t zeros = 0;
    while (blocks) {
        uint64_t run = blocks < 63 ? blocks : 63;
        blocks -= run;
        __m128i acc = zero;
        for (; run; run--, p += 64) {
            /* __m128i is may_alias: these loads read the map's bytes under any type. */
            __m128i e0 = _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)p), zero);
            __m128i e1 = _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)(p + 16)), zero);
            __m128i e2 = _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)(p + 32)), zero);
            __m128i e3 = _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)(p + 48)), zero);
            __m128i s = _mm_add_epi8(_mm_add_epi8(e0, e1), _mm_add_epi8(e2, e3)); /* -0..-4 */
            acc = _mm_sub_epi8(acc, s);
        }
        __m128i sums = _mm_sad_epu8(acc, zero);
        zeros += (uint64_t)_mm_cvtsi128_si32(sums) +
                 (uint64_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums));
    }
    return zeros;
}
#define MCOV_COUNT_ALIGN 16u
#define MCOV_COUNT_BLOCK 64u
#else
#define MCOV_COUNT_ALIGN 8u
#define MCOV_COUNT_BLOCK 8u
#endif

/* One word: the high bit of each byte is set iff the byte is non-zero; one multiply adds the
 * eight bits into the top byte. */
static inline uint64_t count_word(uint64_t w)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t high = ((((w & low7) + low7) | w) & ~low7) >> 7;
    return (high * ones) >> 56;
}

uint64_t mcov_count_set(const uint8_t *p, uint64_t n)
{
    uint64_t count = 0, i = 0;
    for (; i < n && ((uintptr_t)(p + i) & (MCOV_COUNT_ALIGN - 1)); i++)
        count += __atomic_load_n(&p[i], __ATOMIC_RELAXED) != 0;
#if defined(__SSE2__) && !defined(MCOV_COUNT_PORTABLE)
    uint64_t blocks = (n - i) / MCOV_COUNT_BLOCK;
    if (blocks) {
        count += blocks * MCOV_COUNT_BLOCK - count_zero_vectors(p + i, blocks);
        i += blocks * MCOV_COUNT_BLOCK;
    }
#endif
    for (; i + 8 <= n; i += 8)
        count += count_word(__atomic_load_n((const mcov_word *)(p + i), __ATOMIC_RELAXED));
    for (; i < n; i++)
        count += __atomic_load_n(&p[i], __ATOMIC_RELAXED) != 0;
    return count;
}

uint64_t mcov_next_set_block(const uint8_t *p, uint64_t i, uint64_t n)
{
    for (; i < n; i += 64) {
        uint64_t end = n - i < 64 ? n : i + 64;
#if defined(__SSE2__) && !defined(MCOV_COUNT_PORTABLE)
        if (end == i + 64) {
            const __m128i *v = (const __m128i *)(p + i);
            __m128i any = _mm_or_si128(_mm_or_si128(_mm_load_si128(v), _mm_load_si128(v + 1)),
                                       _mm_or_si128(_mm_load_si128(v + 2), _mm_load_si128(v + 3)));
            if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, _mm_setzero_si128())) == 0xffff)
                continue;
            return i;
        }
#endif
        uint64_t j = i;
        for (; j + 8 <= end; j += 8)
            if (__atomic_load_n((const mcov_word *)(p + j), __ATOMIC_RELAXED))
                return i;
        for (; j < end; j++)
            if (__atomic_load_n(&p[j], __ATOMIC_RELAXED))
                return i;
    }
    return n;
}

/* Sixty-four bytes at a time: a block of no lane byte is skipped on one test; otherwise which lane
 * bytes are set beyond their mask and whose map byte is still 0, as vectors, tested at once; then
 * one byte store per map byte that gains its flag. A wider store would write back bytes that
 * other processes set meanwhile as 0. */
void mcov_fold_flags(uint8_t *map, const uint8_t *lane, const uint8_t *mask, uint64_t n)
{
    uint64_t i = 0;
#if defined(__SSE2__) && !defined(MCOV_COUNT_PORTABLE)
    const __m128i zero = _mm_setzero_si128();
    for (; i + 64 <= n; i += 64) {
        __m128i l[4], g[4];
        for (unsigned k = 0; k < 4; k++)
            l[k] = _mm_loadu_si128((const __m128i *)(lane + i + 16 * k));
        __m128i any = _mm_or_si128(_mm_or_si128(l[0], l[1]), _mm_or_si128(l[2], l[3]));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, zero)) == 0xffff)
            continue;
        /* andnot(a, b) is ~a & b: lane byte not zero (and not its mask byte), map byte zero. */
        for (unsigned k = 0; k < 4; k++) {
            __m128i map_v = _mm_loadu_si128((const __m128i *)(map + i + 16 * k));
            g[k] = _mm_andnot_si128(_mm_cmpeq_epi8(l[k], zero), _mm_cmpeq_epi8(map_v, zero));
            if (mask) {
                __m128i mask_v = _mm_loadu_si128((const __m128i *)(mask + i + 16 * k));
                g[k] = _mm_andnot_si128(_mm_cmpeq_epi8(l[k], mask_v), g[k]);
            }
        }
        if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(g[0], g[1]), _mm_or_si128(g[2], g[3]))))
            continue;
        uint64_t gain = 0;
        for (unsigned k = 0; k < 4; k++)
            gain |= (uint64_t)(unsigned)_mm_movemask_epi8(g[k]) << (16 * k);
        for (; gain; gain &= gain - 1)
            __atomic_store_n(&map[i + (unsigned)__builtin_ctzll(gain)], 1, __ATOMIC_RELAXED);
    }
#endif
    for (; i < n; i++)
        if (lane[i] && (!mask || lane[i] != mask[i]) && !__atomic_load_n(&map[i], __ATOMIC_RELAXED))
            __atomic_store_n(&map[i], 1, __ATOMIC_RELAXED);
}
