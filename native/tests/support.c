#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MCOV_TEST_LIBDIR
#error "MCOV_TEST_LIBDIR names the directory of the sample modules"
#endif

static char s_names[64][96];
static int s_name_count;

const char *t_region_name(const char *tag)
{
    CHECK(s_name_count < 64, "too many regions in one test");
    char *name = s_names[s_name_count++];
    snprintf(name, sizeof s_names[0], "t-%s-%d-%d", tag, (int)getpid(), s_name_count);
    return name;
}

void t_cleanup(void)
{
    for (int i = 0; i < s_name_count; i++) {
        char path[4096];
        t_region_path(s_names[i], path, sizeof path);
        unlink(path);
    }
    s_name_count = 0;
}

void t_region_path(const char *name, char *buf, size_t len)
{
    const char *dir = getenv("MEMCOV_SHM_DIR");
    snprintf(buf, len, "%s/memcov-%s", dir && dir[0] ? dir : "/dev/shm", name);
}

void *t_load(const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", MCOV_TEST_LIBDIR, file);
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CHECK(lib, "dlopen %s: %s", path, dlerror());
    return lib;
}

t_run_fn t_sym(void *lib, const char *name)
{
    t_run_fn fn;
    void *p = dlsym(lib, name);
    CHECK(p, "dlsym %s", name);
    memcpy(&fn, &p, sizeof fn);
    return fn;
}

const char *const t_inputs[] = {
    "1+2",         "(3*4)-5",     "0x1F%7",      "10/0",       "!0 == 1",   "((((1))))",
    "2<3",         "4>5",         "-(-7)",       "1 +",        "abc",       "0xff*0XAB",
    "9%0",         "(1+2",        "7 7",         "if x for",   "while(1){", "return 42;",
    "a.b,c;d:e",   "x_y z",       "\t\n ",      "#@!",        "12 34 56",  "ret",
};
const size_t t_input_count = sizeof t_inputs / sizeof t_inputs[0];

void t_run_inputs(int b_first, size_t first, size_t count)
{
    void *a = NULL, *b = NULL;
    if (b_first)
        b = t_load("libmcov_sample_b.so");
    a = t_load("libmcov_sample_a.so");
    if (!b)
        b = t_load("libmcov_sample_b.so");
    t_run_fn run_a = t_sym(a, "sample_a_run");
    t_run_fn run_b = t_sym(b, "sample_b_run");
    for (size_t i = first; i < first + count && i < t_input_count; i++) {
        run_a(t_inputs[i]);
        run_b(t_inputs[i]);
    }
}

pid_t t_fork(void (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork failed");
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    return pid;
}

void t_wait_ok(pid_t pid)
{
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed (status 0x%x)",
          (int)pid, status);
}

t_region_copy t_read_region(const char *name)
{
    char path[4096];
    t_region_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    CHECK(fd >= 0, "open %s", path);
    struct stat st;
    CHECK(fstat(fd, &st) == 0, "fstat");
    uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(base != MAP_FAILED, "mmap %s", path);
    const mcov_region_header *h = (const mcov_region_header *)base;
    CHECK(memcmp(h->magic, MCOV_REGION_MAGIC, 8) == 0, "magic of %s", path);
    t_region_copy c;
    c.cursor = h->alloc_cursor;
    c.capacity = h->capacity_edges;
    c.modules = h->module_count;
    c.edges_dropped = h->edges_dropped;
    c.modules_private = h->modules_private;
    CHECK(h->map_offset + h->capacity_edges <= (uint64_t)st.st_size, "size of %s", path);
    c.map = malloc(c.cursor ? c.cursor : 1);
    memcpy(c.map, base + h->map_offset, c.cursor);
    munmap(base, (size_t)st.st_size);
    close(fd);
    return c;
}

void t_free_region(t_region_copy *c)
{
    free(c->map);
    c->map = NULL;
}

uint64_t t_count(const uint8_t *map, uint64_t n)
{
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; i++)
        k += map[i] != 0;
    return k;
}

void t_check_same_map(const t_region_copy *a, const t_region_copy *b)
{
    CHECK_EQ_U64(a->cursor, b->cursor);
    CHECK_EQ_U64(a->modules, b->modules);
    for (uint64_t i = 0; i < a->cursor; i++)
        CHECK(a->map[i] == b->map[i], "slot %llu: %u vs %u", (unsigned long long)i, a->map[i],
              b->map[i]);
}

static void reference_child(void *name)
{
    if (mcov_attach(name) != 0)
        _exit(3);
    t_run_inputs(0, 0, t_input_count);
}

t_region_copy t_reference_union(void)
{
    const char *name = t_region_name("ref");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok(t_fork(reference_child, (void *)name));
    t_region_copy ref = t_read_region(name);
    CHECK(ref.modules == 2, "reference has %u modules", ref.modules);
    CHECK(t_count(ref.map, ref.cursor) > 50, "reference covers %llu edges",
          (unsigned long long)t_count(ref.map, ref.cursor));
    return ref;
}
