/* Lanes under load: workers clearing their own views (mcov_reset) and running inputs, a reader
 * folding, and region resets, all at once; then a last reset while every worker waits in a
 * cleared own view, after which each runs every input. The region must then hold every input's edges (the union of the
 * first hits after the last reset), whether the workers are killed or exit, and no lane may be
 * left owned once a reader looked. */
#define _GNU_SOURCE
#include "support.h"

#include "memcov_files.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 4, RUN_MS = 1500 };

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct ctx {
    const char *name;
    int id;
    int up, down;
};

static void worker(void *arg)
{
    const struct ctx *c = arg;
    if (mcov_attach(c->name) != 0)
        _exit(3);
    mcov_reset();
    size_t i = (size_t)c->id;
    for (;;) {
        int b = t_read_byte(c->down, 0);
        if (b == 'f')
            break;
        mcov_reset();
        if (i % 3 == 0)
            usleep(2000); /* idle between inputs: an empty lane */
        t_run_inputs(0, i++ % t_input_count, 1);
        usleep(1000); /* the input's verdict: its edges in the lane */
        if (i % 7 == 0)
            mcov_push_coverage(), t_run_inputs(0, i % t_input_count, 1), mcov_pop_coverage();
    }
    mcov_reset();              /* idle between inputs, its lane empty */
    t_write_byte(c->up, 'c');
    CHECK(t_read_byte(c->down, 20000) == 'g', "worker: no go"); /* the last reset returned */
    t_run_inputs(0, 0, t_input_count);
    t_write_byte(c->up, 'd');
    if (c->id % 2 == 0)
        for (;;)
            pause(); /* killed */
}

static void reader(void *name)
{
    mcov_region_file *f;
    CHECK(mcov_region_file_open(NULL, name, &f, NULL) == 0, "reader open: %s", mcov_last_error());
    uint64_t end = now_ms() + RUN_MS;
    while (now_ms() < end)
        mcov_region_file_sync(f);
    mcov_region_file_close(f);
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    t_region_copy ref = t_reference_union();
    const char *name = t_region_name("stress");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    int up[2];
    t_pipe(up);
    int down[WORKERS][2];
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
        t_pipe(down[w]);
        struct ctx c = {name, w, up[1], down[w][0]};
        pids[w] = t_fork(worker, &c);
    }
    pid_t rd = t_fork(reader, (void *)name);
    uint64_t end = now_ms() + RUN_MS;
    int resets = 0;
    while (now_ms() < end) {
        CHECK(mcov_region_reset(name) == 0, "reset: %s", mcov_last_error());
        resets++;
        usleep(3000);
    }
    t_wait_ok(rd);
    for (int w = 0; w < WORKERS; w++)
        t_write_byte(down[w][1], 'f');
    for (int w = 0; w < WORKERS; w++)
        t_expect_byte(up[0], 'c', pids[w], "worker idle");
    /* A new campaign: the region is reset while the workers wait for their next input. */
    CHECK(mcov_region_reset(name) == 0, "reset: %s", mcov_last_error());
    for (int w = 0; w < WORKERS; w++)
        t_write_byte(down[w][1], 'g');
    for (int w = 0; w < WORKERS; w++)
        t_expect_byte(up[0], 'd', pids[w], "worker done");
    for (int w = 0; w < WORKERS; w++) {
        if (w % 2 == 0)
            kill(pids[w], SIGKILL);
        waitpid(pids[w], NULL, 0);
    }
    t_region_copy got = t_read_region(name);
    uint64_t missing = 0, extra = 0;
    for (uint64_t i = 0; i < ref.cursor && i < got.cursor; i++) {
        missing += ref.map[i] && !got.map[i];
        extra += !ref.map[i] && got.map[i];
    }
    CHECK(got.cursor == ref.cursor && missing == 0 && extra == 0,
          "after %d resets: %llu edges missing, %llu extra", resets,
          (unsigned long long)missing, (unsigned long long)extra);
    t_free_region(&got);
    t_free_region(&ref);
    for (int w = 0; w < WORKERS; w++) {
        close(down[w][0]);
        close(down[w][1]);
    }
    close(up[0]);
    close(up[1]);
    t_cleanup();
    return 0;
}
