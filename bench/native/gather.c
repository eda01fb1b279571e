/* Gathering the coverage of many worker processes, two ways.
 *
 *   bench_gather serialize|region|region-env|lane|startup EDGES WORKERS PARALLEL
 *
 * Each worker is this program exec'd again; at most PARALLEL run at once. Every worker numbers
 * the guards of a module of EDGES edges and hits the same number of pseudo-random edges of it
 * (its own seed), then:
 *   serialize   the memcov design: it numbers the guards as memcov's guard init does (a store
 *               each), records into a private bitmap (one bit per edge) and writes it as memcov's
 *               blob (u32 now | u32 byte_size | bits) to a file; when all workers are done the
 *               parent reads every file and ORs it into the union.
 *   region      Memcov: the guard init registers the module (privately), mcov_attach
 *               joins the parent's region, and the hits go through Memcov's callback, so
 *               they are in the region already; the parent only counts the region's map.
 *   region-env  Memcov as workers usually join: exec'd with MEMCOV_REGION set, the guard init
 *               registers the module straight into the region; no memcov call.
 *   lane        Memcov, no-call mode: it registers a module of EDGES counters laid out as
 *               memcov-inline.ld lays them out, attaches (which also takes a lane and maps it over
 *               the counters) and counts as the compiler's NeverZero increments do; its lane
 *               outlives it: the next worker to take a lane folds it into the map and reuses it, and the
 *               parent's count folds the lanes left.
 *   startup     Memcov's own part of region-env's start-up: the worker faults its guard pages in
 *               and times a numbering of them (the stores a guard init makes), clears them, then
 *               times the guard init with MEMCOV_REGION set; own_ns is the difference, and
 *               own_faults the page faults during the guard init. No wall time is compared for
 *               it.
 * This program links Memcov's hook object and libmemcov as memcov_instrument() links an
 * instrumented target: the guard and counter inits and each hit's callback are the hook object's,
 * called directly; they register with libmemcov, whose calls do the rest.
 * Prints one line:
 *   mode=M edges=E workers=W covered=C parent_ns=P wall_ns=T number_ns=N register_ns=R
 *   attach_ns=A hits_ns=H faults=F own_ns=O own_faults=G warm_count_ns=K
 * parent_ns is the parent's work once every worker exited and reported; wall_ns runs from the
 * first spawn (before the region's creation) to the count. The rest are medians over the
 * workers: number_ns the serialize worker's numbering; register_ns the guard init
 * (numbering included; with region-env, joining the region too); attach_ns mcov_attach;
 * hits_ns the hits (their first touch of each page of the map or bitmap included); faults the
 * worker's page faults, exec to exit; warm_count_ns a second count, once the parent's mapping of
 * the map is faulted in. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <memcov.h>

#define MAX_EDGES (16u << 20)
#define HITS_PER_WORKER 65536u
#define REPORT_FD 3

void __sanitizer_cov_trace_pc_guard(uint32_t *guard);
void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);

/* The guards of the synthetic module a region worker registers: a range of this executable,
 * so the module's identity is the executable's build-id and edge count, as for a real one. */
static uint32_t s_guards[MAX_EDGES];

/* The counters of the synthetic no-call module a lane worker registers: on pages of their own,
 * followed by memcov-inline.ld's marker, in this executable's writable segment. */
static uint8_t s_counters[MAX_EDGES + 4096] __attribute__((aligned(4096)));
static const char k_marker[16] = "memcov-inline-v1";

struct worker_report {
    uint64_t number_ns;
    uint64_t register_ns;
    uint64_t attach_ns;
    uint64_t hits_ns;
    uint64_t own_ns;
    uint64_t faults;
    uint64_t own_faults;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

static int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static uint64_t faults_so_far(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt : 0;
}

static int send_report(struct worker_report *report)
{
    report->faults = faults_so_far();
    return write_full(REPORT_FD, report, sizeof *report) == 0 ? 0 : 1;
}

static int worker_serialize(uint32_t edges, uint64_t seed, const char *path)
{
    struct worker_report report = {0};
    uint32_t bytes = (edges + 7) / 8;
    uint8_t *blob = calloc(1, 8 + (size_t)bytes);
    if (!blob)
        return 1;
    uint8_t *bits = blob + 8;
    /* memcov's guard init numbers the module's guards, as Memcov's registration does. */
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < edges; i++)
        __atomic_store_n(&s_guards[i], i, __ATOMIC_RELAXED);
    uint64_t t1 = now_ns();
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t k = 0; k < HITS_PER_WORKER; k++) {
        uint32_t i = s_guards[next_random(&state) % edges];
        bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    report.number_ns = t1 - t0;
    report.hits_ns = now_ns() - t1;
    uint32_t now = 0;
    for (uint32_t b = 0; b < bytes; b++)
        now += (uint32_t)__builtin_popcount(bits[b]);
    memcpy(blob, &now, 4);
    memcpy(blob + 4, &bytes, 4);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write_full(fd, blob, 8 + (size_t)bytes) != 0 || close(fd) != 0)
        return 1;
    free(blob);
    return send_report(&report);
}

static void hit_guards(uint32_t edges, uint64_t seed)
{
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t k = 0; k < HITS_PER_WORKER; k++)
        __sanitizer_cov_trace_pc_guard(&s_guards[next_random(&state) % edges]);
}

static int worker_region(uint32_t edges, uint64_t seed, const char *region)
{
    struct worker_report report = {0};
    uint64_t t0 = now_ns();
    __sanitizer_cov_trace_pc_guard_init(s_guards, s_guards + edges); /* the hook object's */
    uint64_t t1 = now_ns();
    if (mcov_attach(region) != 0 || mcov_private_module_count() != 0) {
        fprintf(stderr, "bench_gather worker: attach %s: %s\n", region, mcov_last_error());
        return 1;
    }
    uint64_t t2 = now_ns();
    hit_guards(edges, seed);
    report.register_ns = t1 - t0;
    report.attach_ns = t2 - t1;
    report.hits_ns = now_ns() - t2;
    return send_report(&report);
}

/* The guard init with MEMCOV_REGION set by the parent, which registers the module
 * straight into the region; *ns is its time. 0 if the module joined. */
static int register_through_env(uint32_t edges, uint64_t *ns)
{
    uint64_t t0 = now_ns();
    __sanitizer_cov_trace_pc_guard_init(s_guards, s_guards + edges);
    *ns = now_ns() - t0;
    if (mcov_private_module_count() != 0) {
        fprintf(stderr, "bench_gather worker: MEMCOV_REGION not joined: %s\n", mcov_last_error());
        return 1;
    }
    return 0;
}

static int worker_region_env(uint32_t edges, uint64_t seed)
{
    struct worker_report report = {0};
    if (register_through_env(edges, &report.register_ns) != 0)
        return 1;
    uint64_t t1 = now_ns();
    hit_guards(edges, seed);
    report.hits_ns = now_ns() - t1;
    return send_report(&report);
}

/* The guard pages faulted in first, so that the numbering timed here and the one inside the
 * guard init work on the same resident pages: their difference is what Memcov adds. The
 * numbering is libmemcov's: one MADV_POPULATE_WRITE over the guards' pages, then a store each. */
static int worker_startup(uint32_t edges, uint64_t seed)
{
    struct worker_report report = {0};
    memset(s_guards, 0xff, (size_t)edges * sizeof *s_guards);
    uint64_t t0 = now_ns();
    uintptr_t from = (uintptr_t)s_guards & ~(uintptr_t)4095;
    (void)madvise((void *)from, (uintptr_t)(s_guards + edges) - from, MADV_POPULATE_WRITE);
    /* The loop of libmemcov's numbering (modules.c, set_guards), with a slot offset as it has. */
    volatile uint64_t first_slot = 4096;
    uint64_t local = first_slot;
    for (uint64_t i = 0; i < edges; i++)
        __atomic_store_n(&s_guards[i], (uint32_t)(local + i), __ATOMIC_RELAXED);
    uint64_t t1 = now_ns();
    memset(s_guards, 0, (size_t)edges * sizeof *s_guards);
    uint64_t faults = faults_so_far();
    if (register_through_env(edges, &report.register_ns) != 0)
        return 1;
    report.own_faults = faults_so_far() - faults;
    hit_guards(edges, seed);
    report.number_ns = t1 - t0;
    report.own_ns = report.register_ns > report.number_ns ? report.register_ns - report.number_ns : 0;
    return send_report(&report);
}

static int worker_lane(uint32_t edges, uint64_t seed, const char *region)
{
    struct worker_report report = {0};
    memcpy(s_counters + edges, k_marker, sizeof k_marker);
    uint64_t t0 = now_ns();
    __sanitizer_cov_8bit_counters_init(s_counters, s_counters + edges); /* the hook object's */
    uint64_t t1 = now_ns();
    if (mcov_attach(region) != 0 || mcov_private_module_count() != 0) {
        fprintf(stderr, "bench_gather worker: attach %s: %s\n", region, mcov_last_error());
        return 1;
    }
    uint64_t t2 = now_ns();
    report.register_ns = t1 - t0;
    report.attach_ns = t2 - t1;
    volatile uint8_t *counters = s_counters;
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (uint32_t k = 0; k < HITS_PER_WORKER; k++) {
        uint32_t i = (uint32_t)(next_random(&state) % edges);
        uint8_t v = (uint8_t)(counters[i] + 1);
        counters[i] = (uint8_t)(v + (v == 0));
    }
    report.hits_ns = now_ns() - t2;
    return send_report(&report);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Runs `workers` workers, at most `parallel` at once, each with the report pipe at REPORT_FD;
 * returns 0 if all exited 0. */
static int run_workers(const char *self, const char *mode, uint32_t edges, int workers, int parallel,
                       const char *where, int report_fd)
{
    int running = 0, failed = 0;
    for (int w = 0; w < workers || running > 0;) {
        if (w < workers && running < parallel) {
            char edges_s[16], seed_s[16];
            snprintf(edges_s, sizeof edges_s, "%u", edges);
            snprintf(seed_s, sizeof seed_s, "%d", w + 1);
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                return 1;
            }
            if (pid == 0) {
                if (dup2(report_fd, REPORT_FD) < 0)
                    _exit(126);
                execl(self, self, mode, edges_s, seed_s, where, (char *)NULL);
                _exit(127);
            }
            w++;
            running++;
            continue;
        }
        int status;
        if (wait(&status) < 0) {
            if (errno == EINTR)
                continue;
            perror("wait");
            return 1;
        }
        running--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = 1;
    }
    return failed;
}

/* The workers' reports, one per worker, and their medians. */
struct reports {
    int pipe[2];
    struct worker_report median;
};

static int reports_open(struct reports *r)
{
    memset(r, 0, sizeof *r);
    if (pipe(r->pipe) != 0) {
        perror("pipe");
        return 1;
    }
    return 0;
}

static uint64_t median_of(const struct worker_report *all, int n, size_t field)
{
    uint64_t *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return 0;
    for (int i = 0; i < n; i++)
        memcpy(&v[i], (const char *)&all[i] + field, sizeof *v);
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    uint64_t m = v[n / 2];
    free(v);
    return m;
}

/* Reads every worker's report (the pipe holds them all: WORKERS x 48 bytes); 0 if each sent one. */
static int reports_collect(struct reports *r, int workers)
{
    close(r->pipe[1]);
    struct worker_report *all = calloc((size_t)workers, sizeof *all);
    int n = 0;
    while (all && n < workers && read(r->pipe[0], &all[n], sizeof *all) == (ssize_t)sizeof *all)
        n++;
    close(r->pipe[0]);
    if (n != workers) {
        free(all);
        return 1;
    }
    r->median.number_ns = median_of(all, n, offsetof(struct worker_report, number_ns));
    r->median.register_ns = median_of(all, n, offsetof(struct worker_report, register_ns));
    r->median.attach_ns = median_of(all, n, offsetof(struct worker_report, attach_ns));
    r->median.hits_ns = median_of(all, n, offsetof(struct worker_report, hits_ns));
    r->median.own_ns = median_of(all, n, offsetof(struct worker_report, own_ns));
    r->median.faults = median_of(all, n, offsetof(struct worker_report, faults));
    r->median.own_faults = median_of(all, n, offsetof(struct worker_report, own_faults));
    free(all);
    return 0;
}

static void print_line(const char *mode, uint32_t edges, int workers, uint64_t covered,
                       uint64_t parent_ns, uint64_t wall_ns, const struct worker_report *m,
                       uint64_t warm_ns)
{
    printf("mode=%s edges=%u workers=%d covered=%" PRIu64 " parent_ns=%" PRIu64 " wall_ns=%" PRIu64
           " number_ns=%" PRIu64 " register_ns=%" PRIu64 " attach_ns=%" PRIu64 " hits_ns=%" PRIu64
           " faults=%" PRIu64 " own_ns=%" PRIu64 " own_faults=%" PRIu64 " warm_count_ns=%" PRIu64 "\n",
           mode, edges, workers, covered, parent_ns, wall_ns, m->number_ns, m->register_ns,
           m->attach_ns, m->hits_ns, m->faults, m->own_ns, m->own_faults, warm_ns);
}

static int parent_serialize(const char *self, uint32_t edges, int workers, int parallel)
{
    char dir[] = "/dev/shm/bench-gather-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp /dev/shm");
        return 1;
    }
    struct reports rep;
    uint32_t bytes = (edges + 7) / 8;
    uint64_t *uni = calloc(1, ((size_t)bytes + 7) / 8 * 8);
    uint8_t *buf = malloc(8 + (size_t)bytes);
    if (!uni || !buf || reports_open(&rep) != 0)
        return 1;

    uint64_t t0 = now_ns();
    int failed = run_workers(self, "worker-serialize", edges, workers, parallel, dir, rep.pipe[1]);
    failed |= reports_collect(&rep, workers);
    uint64_t t1 = now_ns();
    for (int w = 0; w < workers && !failed; w++) {
        char path[64];
        snprintf(path, sizeof path, "%s/%d", dir, w + 1);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_size != 8 + (off_t)bytes) {
            failed = 1;
            break;
        }
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
        uint32_t size;
        memcpy(&size, buf + 4, 4);
        if (got != (size_t)st.st_size || size != bytes) {
            failed = 1;
            break;
        }
        const uint8_t *bits = buf + 8;
        for (uint32_t i = 0; i < bytes / 8; i++) {
            uint64_t word;
            memcpy(&word, bits + 8 * (size_t)i, 8);
            uni[i] |= word;
        }
        for (uint32_t i = bytes / 8 * 8; i < bytes; i++)
            ((uint8_t *)uni)[i] |= bits[i];
    }
    uint64_t covered = 0;
    for (uint32_t i = 0; i < (bytes + 7) / 8; i++)
        covered += (uint64_t)__builtin_popcountll(uni[i]);
    uint64_t t2 = now_ns();

    for (int w = 0; w < workers; w++) {
        char path[64];
        snprintf(path, sizeof path, "%s/%d", dir, w + 1);
        unlink(path);
    }
    rmdir(dir);
    free(uni);
    free(buf);
    if (failed) {
        fprintf(stderr, "bench_gather: a serialize worker failed\n");
        return 1;
    }
    print_line("serialize", edges, workers, covered, t2 - t1, t2 - t0, &rep.median, 0);
    return 0;
}

static int parent_region(const char *self, const char *mode, uint32_t edges, int workers,
                         int parallel)
{
    char name[64];
    snprintf(name, sizeof name, "bench-gather-%ld", (long)getpid());
    struct reports rep;
    if (reports_open(&rep) != 0)
        return 1;
    /* region-env and startup workers join through the variable, as a launcher's children do. */
    bool by_env = strcmp(mode, "region-env") == 0 || strcmp(mode, "startup") == 0;
    if (by_env && setenv("MEMCOV_REGION", name, 1) != 0)
        return 1;
    uint64_t t0 = now_ns();
    if (mcov_region_create(name, edges) != 0) {
        fprintf(stderr, "bench_gather: %s\n", mcov_last_error());
        return 1;
    }
    char worker[32];
    snprintf(worker, sizeof worker, "worker-%s", mode);
    int failed = run_workers(self, worker, edges, workers, parallel, name, rep.pipe[1]);
    failed |= reports_collect(&rep, workers);
    uint64_t t1 = now_ns();
    uint64_t covered = mcov_get_now64();
    uint64_t t2 = now_ns();
    uint64_t again = mcov_get_now64(); /* the same count on pages this process has touched */
    uint64_t t3 = now_ns();
    mcov_region_remove(name);
    if (failed || again != covered) {
        fprintf(stderr, "bench_gather: a %s worker failed\n", mode);
        return 1;
    }
    print_line(mode, edges, workers, covered, t2 - t1, t2 - t0, &rep.median, t3 - t2);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strncmp(argv[1], "worker-", 7) == 0) {
        uint32_t edges = (uint32_t)strtoul(argv[2], NULL, 10);
        uint64_t seed = strtoull(argv[3], NULL, 10);
        if (edges == 0 || edges > MAX_EDGES)
            return 2;
        if (strcmp(argv[1], "worker-serialize") == 0) {
            char path[128];
            snprintf(path, sizeof path, "%s/%s", argv[4], argv[3]);
            return worker_serialize(edges, seed, path);
        }
        if (strcmp(argv[1], "worker-lane") == 0)
            return worker_lane(edges, seed, argv[4]);
        if (strcmp(argv[1], "worker-region-env") == 0)
            return worker_region_env(edges, seed);
        if (strcmp(argv[1], "worker-startup") == 0)
            return worker_startup(edges, seed);
        return worker_region(edges, seed, argv[4]);
    }
    if (argc != 5) {
        fprintf(stderr, "usage: %s serialize|region|region-env|lane|startup EDGES WORKERS PARALLEL\n",
                argv[0]);
        return 2;
    }
    uint32_t edges = (uint32_t)strtoul(argv[2], NULL, 10);
    int workers = atoi(argv[3]), parallel = atoi(argv[4]);
    if (edges == 0 || edges > MAX_EDGES || workers < 1 || parallel < 1) {
        fprintf(stderr, "%s: EDGES must be 1 to %u, WORKERS and PARALLEL at least 1\n", argv[0], MAX_EDGES);
        return 2;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return 1;
    self[len] = 0;
    if (strcmp(argv[1], "serialize") == 0)
        return parent_serialize(self, edges, workers, parallel);
    if (strcmp(argv[1], "region") == 0 || strcmp(argv[1], "region-env") == 0 ||
        strcmp(argv[1], "lane") == 0 || strcmp(argv[1], "startup") == 0)
        return parent_region(self, argv[1], edges, workers, parallel);
    fprintf(stderr, "%s: mode must be serialize, region, region-env, lane or startup\n", argv[0]);
    return 2;
}
