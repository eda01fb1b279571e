/* Review reproducer (lanes): the lanes file is truncated while processes hold it. Its table is
 * mapped (mcov_lanes_open, lanes.c), so the next reader of an attached process (mcov_get_now on
 * the base view, which folds every lane) and any tool holding a mcov_region_file handle
 * (mcov_region_file_sync) die of SIGBUS; so does the owner's next store into its lane.
 * docs/semantics.md lists SIGBUS for a truncated *region* file only.
 * Expected: the reader gets an error (or reads the map unfolded), and lives.
 * Observed: SIGBUS. */
#define _GNU_SOURCE
#include "support.h"

#include "memcov_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void truncate_lanes_file(const char *name)
{
    const char *dir = getenv("MEMCOV_SHM_DIR");
    dir = dir && dir[0] ? dir : "/dev/shm";
    char prefix[512];
    snprintf(prefix, sizeof prefix, MCOV_LANES_FILE_PREFIX "%s-", name);
    DIR *d = opendir(dir);
    CHECK(d, "opendir %s", dir);
    int done = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            int fd = openat(dirfd(d), e->d_name, O_WRONLY | O_TRUNC | O_CLOEXEC);
            done += fd >= 0;
            if (fd >= 0)
                close(fd);
        }
    closedir(d);
    CHECK(done == 1, "%d lanes files truncated", done);
}

/* Run fn in a child; return its wait status. */
static int status_of(void (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    return status;
}

static mcov_region_file *s_file;

static void tool_sync(void *arg)
{
    (void)arg;
    mcov_region_file_sync(s_file);
}

static void attached_get_now(void *arg)
{
    (void)arg;
    mcov_get_now64();
}

int main(void)
{
    setenv("MEMCOV_TEST_SAMPLES", "inline", 1);
    const char *name = t_region_name("trunc");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    t_run_inputs(0, 0, 2); /* attached, base view */
    CHECK(mcov_region_file_open(NULL, name, &s_file, NULL) == 0, "open: %s", mcov_last_error());
    truncate_lanes_file(name);
    int failures = 0;
    int st = status_of(tool_sync, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { /* ASan reports SIGBUS and exits 1 */
        fprintf(stderr, "mcov_region_file_sync on a handle opened before the truncation: "
                        "status 0x%x\n", st);
        failures++;
    }
    st = status_of(attached_get_now, NULL);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "mcov_get_now64 in an attached process: status 0x%x\n", st);
        failures++;
    }
    mcov_region_file_close(s_file);
    mcov_detach();
    t_cleanup();
    return failures ? 1 : 0;
}
