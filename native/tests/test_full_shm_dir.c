/* A region that does not fit in the shm directory is refused at create with
 * MCOV_E_NO_SPACE (no file, no temp file left), and a region that was created is fully
 * reserved: filling the directory afterwards never turns a write into its map into SIGBUS.
 *
 * Needs a small tmpfs of its own: as root, a private mount namespace (unshare(CLONE_NEWNS));
 * otherwise the test re-execs itself under `unshare -rm`. Exit 77 if neither works. */
#define _GNU_SOURCE
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define INNER_FLAG "--in-namespace"
#define TMPFS_BYTES (1024 * 1024)

static char s_mnt[] = "/tmp/memcov-t-fullshm-XXXXXX";

static uint64_t free_bytes(void)
{
    struct statvfs v;
    CHECK(statvfs(s_mnt, &v) == 0, "statvfs: %s", strerror(errno));
    return (uint64_t)v.f_bavail * v.f_frsize;
}

static void check_no_space(const char *name, uint64_t capacity)
{
    int before = t_count_entries(s_mnt, NULL);
    int rc = mcov_region_create(name, capacity);
    CHECK(rc == MCOV_E_NO_SPACE, "create(%s, %llu) = %d (%s)", name,
          (unsigned long long)capacity, rc, mcov_last_error());
    const char *msg = mcov_last_error();
    CHECK(msg[0], "empty mcov_last_error()");
    CHECK(strstr(msg, name), "message does not name the region: '%s'", msg);
    CHECK(strstr(msg, "MEMCOV_SHM_DIR") && strstr(msg, "capacity"),
          "message gives no remedy: '%s'", msg);
    CHECK(t_count_entries(s_mnt, ".memcov-tmp") == 0, "a temp file was left behind");
    CHECK(t_count_entries(s_mnt, NULL) == before, "%d files, %d before", t_count_entries(s_mnt, NULL), before);
    char path[4096];
    t_region_path(name, path, sizeof path);
    struct stat st;
    CHECK(lstat(path, &st) != 0, "%s exists after NO_SPACE", path);
    rc = mcov_attach(name);
    CHECK(rc == MCOV_E_NOT_FOUND, "attach after NO_SPACE = %d", rc);
}

static void run(void)
{
    setenv("MEMCOV_SHM_DIR", s_mnt, 1);
    CHECK(t_count_entries(s_mnt, NULL) == 0, "the tmpfs is not empty");
    uint64_t space = free_bytes();
    CHECK(space > 0 && space <= 4 * TMPFS_BYTES, "free space %llu", (unsigned long long)space);

    /* Far too big, then just too big for the free space. */
    check_no_space(t_region_name("huge"), 1ull << 24);
    uint64_t just_over = space - MCOV_REGION_MAP_OFFSET + 4096;
    check_no_space(t_region_name("over"), just_over);
    CHECK(mcov_is_attached() == 0, "attached after NO_SPACE");

    /* One that fits, with its pages reserved, then the rest of the space filled. */
    const char *name = t_region_name("fits");
    CHECK(mcov_region_create(name, 4 * 4096) == MCOV_OK, "create: %s", mcov_last_error());
    mcov_detach();
    check_no_space(t_region_name("rest"), free_bytes());

    char filler[4096];
    snprintf(filler, sizeof filler, "%s/filler", s_mnt);
    int fd = open(filler, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CHECK(fd >= 0, "create filler: %s", strerror(errno));
    static char block[4096];
    memset(block, 0x5a, sizeof block);
    while (write(fd, block, sizeof block) > 0) {
    }
    close(fd);
    CHECK(free_bytes() < 4096, "tmpfs not full: %llu bytes free",
          (unsigned long long)free_bytes());
    check_no_space(t_region_name("full"), 4096);

    /* Every page of the created region's map is writable: a SIGBUS would kill the test. */
    char path[4096];
    t_region_path(name, path, sizeof path);
    fd = open(path, O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0, "open %s", path);
    struct stat st;
    CHECK(fstat(fd, &st) == 0, "fstat");
    CHECK_EQ_U64(st.st_size, MCOV_REGION_MAP_OFFSET + 4 * 4096);
    uint8_t *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap");
    memset(p + MCOV_REGION_MAP_OFFSET, 1, 4 * 4096);
    munmap(p, (size_t)st.st_size);
    close(fd);

    /* And the region works with the directory full: attach, record, reset. */
    CHECK(mcov_attach(name) == MCOV_OK, "attach: %s", mcov_last_error());
    CHECK(mcov_region_reset(name) == MCOV_OK, "reset: %s", mcov_last_error());
    t_run_inputs(0, 0, t_input_count);
    CHECK(mcov_get_now64() > 0, "nothing recorded in the full directory");
    t_region_copy c = t_read_region(name);
    CHECK(c.modules >= 1, "no module in the region");
    CHECK(t_count(c.map, c.cursor) > 0, "no hit in the region");
    t_free_region(&c);
    mcov_detach();
    unlink(filler);
    t_cleanup();
    CHECK(t_count_entries(s_mnt, NULL) == 0, "files left in the tmpfs");
}

/* In a private mount namespace: mount the tmpfs, run, unmount. */
static int in_namespace(void)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        fprintf(stderr, "cannot make / private: %s\n", strerror(errno));
        return -1;
    }
    char opts[64];
    snprintf(opts, sizeof opts, "size=%d,mode=0700", TMPFS_BYTES);
    if (mount("tmpfs", s_mnt, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
        fprintf(stderr, "cannot mount a tmpfs on %s: %s\n", s_mnt, strerror(errno));
        return -1;
    }
    run();
    umount2(s_mnt, MNT_DETACH);
    return 0;
}

static void remove_mount_point(void)
{
    umount2(s_mnt, MNT_DETACH);
    rmdir(s_mnt);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], INNER_FLAG) == 0) {
        /* Re-executed under unshare -rm: the mount point is argv[2]. */
        snprintf(s_mnt, sizeof s_mnt, "%s", argv[2]);
        return in_namespace() == 0 ? 0 : T_SKIP;
    }
    CHECK(mkdtemp(s_mnt), "mkdtemp: %s", strerror(errno));
    atexit(remove_mount_point);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
    self[n] = '\0';
    int rc = -1;
    if (unshare(CLONE_NEWNS) == 0) {
        rc = in_namespace();
    } else {
        fprintf(stderr, "unshare(CLONE_NEWNS): %s; trying unshare -rm\n", strerror(errno));
    }
    if (rc != 0) {
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
            execlp("unshare", "unshare", "-rm", self, INNER_FLAG, s_mnt,
                   (char *)NULL);
            fprintf(stderr, "exec unshare: %s\n", strerror(errno));
            _exit(T_SKIP);
        }
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
        if (WIFEXITED(status))
            rc = WEXITSTATUS(status) == 0 ? 0 : WEXITSTATUS(status);
        else
            rc = 1;
        if (rc == T_SKIP)
            fprintf(stderr, "no way to mount a small tmpfs: skipped\n");
    }
    return rc;
}
