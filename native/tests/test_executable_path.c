/* The executable's own module (guards in the executable, which the loader names "") is
 * identified by its build-id, and its path is read only when it is needed: the first worker that
 * brings it into a region writes an entry naming the executable, with its size; a worker whose
 * executable is a copy elsewhere (same build-id) joins that entry and reports its path; a
 * process that records privately reads its own path. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EDGES = 5000 };
static uint32_t s_guards[EDGES];

/* libmemcov's definition of a callback: in a sanitizer build, the executable's runtime defines
 * one too, and a direct call would bind to it. */
static void *memcov_symbol(const char *name)
{
    Dl_info info;
    CHECK(dladdr((void *)mcov_get_now64, &info) && info.dli_fname, "dladdr");
    void *lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    CHECK(lib, "dlopen %s: %s", info.dli_fname, dlerror());
    void *fn = dlsym(lib, name);
    CHECK(fn, "dlsym %s", name);
    return fn;
}

/* The guard init a module's constructor makes, then a hit on every third edge. */
static void register_and_hit(void)
{
    void (*init)(uint32_t *, uint32_t *) = (void (*)(uint32_t *, uint32_t *))memcov_symbol(
        "__sanitizer_cov_trace_pc_guard_init");
    void (*hit)(uint32_t *) = (void (*)(uint32_t *))memcov_symbol("__sanitizer_cov_trace_pc_guard");
    init(s_guards, s_guards + EDGES);
    for (uint32_t i = 0; i < EDGES; i += 3)
        hit(&s_guards[i]);
}

/* Whether serialize_mem_coverage's module table names path (the offline map holds each
 * module's path, NUL-terminated). */
static int blob_names(const char *path)
{
    size_t size = 0;
    uint8_t *blob = serialize_mem_coverage(&size);
    CHECK(blob && size > 0, "serialize: %s", mcov_last_error());
    int found = memmem(blob, size, path, strlen(path) + 1) != NULL;
    mcov_free(blob);
    return found;
}

/* A worker: argv[2] the path its module must report, argv[3] one it must not. */
static int worker(char **argv)
{
    register_and_hit();
    if (strcmp(argv[1], "join") == 0) {
        CHECK(mcov_is_attached() == 1, "not attached through MEMCOV_REGION");
        CHECK_EQ_U64(mcov_private_module_count(), 0);
        CHECK_EQ_U64(mcov_get_now64(), (EDGES + 2) / 3);
        /* Serialized while attached, modules are the region's entries; detached, the process's
         * own module records. */
        mcov_detach();
    }
    CHECK(mcov_is_attached() == 0, "attached");
    CHECK_EQ_U64(mcov_private_module_count(), 1);
    CHECK_EQ_U64(mcov_get_now64(), (EDGES + 2) / 3);
    CHECK(blob_names(argv[2]), "the executable's module does not name %s", argv[2]);
    CHECK(!blob_names(argv[3]), "the executable's module names %s", argv[3]);
    return 0;
}

static void run(const char *exe, const char *what, const char *region, const char *must,
                const char *must_not)
{
    char *args[] = {(char *)exe, (char *)what, (char *)must, (char *)must_not, NULL};
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        if (region)
            setenv("MEMCOV_REGION", region, 1);
        else
            unsetenv("MEMCOV_REGION");
        execv(exe, args);
        _exit(127);
    }
    t_wait_ok(pid);
}

/* The one entry of region name: the executable's, by build-id, naming path with size bytes. */
static void check_entry(const char *name, const char *path, uint64_t size)
{
    mcov_module_entry e[2];
    CHECK_EQ_U64(t_read_entries(name, e, 2), 1);
    CHECK_EQ_U64(e[0].id_kind, MCOV_ID_BUILD_ID);
    CHECK_EQ_U64(e[0].edge_count, EDGES);
    CHECK(strcmp(e[0].path, path) == 0, "the entry names %s, not %s", e[0].path, path);
    CHECK_EQ_U64(e[0].file_size, size);
}

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    CHECK(in >= 0 && out >= 0, "copy %s to %s", from, to);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        t_write_all(out, buf, (size_t)n);
    CHECK(n == 0, "read %s", from);
    close(in);
    CHECK(close(out) == 0, "close %s", to);
}

/* The copy's directory, removed at exit, a failed CHECK's included. */
static char s_dir[] = "/tmp/memcov-exe-XXXXXX";
static char s_made[PATH_MAX];

static void remove_copy(void)
{
    if (s_made[0])
        unlink(s_made);
    rmdir(s_dir);
}

int main(int argc, char **argv)
{
    if (argc == 4)
        return worker(argv);
    char self[PATH_MAX];
    CHECK(realpath("/proc/self/exe", self), "realpath of the executable");
    struct stat st;
    CHECK(stat(self, &st) == 0, "stat %s", self);
    CHECK(mkdtemp(s_dir), "mkdtemp");
    atexit(remove_copy);
    char copy[PATH_MAX];
    snprintf(s_made, sizeof s_made, "%s/copy-of-test", s_dir);
    copy_file(self, s_made);
    CHECK(realpath(s_made, copy), "realpath %s", s_made);

    /* Alone: each reads its own path. */
    run(self, "alone", NULL, self, copy);
    run(copy, "alone", NULL, copy, self);

    /* The first joining worker writes the entry, with the path read then. */
    const char *name = t_region_name("exe");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    run(self, "join", name, self, copy);
    check_entry(name, self, (uint64_t)st.st_size);
    /* The copy is the same module: it joins that entry, and takes its path. */
    run(copy, "join", name, self, copy);
    check_entry(name, self, (uint64_t)st.st_size);
    CHECK_EQ_U64(t_region_edges(name), (EDGES + 2) / 3);

    /* A region the copy brings the module into first names the copy. */
    const char *other = t_region_name("exe-copy");
    CHECK(mcov_region_create(other, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    run(copy, "join", other, copy, self);
    check_entry(other, copy, (uint64_t)st.st_size);

    t_cleanup();
    return 0;
}
