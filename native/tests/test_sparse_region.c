/* A region file whose map pages are holes (a sparse copy, a restore) on a full tmpfs: opening it
 * is refused with a message, never mapped, so no process dies of SIGBUS touching it — neither an
 * attaching process, nor a target that joins through MEMCOV_REGION, nor a tool. Runs on a small
 * tmpfs of its own, in a mount namespace of its own, so it fills nothing else. */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memcov_files.h"

static char s_dir[] = "/tmp/memcov-sparse-XXXXXX";

static int private_tmpfs(void)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWNS) != 0) {
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
            return -1;
        char map[64];
        int fd = open("/proc/self/setgroups", O_WRONLY);
        if (fd >= 0) {
            (void)!write(fd, "deny", 4);
            close(fd);
        }
        snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
        fd = open("/proc/self/uid_map", O_WRONLY);
        if (fd < 0 || write(fd, map, strlen(map)) < 0)
            return -1;
        close(fd);
        snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
        fd = open("/proc/self/gid_map", O_WRONLY);
        if (fd < 0 || write(fd, map, strlen(map)) < 0)
            return -1;
        close(fd);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    return mount("tmpfs", s_dir, "tmpfs", 0, "size=1m");
}

/* A child joins through MEMCOV_REGION, as an exec'd target does, and records privately. */
static void join_by_environment(void *name)
{
    setenv("MEMCOV_REGION", name, 1);
    t_run_inputs(0, 0, 4);
    CHECK(!mcov_is_attached() && mcov_private_module_count() == 2,
          "the child attached to a region with holes (attached %d, %u private)", mcov_is_attached(),
          mcov_private_module_count());
}

int main(void)
{
    CHECK(mkdtemp(s_dir), "mkdtemp: %s", strerror(errno));
    if (private_tmpfs() != 0) {
        int e = errno;
        rmdir(s_dir);
        if (geteuid() != 0 && (e == EPERM || e == EINVAL)) {
            fprintf(stderr, "skipped: no mount namespace for a user without privileges (%s)\n",
                    strerror(e));
            return T_SKIP;
        }
        CHECK(0, "a private tmpfs: %s", strerror(e));
    }
    setenv("MEMCOV_SHM_DIR", s_dir, 1);

    /* The header of a real region, then the same file sparse: only its first page exists. */
    mcov_region_header h;
    CHECK(mcov_region_file_create(NULL, "model", 4096, NULL, NULL) == 0, "create: %s",
          mcov_last_error());
    char path[4096];
    snprintf(path, sizeof path, "%s/memcov-model", s_dir);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h, "read the header");
    close(fd);
    unlink(path);
    snprintf(path, sizeof path, "%s/memcov-sparse", s_dir);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && pwrite(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
              ftruncate(fd, (off_t)(h.map_offset + h.capacity_edges)) == 0,
          "write the sparse file: %s", strerror(errno));
    close(fd);

    /* The tmpfs full: a page the region's holes needed could not be allocated now. */
    snprintf(path, sizeof path, "%s/filler", s_dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    char page[4096] = {1};
    while (write(fd, page, sizeof page) == (ssize_t)sizeof page) {
    }
    CHECK(errno == ENOSPC, "the filler stopped on %s, not a full tmpfs", strerror(errno));
    close(fd);

    CHECK(mcov_attach("sparse") == MCOV_E_CORRUPT && strstr(mcov_last_error(), "holes"),
          "attach to a sparse region: %s", mcov_last_error());
    mcov_region_file *f = NULL;
    CHECK(mcov_region_file_open(NULL, "sparse", &f, NULL) == MCOV_E_CORRUPT && !f,
          "a tool opened a sparse region");
    t_wait_ok_within(t_fork(join_by_environment, (void *)"sparse"), 20000);
    umount(s_dir);
    rmdir(s_dir);
    return 0;
}
