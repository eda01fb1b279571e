/* Another process of the same user can rewrite the module table at any moment. The runtime
 * copies each entry once, checks the copy and uses only the copy: an entry whose base flips
 * between a valid and an out-of-range value is either used whole or skipped, and nothing
 * reads outside the map. (The race depends on timing: T_ROUNDS makes a reader that reads an
 * entry twice very likely to fault.) */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define T_ROUNDS 200000

static mcov_module_entry *s_entry;
static int s_stop;

static void *flip_base(void *arg)
{
    (void)arg;
    const uint64_t bad = 1ull << 40; /* far outside any map */
    while (!__atomic_load_n(&s_stop, __ATOMIC_RELAXED)) {
        __atomic_store_n(&s_entry->base, bad, __ATOMIC_RELAXED);
        __atomic_store_n(&s_entry->base, 0, __ATOMIC_RELAXED);
    }
    return NULL;
}

int main(void)
{
    const char *name = t_region_name("rewrite");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_fn run = t_sym(t_load("libmcov_sample_a.so"), "sample_a_run");
    for (size_t i = 0; i < t_input_count; i++)
        run(t_inputs[i]);
    CHECK_EQ_U64(mcov_private_module_count(), 0);

    /* The hostile writer's own mapping of the table. */
    char path[4096];
    t_region_path(name, path, sizeof path);
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0, "open %s", path);
    uint8_t *base = mmap(NULL, MCOV_REGION_MAP_OFFSET, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(base != MAP_FAILED, "mmap");
    close(fd);
    s_entry = (mcov_module_entry *)(base + MCOV_MODULE_TABLE_OFFSET);
    CHECK_EQ_U64(s_entry->base, 0);

    pthread_t writer;
    CHECK(pthread_create(&writer, NULL, flip_base, NULL) == 0, "pthread_create");
    for (int i = 0; i < T_ROUNDS; i++) {
        size_t size = 0;
        uint8_t *blob = serialize_mem_coverage(&size);
        CHECK(blob && size > 0, "serialize: %s", mcov_last_error());
        mcov_free(blob);
    }
    __atomic_store_n(&s_stop, 1, __ATOMIC_RELAXED);
    pthread_join(writer, NULL);
    CHECK_EQ_U64(s_entry->base, 0);
    munmap(base, MCOV_REGION_MAP_OFFSET);

    /* With the entry whole again, the module is serialized with its hits. */
    uint64_t hits = mcov_get_now64();
    CHECK(hits > 20, "hits %llu", (unsigned long long)hits);
    size_t size = 0;
    uint8_t *blob = serialize_mem_coverage(&size);
    CHECK(blob && size > 32, "serialize");
    mcov_free(blob);
    mcov_detach();
    t_cleanup();
    return 0;
}
