/* mcov_count_set (the count behind mcov_get_now) gives the same number as a byte loop, for
 * every start alignment, lengths around each block and run boundary of the vector loop, lanes
 * filled to their limit (long runs of zeros and of non-zeros), and byte values 0x01..0xff;
 * mcov_next_set_block (which folding a lane skips with) finds the same block as a byte loop; and
 * mcov_fold_flags (folding a lane into a flag map) leaves the map a byte loop leaves, with and
 * without a mask.
 * Built twice: as the runtime is built, and with MCOV_COUNT_PORTABLE (the word loop). */
#include "support.h"

#include <string.h>

#include "runtime.h"

#define BUF (3u * 64u * 63u + 4096u) /* past three 63-block runs of the vector loop */

static uint8_t s_buf[BUF + 64] __attribute__((aligned(64)));

static uint64_t oracle(const uint8_t *p, uint64_t n)
{
    uint64_t c = 0;
    for (uint64_t i = 0; i < n; i++)
        c += p[i] != 0;
    return c;
}

static uint64_t s_state = 0x9E3779B97F4A7C15ull;

static uint64_t next_random(void)
{
    uint64_t x = s_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return s_state = x;
}

/* density: 0 all clear, 256 all set, else about density/256 of the bytes set. */
static void fill(unsigned density)
{
    for (size_t i = 0; i < sizeof s_buf; i++) {
        uint64_t r = next_random();
        uint8_t v = (uint8_t)(r >> 8) | 1u; /* any non-zero value, 0x80 and 0xff included */
        if ((r & 7) == 0)
            v = (r & 8) ? 0x80 : 0xff;
        s_buf[i] = density >= 256 || (r >> 32) % 256 < density ? v : 0;
    }
}

static void check_range(unsigned density, size_t start, size_t n)
{
    uint64_t want = oracle(s_buf + start, n);
    uint64_t got = mcov_count_set(s_buf + start, n);
    CHECK(got == want, "density %u, start %zu, length %zu: counted %llu, the bytes hold %llu",
          density, start, n, (unsigned long long)got, (unsigned long long)want);
}

/* A lane, its mask and a map of random bytes at densities that give every case of a byte (lane
 * clear, equal to its mask, beyond it; map clear or set). Rounds vary the pattern: lanes set only
 * in stretches of 7, 16 or 64 bytes at a random phase (the vector loop skips blocks of none and
 * must test each of its four vectors), maps set almost everywhere and masks equal to their lane
 * almost everywhere (blocks with lane bytes and nothing to gain). The map is compared after the
 * fold with the byte loop's, at every start within a block and every length up to three blocks
 * and more. */
static void check_fold_flags(void)
{
    enum { N = 16 * 40 + 64 };
    static const size_t widths[] = {7, 16, 64};
    static uint8_t lane[N], mask[N], map[N], want[N], got[N];
    for (int round = 0; round < 24; round++) {
        size_t width = widths[(round / 2) % 3], phase = (size_t)(next_random() % 64);
        for (size_t i = 0; i < N; i++) {
            uint64_t r = next_random();
            lane[i] = (r & 3) ? (uint8_t)(r >> 8) : 0;
            if (round & 1 && ((i + phase) / width) % 3 != 1)
                lane[i] = 0;
            mask[i] = (r & 12) == 0 || (round % 8 >= 6 && (r & 0x3f00000) != 0) ? lane[i]
                                                                               : (uint8_t)(r >> 16);
            map[i] = (r & 48) == 0 || (round % 8 == 4 && (r & 0xfc000000) != 0) ? 1 : 0;
        }
        for (size_t start = 0; start < 64; start++)
            for (size_t n = 0; start + n <= N; n += n < 200 ? 1 : 13) {
                for (int masked = 0; masked <= 1; masked++) {
                    memcpy(want, map, N);
                    for (size_t i = start; i < start + n; i++)
                        if (lane[i] && (!masked || lane[i] != mask[i]))
                            want[i] = 1;
                    memcpy(got, map, N);
                    mcov_fold_flags(got + start, lane + start, masked ? mask + start : NULL, n);
                    CHECK(memcmp(got, want, N) == 0,
                          "fold, round %d, start %zu, length %zu, %s: the map differs", round,
                          start, n, masked ? "masked" : "no mask");
                }
            }
    }
}

int main(void)
{
    static const unsigned densities[] = {0, 1, 85, 128, 255, 256};
    static const size_t edges[] = {64, 128, 64 * 62, 64 * 63, 64 * 64, 64 * 126, 64 * 127,
                                   64 * 189, 64 * 190, BUF};
    for (size_t d = 0; d < sizeof densities / sizeof densities[0]; d++) {
        fill(densities[d]);
        for (size_t start = 0; start < 64; start++) {
            /* Every length up to 300: heads, tails and the first blocks. */
            for (size_t n = 0; n <= 300 && start + n <= BUF; n++)
                check_range(densities[d], start, n);
            /* Around each block and run boundary, and the whole buffer. */
            for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++)
                for (size_t k = 0; k < 24; k++) {
                    size_t n = edges[e] - 12 + k;
                    if (start + n <= BUF + 64 - 1)
                        check_range(densities[d], start, n);
                }
        }
    }
    /* One byte set anywhere in a clear map, at each position of a few blocks. */
    memset(s_buf, 0, sizeof s_buf);
    for (size_t at = 0; at < 512; at++) {
        s_buf[at] = 1;
        for (size_t start = 0; start <= at && start < 32; start += 7)
            check_range(999, start, BUF - start);
        s_buf[at] = 0;
    }
    /* One byte set anywhere, any value: every 64-byte-aligned start finds its block, or n when it
     * lies at or past n. */
    for (size_t at = 0; at < 1024; at++) {
        s_buf[at] = (uint8_t)(at % 255 + 1);
        for (size_t from = 0; from < 1024; from += 64)
            for (size_t n = from; n <= 1024; n += n % 64 == 0 ? 1 : 61) {
                uint64_t want = at >= from && at < n ? at / 64 * 64 : n;
                uint64_t got = mcov_next_set_block(s_buf, from, n);
                CHECK(got == want, "byte %zu set, from %zu, length %zu: found %llu, not %llu", at,
                      from, n, (unsigned long long)got, (unsigned long long)want);
            }
        s_buf[at] = 0;
    }
    check_fold_flags();
    printf("mcov_count_set, mcov_next_set_block and mcov_fold_flags agree with the byte loop\n");
    return 0;
}
