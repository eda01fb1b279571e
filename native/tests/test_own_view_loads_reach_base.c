/* mcov_set_hitmap and deserialize_mem_coverage inside an own view OR into the base (private
 * pages, or the region) as well as into the own view: an edge the own view has is never
 * written to the base again while the view is open, so it must be there already. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <unistd.h>

enum { K = 3 };

static int s_pipe[2];

static void produce(void *name)
{
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, K, 1);
    size_t size = 0;
    uint8_t *blob = serialize_mem_coverage(&size);
    CHECK(blob && size, "serialize: %s", mcov_last_error());
    uint64_t n = size;
    t_write_all(s_pipe[1], &n, sizeof n);
    t_write_all(s_pipe[1], blob, size);
    mcov_free(blob);
}

struct hm {
    uint8_t *map;
    uint64_t total, k;
};

/* Detached from the start: A and B private, K run, the hitmap sent. */
static void produce_hitmap(void *arg)
{
    (void)arg;
    t_run_inputs(0, K, 1);
    uint64_t total = mcov_get_total64();
    uint8_t *map = malloc(total);
    CHECK(map, "oom");
    mcov_copy_hitmap((char *)map);
    t_write_all(s_pipe[1], &total, sizeof total);
    t_write_all(s_pipe[1], map, total);
}

static void load_hitmap(void *arg)
{
    const struct hm *h = arg;
    t_run_inputs(0, 0, 0);
    CHECK_EQ_U64(mcov_get_total64(), h->total);
    CHECK_EQ_U64(mcov_get_now64(), 0);
    mcov_push_coverage();
    mcov_set_hitmap((char *)h->map);
    CHECK_EQ_U64(mcov_get_now64(), h->k);
    mcov_pop_coverage(); /* base view: the private maps */
    CHECK(mcov_get_now64() == h->k, "set_hitmap in an own view: the private base holds %llu of "
          "%llu edges", (unsigned long long)mcov_get_now64(), (unsigned long long)h->k);
}

int main(void)
{
    /* set_hitmap in an own view, detached (private modules): the private base gets the bytes.
     * The hitmap comes from a child with the same (detached, A then B) layout. */
    t_pipe(s_pipe);
    pid_t q = t_fork(produce_hitmap, NULL);
    uint64_t total = 0;
    t_read_all(s_pipe[0], &total, sizeof total);
    uint8_t *map = malloc(total);
    CHECK(map, "oom");
    t_read_all(s_pipe[0], map, total);
    CHECK(t_count(map, total) > 0, "empty hitmap");
    t_wait_ok(q);
    q = t_fork(load_hitmap, &(struct hm){map, total, t_count(map, total)});
    t_wait_ok(q);
    free(map);

    const char *src = t_region_name("deser-src"), *dst = t_region_name("deser-dst");
    t_pipe(s_pipe);
    pid_t p = t_fork(produce, (void *)src);
    uint64_t size = 0;
    t_read_all(s_pipe[0], &size, sizeof size);
    uint8_t *blob = malloc(size);
    CHECK(blob, "oom");
    t_read_all(s_pipe[0], blob, size);
    t_wait_ok(p);
    uint64_t k = t_region_edges(src);
    CHECK(k > 0, "K hit nothing");

    CHECK(mcov_region_create(dst, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, 0, 0); /* register A and B, no hits */
    CHECK_EQ_U64(t_region_edges(dst), 0);
    mcov_reset();
    deserialize_mem_coverage(blob, size);
    CHECK(mcov_last_error()[0] == 0, "deserialize: %s", mcov_last_error());
    CHECK_EQ_U64(mcov_get_now64(), k);
    mcov_flush();
    uint64_t got = t_region_edges(dst);
    CHECK(got == k, "deserialize in an own view: region holds %llu of the blob's %llu edges",
          (unsigned long long)got, (unsigned long long)k);
    free(blob);

    t_cleanup();
    return 0;
}
