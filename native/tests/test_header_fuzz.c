/* mcov_attach on thousands of random and mutated region files, with modules loaded so a
 * successful attach also claims ranges and records hits: the call either refuses with
 * the code an independent check of the format predicts (MCOV_E_CORRUPT or MCOV_E_VERSION),
 * or succeeds on a header that is valid; it never crashes. Deterministic: the seed is
 * fixed (MEMCOV_FUZZ_SEED and MEMCOV_FUZZ_ITERS override it and the 5000 iterations). */
#define _GNU_SOURCE
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENTRIES_MUTATED 4u
/* The bytes a case writes: the header and the first module entries. */
#define HEAD_BYTES (MCOV_MODULE_TABLE_OFFSET + ENTRIES_MUTATED * 256u)
#define TMPL_CAPACITY 16384u

static uint64_t s_rng;

static uint64_t next(void)
{
    /* xorshift64* */
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t below(uint64_t n)
{
    return n ? next() % n : 0;
}

/* --- what a crash leaves on stderr --- */
static volatile sig_atomic_t s_iter = -1;
static uint64_t s_seed;
static uint8_t s_case[HEAD_BYTES];
static uint64_t s_case_size;
static char s_path[4096];

static void on_crash(int sig)
{
    char line[512];
    const mcov_region_header *h = (const mcov_region_header *)s_case;
    int n = snprintf(line, sizeof line,
                     "\ncrash (signal %d) in iteration %d, seed 0x%llx: file %llu bytes, "
                     "version %u header_size %u map_offset 0x%llx capacity 0x%llx "
                     "module_capacity %u module_table_offset 0x%llx cursor 0x%llx "
                     "module_count %u\n",
                     sig, (int)s_iter, (unsigned long long)s_seed,
                     (unsigned long long)s_case_size, h->version, h->header_size,
                     (unsigned long long)h->map_offset, (unsigned long long)h->capacity_edges,
                     h->module_capacity, (unsigned long long)h->module_table_offset,
                     (unsigned long long)h->alloc_cursor, h->module_count);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line);
        (void)w;
    }
    unlink(s_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* --- the format's rules, from memcov_region.h and this runtime's documented limits --- */
static int expected_verdict(const uint8_t *buf, uint64_t size, uint64_t allocated)
{
    if (size < sizeof(mcov_region_header))
        return MCOV_E_CORRUPT;
    mcov_region_header h;
    memcpy(&h, buf, sizeof h);
    if (memcmp(h.magic, MCOV_REGION_MAGIC, MCOV_REGION_MAGIC_LEN) != 0)
        return MCOV_E_CORRUPT;
    if (h.version != MCOV_REGION_VERSION)
        return MCOV_E_VERSION;
    if (h.header_size != sizeof h)
        return MCOV_E_CORRUPT;
    if (h.module_table_offset < h.header_size || h.module_table_offset % 8)
        return MCOV_E_CORRUPT;
    if (h.module_capacity == 0 || h.module_capacity > 65536)
        return MCOV_E_CORRUPT;
    /* In 128 bits: a table that wraps around the address space does not end before the map. */
    unsigned __int128 table_end =
        (unsigned __int128)h.module_table_offset + (unsigned __int128)h.module_capacity * 256u;
    if (h.map_offset % MCOV_EDGE_ALIGN || (unsigned __int128)h.map_offset < table_end ||
        h.map_offset > (1ull << 32))
        return MCOV_E_CORRUPT;
    if (h.capacity_edges == 0 || h.capacity_edges % MCOV_EDGE_ALIGN ||
        h.capacity_edges > MCOV_REGION_MAX_CAPACITY)
        return MCOV_E_CORRUPT;
    if ((unsigned __int128)h.map_offset + h.capacity_edges > size)
        return MCOV_E_CORRUPT;
    if (h.alloc_cursor > h.capacity_edges || h.alloc_cursor % MCOV_EDGE_ALIGN)
        return MCOV_E_CORRUPT;
    if (h.module_count > h.module_capacity)
        return MCOV_E_CORRUPT;
    if (allocated < h.map_offset + h.capacity_edges) /* holes in the map */
        return MCOV_E_CORRUPT;
    return MCOV_OK;
}

/* --- mutations --- */
struct field {
    uint32_t offset, width;
};

static const struct field k_header_fields[] = {
    {8, 4},  {12, 4}, {16, 8}, {24, 8}, {32, 4}, {36, 4}, {40, 8}, {48, 8},
    {56, 8}, {64, 8}, {72, 8}, {80, 8}, {88, 4}, {92, 4},
};
static const struct field k_entry_fields[] = {
    {0, 8}, {8, 8}, {16, 8}, {24, 4}, {28, 4}, {32, 4}, {40, 8}, {72, 8},
};

static uint64_t interesting(uint32_t width)
{
    static const uint64_t v64[] = {
        0,
        1,
        8,
        255,
        256,
        257,
        4095,
        4096,
        4097,
        8192,
        TMPL_CAPACITY,
        MCOV_REGION_MAP_OFFSET,
        MCOV_REGION_MAP_OFFSET - 4096,
        MCOV_REGION_MAP_OFFSET + 4096,
        MCOV_REGION_MAP_OFFSET + TMPL_CAPACITY,
        1ull << 31,
        (1ull << 32) - 4096,
        1ull << 32,
        (1ull << 32) + 4096,
        1ull << 63,
        UINT64_MAX,
        UINT64_MAX - 255,
        UINT64_MAX - 4095,
        (uint64_t)0 - 262144,
        (uint64_t)0 - 256 * 1024 - 256,
        (uint64_t)0 - MCOV_REGION_MAP_OFFSET,
    };
    static const uint64_t v32[] = {0, 1, 2, 3, 255, 256, 1023, 1024, 1025, 4096,
                                   65536, 65537, 1u << 31, UINT32_MAX};
    if (width == 8) {
        uint64_t v = v64[below(sizeof v64 / sizeof v64[0])];
        return below(4) == 0 ? v + 4096 * below(4) : v;
    }
    return v32[below(sizeof v32 / sizeof v32[0])];
}

static void set_field(uint8_t *at, uint32_t width, uint64_t v)
{
    if (width == 8)
        memcpy(at, &v, 8);
    else {
        uint32_t w = (uint32_t)v;
        memcpy(at, &w, 4);
    }
}

static void mutate(uint8_t *buf)
{
    switch (below(10)) {
    case 0: /* flip a bit of the header */
        buf[below(256)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* a random byte of the header */
        buf[below(256)] = (uint8_t)next();
        break;
    case 2:
    case 3:
    case 4: { /* a header field to a value near a boundary */
        const struct field *f = &k_header_fields[below(sizeof k_header_fields /
                                                       sizeof k_header_fields[0])];
        set_field(buf + f->offset, f->width, interesting(f->width));
        break;
    }
    case 5: { /* a header field to a random value */
        const struct field *f = &k_header_fields[below(sizeof k_header_fields /
                                                       sizeof k_header_fields[0])];
        set_field(buf + f->offset, f->width, below(3) ? next() : next() & ~4095ull);
        break;
    }
    case 6:
    case 7: { /* a field of one of the first module entries */
        const struct field *f =
            &k_entry_fields[below(sizeof k_entry_fields / sizeof k_entry_fields[0])];
        uint8_t *e = buf + MCOV_MODULE_TABLE_OFFSET + 256 * below(ENTRIES_MUTATED);
        set_field(e + f->offset, f->width, below(2) ? interesting(f->width) : next());
        break;
    }
    case 8: /* the module count, to cover entries that were never written */
        set_field(buf + 92, 4, below(2) ? below(ENTRIES_MUTATED + 2) : interesting(4));
        break;
    default: /* a stretch of random bytes anywhere in what is written */
    {
        uint64_t at = below(HEAD_BYTES), n = 1 + below(32);
        for (uint64_t i = 0; i < n && at + i < HEAD_BYTES; i++)
            buf[at + i] = (uint8_t)next();
        break;
    }
    }
}

static uint64_t pick_size(const uint8_t *buf, uint64_t full)
{
    const mcov_region_header *h = (const mcov_region_header *)buf;
    switch (below(10)) {
    case 0:
        return below(300); /* short: often not even a header */
    case 1:
        return below(full + 1);
    case 2:
        return full + 4096 * below(4) - (below(2) ? 4096 * below(3) : 0);
    case 3:
    case 4: { /* what the (mutated) header asks for, give or take */
        uint64_t want = h->map_offset + h->capacity_edges;
        if (want > (1ull << 33) || want < h->map_offset)
            return full;
        return below(3) ? want : want - 1 + below(3);
    }
    case 5: /* huge and sparse */
        return (1ull << 32) + MCOV_REGION_MAP_OFFSET + 4096 * below(3);
    default:
        return full;
    }
}

/* Files up to 64 MiB are reserved whole, as a creator does; larger ones stay sparse (holes).
 * Returns the bytes the file has allocated. */
static uint64_t write_case(const char *path, const uint8_t *buf, uint64_t size)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    if (size && size <= (64u << 20))
        CHECK(posix_fallocate(fd, 0, (off_t)size) == 0, "fallocate %llu",
              (unsigned long long)size);
    else
        CHECK(ftruncate(fd, (off_t)size) == 0, "ftruncate %llu: %s", (unsigned long long)size,
              strerror(errno));
    uint64_t n = size < HEAD_BYTES ? size : HEAD_BYTES;
    CHECK(n == 0 || pwrite(fd, buf, n, 0) == (ssize_t)n, "pwrite");
    struct stat st;
    CHECK(fstat(fd, &st) == 0, "fstat");
    close(fd);
    return (uint64_t)st.st_blocks * 512u;
}

/* A crash (or a sanitizer's exit) skips t_cleanup: remove what dead runs of this test left. */
static void remove_stale_files(void)
{
    char dir[4096];
    t_region_path("x", dir, sizeof dir);
    *strrchr(dir, '/') = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid = 0;
        if (sscanf(e->d_name, "memcov-t-fuzz-%d-", &pid) != 1 &&
            sscanf(e->d_name, "memcov-t-fuzz-tmpl-%d-", &pid) != 1)
            continue;
        if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) {
            char p[8192];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
}

static void template_child(void *name)
{
    if (mcov_attach(name) != MCOV_OK)
        _exit(3);
    t_run_inputs(0, 0, 4);
}

int main(void)
{
    const char *seed_env = getenv("MEMCOV_FUZZ_SEED");
    const char *iters_env = getenv("MEMCOV_FUZZ_ITERS");
    s_seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x6d656d636f76ull;
    long iters = iters_env ? atol(iters_env) : 5000;
    s_rng = s_seed ? s_seed : 1;
    setenv("MEMCOV_QUIET", "1", 1); /* thousands of refusals: keep stderr readable */
    remove_stale_files();
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);

    /* The template: a region into which another process registered A and B. */
    const char *tmpl = t_region_name("fuzz-tmpl");
    CHECK(mcov_region_create(tmpl, TMPL_CAPACITY) == MCOV_OK, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok(t_fork(template_child, (void *)tmpl));
    char path[4096];
    t_region_path(tmpl, path, sizeof path);
    uint8_t template[HEAD_BYTES];
    {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0, "open template");
        CHECK(pread(fd, template, sizeof template, 0) == (ssize_t)sizeof template, "read");
        close(fd);
    }
    const mcov_region_header *th = (const mcov_region_header *)template;
    CHECK(th->module_count == 2, "template has %u modules", th->module_count);
    const uint64_t full = MCOV_REGION_MAP_OFFSET + TMPL_CAPACITY;
    CHECK(expected_verdict(template, full, full) == MCOV_OK, "the template is not valid");
    CHECK(mcov_region_remove(tmpl) == MCOV_OK, "remove template");

    /* This process's modules: each accepted attach moves them into the fuzzed region. */
    void *a = t_load("libmcov_sample_a.so");
    void *b = t_load("libmcov_sample_b.so");
    t_run_fn run_a = t_sym(a, "sample_a_run");
    t_run_fn run_b = t_sym(b, "sample_b_run");
    run_a(t_inputs[0]);
    run_b(t_inputs[0]);

    const char *name = t_region_name("fuzz");
    t_region_path(name, path, sizeof path);
    snprintf(s_path, sizeof s_path, "%s", path);
    long accepted = 0, corrupt = 0, version = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long it = 0; it < iters; it++) {
        uint8_t buf[HEAD_BYTES];
        uint64_t kind = below(20);
        if (kind == 0) { /* random bytes */
            for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (uint8_t)next();
        } else if (kind == 1) { /* random bytes behind a good magic and version */
            for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (uint8_t)next();
            memcpy(buf, template, 12);
        } else {
            memcpy(buf, template, sizeof buf);
            if (kind > 3) /* kind 2, 3: the template as it is, maybe at another size */
                for (uint64_t m = 1 + below(4); m > 0; m--)
                    mutate(buf);
        }
        uint64_t size = pick_size(buf, full);
        memcpy(s_case, buf, sizeof buf);
        s_case_size = size;
        s_iter = (sig_atomic_t)it;
        uint64_t allocated = write_case(path, buf, size);

        int want = expected_verdict(buf, size, allocated);
        int rc = mcov_attach(name);
        if (rc == MCOV_OK) {
            CHECK(want == MCOV_OK,
                  "iteration %ld (seed 0x%llx): attach accepted a file the format refuses "
                  "(want %d); rerun with MEMCOV_FUZZ_SEED",
                  it, (unsigned long long)s_seed, want);
            CHECK(mcov_is_attached() == 1, "iteration %ld: not attached", it);
            accepted++;
            /* Record, count and copy while attached. */
            const char *in = t_inputs[below(t_input_count)];
            run_a(in);
            run_b(in);
            /* Counting reads the map [0, cursor): skip it on the sparse multi-GiB maps,
             * where every read fault would allocate a tmpfs page. */
            const mcov_region_header *h = (const mcov_region_header *)buf;
            if (h->capacity_edges > (1u << 24)) {
                mcov_detach();
                CHECK(mcov_is_attached() == 0, "iteration %ld: attached after detach", it);
                continue;
            }
            uint64_t total = mcov_get_total64(), now = mcov_get_now64();
            CHECK(now <= total, "iteration %ld: now %llu, total %llu", it,
                  (unsigned long long)now, (unsigned long long)total);
            if (total <= (1u << 20)) {
                uint8_t *hm = malloc(total ? total : 1);
                CHECK(hm, "malloc");
                CHECK_EQ_U64(mcov_copy_hitmap_n(hm, total), total);
                CHECK_EQ_U64(t_count(hm, total), now);
                free(hm);
            }
            mcov_detach();
        } else {
            CHECK(rc == want, "iteration %ld (seed 0x%llx): attach = %d, the format says %d (%s)",
                  it, (unsigned long long)s_seed, rc, want, mcov_last_error());
            CHECK(mcov_last_error()[0], "iteration %ld: refused without a message", it);
            corrupt += rc == MCOV_E_CORRUPT;
            version += rc == MCOV_E_VERSION;
        }
        CHECK(mcov_is_attached() == 0, "iteration %ld: attached after detach", it);
    }
    s_iter = -1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "%ld cases in %.2f s (seed 0x%llx): %ld accepted, %ld corrupt, %ld version\n",
            iters, secs, (unsigned long long)s_seed, accepted, corrupt, version);
    if (iters >= 1000) {
        CHECK(accepted >= iters / 20, "only %ld accepted: the fuzz misses the success path",
              accepted);
        CHECK(corrupt >= iters / 5, "only %ld refused as corrupt", corrupt);
        CHECK(version > 0, "no version refusal");
    }
    /* The modules still record privately after all of this. */
    CHECK_EQ_U64(mcov_private_module_count(), 2);
    CHECK(mcov_get_now64() > 0, "nothing recorded at the end");
    t_cleanup();
    return 0;
}
