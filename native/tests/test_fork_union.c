/* Workers forked from a parent attached to a region add up to the union one process gets. */
#include "support.h"

#include <unistd.h>

struct part {
    size_t first, count;
};

static void worker(void *arg)
{
    const struct part *p = arg;
    t_run_inputs(0, p->first, p->count);
}

int main(void)
{
    t_region_copy ref = t_reference_union();

    const char *name = t_region_name("fork");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    /* Children inherit the attachment; one input slice each, so four processes write. */
    enum { WORKERS = 4 };
    struct part parts[WORKERS];
    pid_t pids[WORKERS];
    size_t per = (t_input_count + WORKERS - 1) / WORKERS;
    for (int i = 0; i < WORKERS; i++) {
        parts[i] = (struct part){(size_t)i * per, per};
        pids[i] = t_fork(worker, &parts[i]);
    }
    for (int i = 0; i < WORKERS; i++)
        t_wait_ok(pids[i]);

    t_region_copy got = t_read_region(name);
    t_check_same_map(&ref, &got);
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));
    t_free_region(&ref);
    t_free_region(&got);
    t_cleanup();
    return 0;
}
