/* Times the workload in PROCS processes at once, all on the same text.
 *
 *   bench_VARIANT BYTES PROCS private|shared|counts [base|own [INPUT]]
 *
 * The processes are forked after the runtime's setup and start together from a pipe barrier;
 * each times its own workload_run with CLOCK_MONOTONIC (start-up, loading and attaching are not
 * timed).
 *
 * VIEW is what a fuzzer's worker does: `base` (the default) records on the base view; `own`
 * opens an own view (bench_runtime_reset: mcov_reset) in each process before its clock starts,
 * so the whole timed run records inside it. INPUT > 0 splits the work into inputs of INPUT
 * bytes, one workload_run each (which makes its text again: a different workload, with its own
 * checksum and hit count); with `own`, each input starts with a reset, inside the timed run, as
 * a fuzzer resets before each input. Prints one line:
 *   runtime=NAME procs=P checksum=C ns=MEAN ns_max=MAX hits=H
 * where MEAN and MAX are over the processes and H is the edge hits one process counted (0 when
 * the runtime does not count). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "workload.h"

#define SEED 0x9E3779B97F4A7C15ull
#define MAX_PROCS 64

struct result {
    uint64_t ns;
    uint64_t checksum;
    uint64_t hits;
};

/* The defaults of runtime.h: a runtime that defines one of these replaces it. */
__attribute__((weak)) int bench_runtime_setup(int shared)
{
    (void)shared;
    return 0;
}

__attribute__((weak)) int bench_runtime_teardown(void) { return 0; }

__attribute__((weak)) uint64_t bench_runtime_hits(void) { return 0; }

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void reset_view(void)
{
    if (bench_runtime_reset() != 0)
        _exit(5);
}

static void child(uint64_t bytes, uint64_t input, int own, int go, int out)
{
    char token;
    if (read(go, &token, 1) < 0) /* returns 0 when the parent closes the barrier */
        _exit(3);
    if (own && input == 0)
        reset_view();
    uint64_t hits_before = bench_runtime_hits();
    uint64_t start = now_ns();
    uint64_t checksum = 0;
    if (input == 0) {
        checksum = workload_run(bytes, SEED);
    } else {
        for (uint64_t done = 0; done < bytes; done += input) {
            if (own)
                reset_view();
            checksum = checksum * 31 + workload_run(bytes - done < input ? bytes - done : input, SEED);
        }
    }
    struct result r = {now_ns() - start, checksum, bench_runtime_hits() - hits_before};
    /* What the next input's reset would do: the own view's hits reach the base view (in
     * no-call mode the flags are mirrored inside an own view, and _exit would lose them). */
    if (own)
        reset_view();
    _exit(write(out, &r, sizeof r) == (ssize_t)sizeof r ? 0 : 4);
}

int main(int argc, char **argv)
{
    int shared = !strcmp(argv[3], "shared") ? 1 : !strcmp(argv[3], "counts") ? 2 : 0;
    if (argc < 4 || argc > 6 || (strcmp(argv[3], "private") != 0 && !shared) ||
        (argc > 4 && strcmp(argv[4], "base") != 0 && strcmp(argv[4], "own") != 0)) {
        fprintf(stderr, "usage: %s BYTES PROCS private|shared|counts [base|own [INPUT]]\n", argv[0]);
        return 2;
    }
    uint64_t bytes = strtoull(argv[1], NULL, 10);
    int procs = atoi(argv[2]);
    int own = argc > 4 && strcmp(argv[4], "own") == 0;
    uint64_t input = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
    if (bytes == 0 || procs < 1 || procs > MAX_PROCS) {
        fprintf(stderr, "%s: BYTES must be > 0 and PROCS 1 to %d\n", argv[0], MAX_PROCS);
        return 2;
    }
    if (own && !bench_runtime_reset) {
        fprintf(stderr, "%s: runtime %s has no own view\n", argv[0], bench_runtime_name);
        return 2;
    }
    if (bench_runtime_setup(shared) != 0)
        return 1;

    int go[2], out[2];
    if (pipe(go) != 0 || pipe(out) != 0) {
        perror("pipe");
        return 1;
    }
    pid_t pids[MAX_PROCS];
    for (int i = 0; i < procs; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[i] == 0) {
            close(go[1]);
            close(out[0]);
            child(bytes, input, own, go[0], out[1]);
        }
    }
    close(go[0]);
    close(out[1]);
    close(go[1]); /* opens the barrier: every child's read returns */

    struct result sum = {0, 0, 0};
    uint64_t max_ns = 0;
    int failed = 0;
    for (int i = 0; i < procs; i++) {
        struct result r;
        if (read_full(out[0], &r, sizeof r) != 0) {
            failed = 1;
            break;
        }
        if (i > 0 && r.checksum != sum.checksum) {
            fprintf(stderr, "%s: processes disagree on the checksum\n", argv[0]);
            failed = 1;
        }
        sum.checksum = r.checksum;
        sum.ns += r.ns;
        sum.hits = r.hits;
        if (r.ns > max_ns)
            max_ns = r.ns;
    }
    for (int i = 0; i < procs; i++) {
        int status;
        while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed = 1;
    }
    if (bench_runtime_teardown() != 0)
        failed = 1;
    if (failed) {
        fprintf(stderr, "%s: a worker process failed\n", argv[0]);
        return 1;
    }
    printf("runtime=%s procs=%d checksum=%" PRIu64 " ns=%" PRIu64 " ns_max=%" PRIu64 " hits=%" PRIu64 "\n",
           bench_runtime_name, procs, sum.checksum, sum.ns / (uint64_t)procs, max_ns, sum.hits);
    return 0;
}
