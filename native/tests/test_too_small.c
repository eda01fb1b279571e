/* A region with room for one module's range: the first module gets it, the second records
 * privately. The header counts the dropped module (edges_dropped, modules_private), the
 * hitmap is the region's slots followed by the private module's edges, nothing is written
 * past the file, and one 'memcov:' line on stderr names the region, its capacity and the
 * capacity needed. */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A module's entry in a region file, found by a part of its path. */
static mcov_module_entry find_entry(const char *name, const char *path_part)
{
    char path[4096];
    t_region_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    CHECK(fd >= 0, "open %s", path);
    mcov_region_header h;
    CHECK(pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h, "read header");
    mcov_module_entry found;
    memset(&found, 0, sizeof found);
    for (uint32_t i = 0; i < h.module_count; i++) {
        mcov_module_entry e;
        CHECK(pread(fd, &e, sizeof e, (off_t)(h.module_table_offset + i * sizeof e)) ==
                  (ssize_t)sizeof e,
              "read entry %u", i);
        e.path[sizeof e.path - 1] = '\0';
        if (strstr(e.path, path_part)) {
            CHECK(found.edge_count == 0, "two entries for %s", path_part);
            found = e;
        }
    }
    close(fd);
    CHECK(found.edge_count > 0, "no entry for %s in %s", path_part, name);
    return found;
}

struct scenario {
    const char *name;
    mcov_module_entry ref_a, ref_b; /* in the reference region */
    t_region_copy *ref;
};

static void child(void *arg)
{
    const struct scenario *s = arg;
    unsetenv("MEMCOV_QUIET");
    int rc = mcov_region_create(s->name, 4096);
    CHECK(rc == MCOV_OK, "create: %s", mcov_last_error());
    char path[4096];
    t_region_path(s->name, path, sizeof path);
    struct stat st;
    CHECK(stat(path, &st) == 0, "stat");
    const uint64_t size = MCOV_REGION_MAP_OFFSET + 4096;
    CHECK_EQ_U64(st.st_size, size);

    /* A loads first and takes the only range; B does not fit. */
    t_run_inputs(0, 0, t_input_count);
    const uint64_t a_edges = s->ref_a.edge_count, b_edges = s->ref_b.edge_count;

    CHECK(mcov_is_attached() == 1, "not attached");
    CHECK_EQ_U64(mcov_module_count(), 2);
    CHECK_EQ_U64(mcov_private_module_count(), 1);

    t_region_copy r = t_read_region(s->name);
    CHECK_EQ_U64(r.capacity, 4096);
    CHECK_EQ_U64(r.cursor, 4096);
    CHECK_EQ_U64(r.modules, 1);
    CHECK_EQ_U64(r.edges_dropped, b_edges);
    CHECK_EQ_U64(r.modules_private, 1);
    mcov_module_entry e = find_entry(s->name, "libmcov_sample_a");
    CHECK_EQ_U64(e.base, 0);
    CHECK_EQ_U64(e.edge_count, a_edges);

    /* The hitmap: the region's 4096 slots, then B's edges. */
    uint32_t total = mcov_get_total();
    CHECK_EQ_U64(total, 4096 + b_edges);
    CHECK_EQ_U64(mcov_get_total64(), total);
    char *buf = malloc(total + 64);
    CHECK(buf, "malloc");
    memset(buf, 0x7e, total + 64);
    mcov_copy_hitmap(buf);
    for (int i = 0; i < 64; i++)
        CHECK((uint8_t)buf[total + i] == 0x7e, "copy_hitmap wrote past get_total()");
    const uint8_t *hm = (const uint8_t *)buf;
    CHECK(memcmp(hm, r.map, 4096) == 0, "hitmap [0, 4096) differs from the region's map");
    CHECK_EQ_U64(t_count(r.map + a_edges, 4096 - a_edges), 0);
    uint64_t in_region = t_count(r.map, 4096);
    uint64_t private_hits = t_count(hm + 4096, b_edges);
    CHECK(in_region > 0, "A recorded nothing into the region");
    CHECK(private_hits > 0, "B's private hits are not in the hitmap after the region's slots");
    CHECK_EQ_U64(mcov_get_now64(), in_region + private_hits);
    CHECK_EQ_U64(mcov_get_now(), in_region + private_hits);

    /* Exactly what one process attached to a big region records for each module. */
    CHECK(memcmp(r.map, s->ref->map + s->ref_a.base, a_edges) == 0,
          "A's hits differ from the reference");
    CHECK(memcmp(hm + 4096, s->ref->map + s->ref_b.base, b_edges) == 0,
          "B's private hits differ from the reference");

    /* Nothing was written past the file. */
    CHECK(stat(path, &st) == 0, "stat");
    CHECK_EQ_U64(st.st_size, size);
    free(buf);
    t_free_region(&r);
    mcov_detach();
}

static void reference_child(void *name)
{
    if (mcov_attach(name) != MCOV_OK)
        _exit(3);
    t_run_inputs(0, 0, t_input_count);
}

int main(void)
{
    /* The reference: one process attached to a region with room for both modules. */
    const char *ref_name = t_region_name("ref");
    CHECK(mcov_region_create(ref_name, 1 << 16) == MCOV_OK, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok(t_fork(reference_child, (void *)ref_name));
    t_region_copy ref = t_read_region(ref_name);
    CHECK_EQ_U64(ref.modules, 2);
    struct scenario s;
    s.ref = &ref;
    s.ref_a = find_entry(ref_name, "libmcov_sample_a");
    s.ref_b = find_entry(ref_name, "libmcov_sample_b");
    CHECK(s.ref_a.edge_count <= 4096 && s.ref_b.edge_count <= 4096,
          "the samples need one range each (A %llu, B %llu edges)",
          (unsigned long long)s.ref_a.edge_count, (unsigned long long)s.ref_b.edge_count);
    s.name = t_region_name("small");

    /* The scenario runs in a child whose stderr comes back through a pipe. */
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        child(&s);
        _exit(0);
    }
    close(fds[1]);
    char *err = t_read_to_end(fds[0]);
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child stderr:\n%s", err);
        CHECK(0, "child failed (status 0x%x)", status);
    }

    /* One 'memcov:' line: the region, its capacity, what B needs. */
    int lines = 0;
    const char *line = NULL;
    for (const char *p = err; p && *p;) {
        if (strncmp(p, "memcov:", 7) == 0) {
            lines++;
            line = p;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    CHECK(lines == 1, "%d 'memcov:' lines on stderr:\n%s", lines, err);
    char want[256];
    const char *eol = strchr(line, '\n');
    size_t line_len = eol ? (size_t)(eol - line) : strlen(line);
    char *l = strndup(line, line_len);
    CHECK(l, "strndup");
    CHECK(strstr(l, s.name), "the line does not name region %s: %s", s.name, l);
    snprintf(want, sizeof want, "capacity %u edges", 4096u);
    CHECK(strstr(l, want), "the line does not give the capacity (%s): %s", want, l);
    snprintf(want, sizeof want, "at least %u edges", 8192u);
    CHECK(strstr(l, want), "the line does not give the capacity needed (%s): %s", want, l);
    CHECK(strstr(l, "libmcov_sample_b"), "the line does not name module B: %s", l);
    free(l);
    free(err);

    /* The region the child left: unchanged size, same counts. */
    t_region_copy r = t_read_region(s.name);
    CHECK_EQ_U64(r.cursor, 4096);
    CHECK_EQ_U64(r.modules, 1);
    CHECK_EQ_U64(r.edges_dropped, s.ref_b.edge_count);
    CHECK_EQ_U64(r.modules_private, 1);
    t_free_region(&r);
    t_free_region(&ref);
    t_cleanup();
    return 0;
}
