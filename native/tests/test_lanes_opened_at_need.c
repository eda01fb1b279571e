/* A process that joins a region opens its lanes file only when it first needs it. A worker that
 * records with callback modules alone holds no descriptor of it; its first count needs it, to fold
 * the lane a dead no-call worker left: the count is the union of both workers' edges, and the
 * worker holds the lanes file from then on. A no-call worker opens it as it takes its lane, and a
 * region's creator holds it from the start. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* How many of this process's descriptors open a file whose name starts with prefix. */
static int descriptors_named(const char *prefix)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        char path[64], target[4096];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(path, target, sizeof target - 1);
        target[len > 0 ? len : 0] = 0;
        const char *slash = strrchr(target, '/');
        n += slash && strncmp(slash + 1, prefix, strlen(prefix)) == 0;
    }
    return n;
}

/* The no-call counters sample counted once, then _exit: its lane is left to readers. */
static void counters_worker(void *arg)
{
    CHECK(mcov_attach((const char *)arg) == 0, "attach: %s", mcov_last_error());
    CHECK_EQ_U64(descriptors_named(".memcov-lanes-"), 0);
    void *lib = t_load("libmcov_sample_counts_inline.so");
    int64_t (*once)(void) = (int64_t (*)(void))dlsym(lib, "counts_once");
    CHECK(once != NULL, "counts_once");
    once();
    CHECK_EQ_U64(descriptors_named(".memcov-lanes-"), 1);
    _exit(0);
}

/* The callback sample A on every input, then _exit. */
static void callback_worker(void *arg)
{
    CHECK(mcov_attach((const char *)arg) == 0, "attach: %s", mcov_last_error());
    t_run_fn run = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run(t_inputs[i]);
    CHECK_EQ_U64(descriptors_named(".memcov-lanes-"), 0);
    _exit(0);
}

struct counting {
    const char *name;
    uint64_t expected;
};

/* As callback_worker, then one count, which must be expected. */
static void counting_worker(void *arg)
{
    const struct counting *c = arg;
    CHECK(mcov_attach(c->name) == 0, "attach: %s", mcov_last_error());
    t_run_fn run = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run(t_inputs[i]);
    CHECK_EQ_U64(descriptors_named(".memcov-lanes-"), 0);
    CHECK_EQ_U64(mcov_get_now64(), c->expected);
    CHECK_EQ_U64(descriptors_named(".memcov-lanes-"), 1);
    _exit(0);
}

/* A fresh region, and what worker leaves in it, counted by this process. */
static uint64_t edges_left_by(void (*worker)(void *), const char *tag)
{
    const char *name = t_region_name(tag);
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok(t_fork(worker, (void *)name));
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    uint64_t edges = mcov_get_now64();
    mcov_detach();
    return edges;
}

int main(void)
{
    if (strcmp(t_samples(), "callback") != 0)
        return 77; /* sample A is loaded in callback mode */
    uint64_t counters = edges_left_by(counters_worker, "counters");
    uint64_t callback = edges_left_by(callback_worker, "callback");
    CHECK(counters > 0 && callback > 0, "the samples reached %llu and %llu edges",
          (unsigned long long)counters, (unsigned long long)callback);

    struct counting both = {t_region_name("both"), counters + callback};
    CHECK(mcov_region_create(both.name, 1 << 16) == 0, "create: %s", mcov_last_error());
    CHECK_EQ_U64(descriptors_named(".memcov-lanes-"), 1); /* the creator's */
    mcov_detach();
    t_wait_ok(t_fork(counters_worker, (void *)both.name));
    t_wait_ok(t_fork(counting_worker, &both));
    t_cleanup();
    return 0;
}
