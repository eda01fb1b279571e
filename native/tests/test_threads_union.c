/* 8 processes x 4 threads, each thread its own slice of the inputs, all registering and
 * recording at once: the region ends up with exactly the union one process gets. */
#define _GNU_SOURCE
#include "support.h"

#include <pthread.h>
#include <unistd.h>

enum { PROCS = 8, THREADS = 4, ALL = PROCS * THREADS };

struct proc_ctx {
    int index;
    int go;     /* read end: end of file starts the process */
    int go_end; /* the parent's write end, closed in the child */
};

struct thread_ctx {
    int global;
    pthread_barrier_t *start;
};

/* Thread g runs input g (g < 24), or a pair starting at g - 24: every input at least once,
 * no two threads the same slice. */
static void slice_of(int g, size_t *first, size_t *count)
{
    if ((size_t)g < t_input_count) {
        *first = (size_t)g;
        *count = 1;
    } else {
        *first = (size_t)g - t_input_count;
        *count = 2;
    }
}

static void *thread_main(void *arg)
{
    const struct thread_ctx *t = arg;
    size_t first, count;
    slice_of(t->global, &first, &count);
    pthread_barrier_wait(t->start);
    /* Each thread loads the modules itself: registration races with recording. */
    t_run_inputs(t->global % 2, first, count);
    return NULL;
}

static void proc_main(void *arg)
{
    const struct proc_ctx *p = arg;
    close(p->go_end);
    if (t_read_byte(p->go, 20000) != -2) /* every process starts at once, on end of file */
        _exit(6);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    pthread_t th[THREADS];
    struct thread_ctx tc[THREADS];
    for (int i = 0; i < THREADS; i++) {
        tc[i] = (struct thread_ctx){p->index * THREADS + i, &start};
        if (pthread_create(&th[i], NULL, thread_main, &tc[i]) != 0)
            _exit(4);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    if (mcov_module_count() != 2 || mcov_private_module_count() != 0)
        _exit(5);
}

int main(void)
{
    /* Every input is in some slice. */
    int seen[64] = {0};
    for (int g = 0; g < ALL; g++) {
        size_t first, count;
        slice_of(g, &first, &count);
        for (size_t i = first; i < first + count; i++)
            seen[i] = 1;
    }
    for (size_t i = 0; i < t_input_count; i++)
        CHECK(seen[i], "input %zu is in no slice", i);

    t_region_copy ref = t_reference_union();

    const char *name = t_region_name("threads");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    /* The parent stays attached with no module: children inherit the attachment and
     * register A and B themselves, all at once. */
    int go[2];
    t_pipe(go);
    struct proc_ctx pc[PROCS];
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++) {
        pc[i] = (struct proc_ctx){i, go[0], go[1]};
        pids[i] = t_fork(proc_main, &pc[i]);
    }
    close(go[1]);
    for (int i = 0; i < PROCS; i++)
        t_wait_ok_within(pids[i], 30000);
    close(go[0]);

    t_region_copy got = t_read_region(name);
    CHECK_EQ_U64(got.modules, 2);
    CHECK_EQ_U64(got.modules_private, 0);
    CHECK_EQ_U64(got.edges_dropped, 0);
    mcov_module_entry e[4];
    CHECK_EQ_U64(t_read_entries(name, e, 4), 2);
    int a = t_find_entry(e, 2, "sample_a"), b = t_find_entry(e, 2, "sample_b");
    CHECK(a >= 0 && b >= 0, "entries %s, %s", e[0].path, e[1].path);
    /* Whichever process registered first, each module's range holds the reference's edges. */
    mcov_module_entry re[2] = {{0}};
    re[0].base = 0; /* the reference registered A then B */
    uint64_t a_span = e[a].edge_count + MCOV_EDGE_ALIGN - 1;
    a_span -= a_span % MCOV_EDGE_ALIGN;
    re[1].base = a_span;
    CHECK_EQ_U64(got.cursor, ref.cursor);
    for (uint64_t i = 0; i < e[a].edge_count; i++)
        CHECK(got.map[e[a].base + i] == ref.map[re[0].base + i], "A edge %llu: %u vs %u",
              (unsigned long long)i, got.map[e[a].base + i], ref.map[re[0].base + i]);
    for (uint64_t i = 0; i < e[b].edge_count; i++)
        CHECK(got.map[e[b].base + i] == ref.map[re[1].base + i], "B edge %llu: %u vs %u",
              (unsigned long long)i, got.map[e[b].base + i], ref.map[re[1].base + i]);
    CHECK_EQ_U64(t_count(got.map, got.cursor), t_count(ref.map, ref.cursor));
    if (a == 0)
        t_check_same_map(&ref, &got);
    CHECK_EQ_U64(mcov_get_now64(), t_count(ref.map, ref.cursor));

    mcov_detach();
    t_free_region(&ref);
    t_free_region(&got);
    t_cleanup();
    return 0;
}
