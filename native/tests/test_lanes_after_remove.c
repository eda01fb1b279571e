/* A process that joined a region, then removed it, still folds the lanes its workers left: the
 * lanes file's descriptor it keeps from its attach reaches the file whose name is gone. A
 * no-call worker counts once and ends with _exit, leaving its lane; a worker with callback
 * modules alone records too; the process that removed the region then counts the union of
 * both, as a reader of the region before its removal would. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

/* The no-call counters sample counted once, then _exit: its lane is left to readers. */
static void counters_worker(void *arg)
{
    CHECK(mcov_attach((const char *)arg) == 0, "attach: %s", mcov_last_error());
    void *lib = t_load("libmcov_sample_counts_inline.so");
    int64_t (*once)(void) = (int64_t (*)(void))dlsym(lib, "counts_once");
    CHECK(once != NULL, "counts_once");
    once();
    _exit(0);
}

/* The callback sample A on every input. */
static void callback_worker(void *arg)
{
    CHECK(mcov_attach((const char *)arg) == 0, "attach: %s", mcov_last_error());
    t_run_fn run = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run(t_inputs[i]);
    _exit(0);
}

struct work {
    const char *name;
    uint64_t expected;
};

/* Joins, lets both workers record, removes the region, then counts. */
static void removing_reader(void *arg)
{
    const struct work *w = arg;
    CHECK(mcov_attach(w->name) == 0, "attach: %s", mcov_last_error());
    t_wait_ok(t_fork(counters_worker, (void *)w->name));
    t_wait_ok(t_fork(callback_worker, (void *)w->name));
    CHECK(mcov_region_remove(w->name) == 0, "remove: %s", mcov_last_error());
    CHECK_EQ_U64(mcov_get_now64(), w->expected);
    _exit(0);
}

/* A fresh region made by this process, which lets go of it. */
static const char *new_region(const char *tag)
{
    const char *name = t_region_name(tag);
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    return name;
}

/* What worker leaves in a fresh region, counted by this process. */
static uint64_t edges_left_by(void (*worker)(void *), const char *tag)
{
    const char *name = new_region(tag);
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
    struct work removed = {new_region("removed"), counters + callback};
    t_wait_ok(t_fork(removing_reader, &removed));
    t_cleanup();
    return 0;
}
