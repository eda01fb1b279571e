#define _GNU_SOURCE
#include "support.h"

#include "memcov_files.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MCOV_TEST_LIBDIR
#error "MCOV_TEST_LIBDIR names the directory of the sample modules"
#endif

static char s_names[256][96];
static int s_name_count;

const char *t_region_name(const char *tag)
{
    CHECK(s_name_count < 256, "too many regions in one test");
    char *name = s_names[s_name_count++];
    snprintf(name, sizeof s_names[0], "t-%s-%d-%d", tag, (int)getpid(), s_name_count);
    return name;
}

/* Remove region NAME's files named KIND-NAME-SUFFIX, SUFFIX of suffix_len characters. */
static int remove_side_files(const char *kind, const char *name, size_t suffix_len)
{
    const char *env = getenv("MEMCOV_SHM_DIR");
    const char *dir = env && env[0] ? env : "/dev/shm";
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s%s-", kind, name);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(prefix);
        if (strncmp(e->d_name, prefix, n) == 0 && strlen(e->d_name + n) == suffix_len)
            removed += unlinkat(dirfd(d), e->d_name, 0) == 0;
    }
    closedir(d);
    return removed;
}

int t_remove_lanes_files(const char *name)
{
    return remove_side_files(MCOV_LANES_FILE_PREFIX, name, 16);
}

void t_cleanup(void)
{
    for (int i = 0; i < s_name_count; i++) {
        char path[4096];
        t_region_path(s_names[i], path, sizeof path);
        unlink(path);
        t_remove_lanes_files(s_names[i]);
        remove_side_files(MCOV_PCS_FILE_PREFIX, s_names[i], 33); /* TOKEN-HASH */
    }
    s_name_count = 0;
}

void t_region_path(const char *name, char *buf, size_t len)
{
    const char *dir = getenv("MEMCOV_SHM_DIR");
    snprintf(buf, len, "%s/memcov-%s", dir && dir[0] ? dir : "/dev/shm", name);
}

const char *t_samples(void)
{
    const char *s = getenv("MEMCOV_TEST_SAMPLES");
    return s && s[0] ? s : "callback";
}

void *t_load(const char *file)
{
    /* MEMCOV_TEST_SAMPLES=inline loads A and B in no-call mode (MODE inline: counters where the
     * plugin was built); =flags the same with inline-bool-flag; =mixed only B, in MODE inline. */
    char name[256];
    const char *samples = t_samples();
    bool a = !strcmp(file, "libmcov_sample_a.so"), b = !strcmp(file, "libmcov_sample_b.so");
    bool flags = !strcmp(samples, "flags");
    if ((a && (flags || !strcmp(samples, "inline"))) || (b && strcmp(samples, "callback")))
        snprintf(name, sizeof name, "%.*s_%s.so", (int)strlen(file) - 3, file,
                 flags ? "flags" : "inline");
    else
        snprintf(name, sizeof name, "%s", file);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", MCOV_TEST_LIBDIR, name);
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
    /* A reader folds every process's lane into the map first (memcov_files.h). */
    mcov_region_file *file;
    CHECK(mcov_region_file_open(NULL, name, &file, NULL) == 0, "open region %s: %s", name,
          mcov_last_error());
    CHECK(mcov_region_file_sync(file) == 0, "sync region %s: %s", name, mcov_last_error());
    mcov_region_file_close(file);
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

uint64_t t_region_edges(const char *name)
{
    t_region_copy r = t_read_region(name);
    uint64_t n = t_count(r.map, r.cursor);
    t_free_region(&r);
    return n;
}

void t_check_same_map(const t_region_copy *a, const t_region_copy *b)
{
    CHECK_EQ_U64(a->cursor, b->cursor);
    CHECK_EQ_U64(a->modules, b->modules);
    for (uint64_t i = 0; i < a->cursor; i++)
        CHECK(a->map[i] == b->map[i], "slot %llu: %u vs %u", (unsigned long long)i, a->map[i],
              b->map[i]);
}

void t_check_region_matches(const char *name, const t_region_copy *ref)
{
    t_region_copy got = t_read_region(name);
    CHECK_EQ_U64(got.modules_private, 0);
    t_check_same_map(ref, &got);
    t_free_region(&got);
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
    /* The samples are the ones MEMCOV_TEST_SAMPLES asks for. */
    mcov_module_entry e[2];
    CHECK_EQ_U64(t_read_entries(name, e, 2), 2);
    bool all_inline = !strcmp(t_samples(), "inline") || !strcmp(t_samples(), "flags");
    bool mixed = !strcmp(t_samples(), "mixed");
    int a = t_find_entry(e, 2, "sample_a"), b = t_find_entry(e, 2, "sample_b");
    CHECK(a >= 0 && b >= 0, "entries %s, %s", e[0].path, e[1].path);
    CHECK_EQ_U64(e[a].mode, all_inline ? MCOV_MODE_INLINE : MCOV_MODE_CALLBACK);
    CHECK_EQ_U64(e[b].mode, all_inline || mixed ? MCOV_MODE_INLINE : MCOV_MODE_CALLBACK);
    CHECK(t_count(ref.map, ref.cursor) > 50, "reference covers %llu edges",
          (unsigned long long)t_count(ref.map, ref.cursor));
    return ref;
}

/* --- Additive helpers for the cross-process tests --- */

/* Region name's file (its path in path), opened read-only, and its header in *h. */
static int open_region_file(const char *name, char *path, size_t len, mcov_region_header *h)
{
    t_region_path(name, path, len);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    CHECK(fd >= 0, "open %s", path);
    CHECK(pread(fd, h, sizeof *h, 0) == (ssize_t)sizeof *h, "header of %s", path);
    CHECK(memcmp(h->magic, MCOV_REGION_MAGIC, 8) == 0, "magic of %s", path);
    return fd;
}

uint32_t t_read_entries(const char *name, mcov_module_entry *out, uint32_t max)
{
    char path[4096];
    mcov_region_header h;
    int fd = open_region_file(name, path, sizeof path, &h);
    uint32_t n = h.module_count;
    CHECK(n <= h.module_capacity, "module_count %u of %s", n, path);
    for (uint32_t i = 0; i < n && i < max; i++)
        CHECK(pread(fd, &out[i], sizeof out[i], (off_t)(h.module_table_offset + 256u * i)) ==
                  (ssize_t)sizeof out[i],
              "entry %u of %s", i, path);
    close(fd);
    return n;
}

int t_find_entry(const mcov_module_entry *e, uint32_t n, const char *part)
{
    for (uint32_t i = 0; i < n; i++)
        if (strstr(e[i].path, part))
            return (int)i;
    return -1;
}

mcov_module_entry t_module_entry(uint8_t seed, uint64_t edges)
{
    mcov_module_entry e;
    memset(&e, 0, sizeof e);
    e.edge_count = edges;
    e.mode = MCOV_MODE_CALLBACK;
    e.id_kind = MCOV_ID_BUILD_ID;
    e.id_len = 20;
    memset(e.id, seed, 20);
    snprintf(e.path, sizeof e.path, "/lib/tool-%u.so", seed);
    return e;
}

uint64_t t_resident_kib_at(const char *path, long offset)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    CHECK(f, "cannot open /proc/self/smaps");
    char line[8192];
    int in_region = 0;
    uint64_t kib = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long start, end, at;
        unsigned long long v;
        if (sscanf(line, "%lx-%lx %*s %lx ", &start, &end, &at) == 3) { /* a mapping's first line */
            size_t n = strcspn(line, "\n");
            line[n] = 0;
            in_region = n >= strlen(path) && strcmp(line + n - strlen(path), path) == 0 &&
                        (offset < 0 || at == (unsigned long)offset);
        } else if (in_region && sscanf(line, "Rss: %llu kB", &v) == 1) {
            kib += v;
        }
    }
    fclose(f);
    return kib;
}

uint64_t t_resident_kib(const char *path)
{
    return t_resident_kib_at(path, -1);
}

void t_pipe(int fds[2])
{
    CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
}

void t_write_byte(int fd, char c)
{
    ssize_t w;
    do
        w = write(fd, &c, 1);
    while (w < 0 && errno == EINTR);
    CHECK(w == 1, "write to pipe: %s", strerror(errno));
}

int t_read_byte(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do
        rc = poll(&p, 1, timeout_ms);
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return -1;
    if (rc < 0)
        return -2;
    unsigned char c;
    ssize_t r;
    do
        r = read(fd, &c, 1);
    while (r < 0 && errno == EINTR);
    return r == 1 ? c : -2;
}

void t_expect_byte(int fd, char expected, pid_t child, const char *what)
{
    int b = t_read_byte(fd, 20000);
    if (b != (unsigned char)expected) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    CHECK(b == (unsigned char)expected, "%s (got %d)", what, b);
}

void t_wait_ok_within(pid_t pid, int timeout_ms)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd >= 0) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int rc;
        do
            rc = poll(&p, 1, timeout_ms);
        while (rc < 0 && errno == EINTR);
        close(pidfd);
        if (rc == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            CHECK(0, "child %d did not exit within %d ms (killed)", (int)pid, timeout_ms);
        }
    }
    t_wait_ok(pid);
}

void t_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        CHECK(w > 0, "write: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

void t_read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        CHECK(r > 0, "read: %s", r == 0 ? "end of file" : strerror(errno));
        p += r;
        n -= (size_t)r;
    }
}

char *t_read_to_end(int fd)
{
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap + 1);
    CHECK(text, "malloc");
    for (;;) {
        if (len == cap) {
            cap *= 2;
            text = realloc(text, cap + 1);
            CHECK(text, "realloc");
        }
        ssize_t n = read(fd, text + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    text[len] = '\0';
    return text;
}

int t_open_lanes(const char *name, mcov_lanes_header *header)
{
    char path[4096];
    mcov_region_header h;
    close(open_region_file(name, path, sizeof path, &h));
    char lanes[8400];
    snprintf(lanes, sizeof lanes, "%s", path);
    *strrchr(lanes, '/') = 0;
    size_t dir_len = strlen(lanes);
    snprintf(lanes + dir_len, sizeof lanes - dir_len, "/" MCOV_LANES_FILE_PREFIX "%s-%016" PRIx64,
             name, h.lanes_token);
    int fd = open(lanes, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0, "open %s", lanes);
    mcov_lanes_header lh;
    CHECK(pread(fd, &lh, sizeof lh, 0) == (ssize_t)sizeof lh &&
              memcmp(lh.magic, MCOV_LANES_MAGIC, 8) == 0 && lh.token == h.lanes_token,
          "the lanes header of %s", lanes);
    if (header)
        *header = lh;
    return fd;
}

void t_check_lanes_hold_no_page(int fd, const mcov_lanes_header *lh)
{
    struct stat st;
    CHECK(fstat(fd, &st) == 0, "fstat lanes");
    CHECK((uint64_t)st.st_blocks * 512u <= lh->lanes_offset,
          "the lanes file holds %llu bytes once its lanes were freed, its table %llu",
          (unsigned long long)st.st_blocks * 512u, (unsigned long long)lh->lanes_offset);
}

mcov_lane_entry t_lane_entry(int fd, uint32_t k)
{
    mcov_lane_entry e;
    CHECK(pread(fd, &e, sizeof e, (off_t)(sizeof(mcov_lanes_header) + k * sizeof e)) ==
              (ssize_t)sizeof e,
          "read lane %u", k);
    return e;
}

int t_lanes_owned_by(const char *name, pid_t pid)
{
    int lanes = t_open_lanes(name, NULL);
    int owned = 0;
    for (uint32_t k = 0; k < MCOV_LANE_COUNT; k++) {
        mcov_lane_entry e = t_lane_entry(lanes, k);
        owned += e.state == MCOV_LANE_OWNED && e.owner_pid == (uint64_t)pid;
    }
    close(lanes);
    return owned;
}

int t_descriptors_of(const char *path, int *fds, int max)
{
    struct stat want;
    CHECK(stat(path, &want) == 0, "stat %s", path);
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL, "opendir /proc/self/fd");
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < max;) {
        struct stat st;
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd != dirfd(d) && fstat(fd, &st) == 0 &&
            st.st_dev == want.st_dev && st.st_ino == want.st_ino)
            fds[n++] = fd;
    }
    closedir(d);
    return n;
}

int t_count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    CHECK(d, "opendir %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n += prefix == NULL || strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

void t_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char p[4096];
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}
