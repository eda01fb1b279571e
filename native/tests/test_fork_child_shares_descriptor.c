/* A fork child of a process with callback modules alone on a flag region opens no descriptor of
 * the region at the fork: it holds the region through its parent's, never the creator's (a fork
 * to exec opens nothing it would close at once). Its first no-call module that needs a lane
 * (here counters, in an own view) makes it open its own and take a lane of its own, so what that
 * module counts survives the child's abort. Both for a parent that created the region and for
 * one that attached to it. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FDS 16

/* The file offsets of this process's descriptors of the file at path: the runtime tags each
 * descriptor it opens with an offset of its own, so a descriptor shares its parent's open file
 * description exactly when its offset is one of the parent's. */
static int region_fd_offsets(const char *path, long long *offsets)
{
    int fds[MAX_FDS];
    int n = t_descriptors_of(path, fds, MAX_FDS);
    for (int i = 0; i < n; i++)
        offsets[i] = (long long)lseek(fds[i], 0, SEEK_CUR);
    return n;
}

struct child_args {
    const char *path;
    long long parent[MAX_FDS];
    int parent_count;
};

static void child(void *arg)
{
    const struct child_args *a = arg;
    long long mine[MAX_FDS];
    int n = region_fd_offsets(a->path, mine);
    CHECK(n == 1, "the child holds the region through %d descriptors, not 1", n);
    bool shared = false;
    for (int i = 0; i < a->parent_count; i++)
        shared |= mine[0] == a->parent[i];
    CHECK(shared, "the child opened a descriptor of its own at the fork");
    /* Counters want a lane: the child opens its own descriptor now and takes one. */
    void *lib = t_load("libmcov_sample_counts_inline.so");
    int64_t (*loop)(int64_t) = (int64_t (*)(int64_t))dlsym(lib, "counts_loop");
    CHECK(loop != NULL, "counts_loop");
    mcov_reset();
    loop(3);
    n = region_fd_offsets(a->path, mine);
    CHECK(n == 1, "after the lane, %d descriptors", n);
    for (int i = 0; i < a->parent_count; i++)
        CHECK(mine[0] != a->parent[i], "the child took a lane through its parent's descriptor");
    abort();
}

static void fork_from(bool creator)
{
    const char *name = t_region_name(creator ? "share-creator" : "share-attacher");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    if (!creator) {
        mcov_detach();
        CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    }
    void *lib = t_load("libmcov_sample_counts.so");
    int64_t (*loop)(int64_t) = (int64_t (*)(int64_t))dlsym(lib, "counts_loop");
    CHECK(loop != NULL, "counts_loop");
    loop(2);
    CHECK(mcov_private_module_count() == 0, "the callback module did not join");
    struct child_args a = {0};
    char path[4096];
    t_region_path(name, path, sizeof path);
    a.path = path;
    a.parent_count = region_fd_offsets(path, a.parent);
    CHECK(a.parent_count == (creator ? 2 : 1), "the parent holds the region through %d descriptors",
          a.parent_count);
    pid_t pid = t_fork(child, &a);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
          "the child did not abort");
    CHECK_EQ_U64(t_lanes_owned_by(name, pid), 1);
    mcov_module_entry e[8];
    uint32_t n = t_read_entries(name, e, 8);
    int k = t_find_entry(e, n < 8 ? n : 8, "counts_inline");
    CHECK(k >= 0, "the child's no-call module has no entry");
    /* A reader folds the dead child's lane into the map: what the module counted after the own
     * view opened, with no memcov call after it, is there only if the lane kept it. */
    t_region_copy r = t_read_region(name);
    CHECK(t_count(r.map + e[k].base, e[k].edge_count) > 0,
          "what the child's no-call module counted was lost in its abort");
    t_free_region(&r);
    mcov_detach();
}

int main(void)
{
    setenv("MEMCOV_QUIET", "1", 1);
    fork_from(true);
    fork_from(false);
    t_cleanup();
    return 0;
}
