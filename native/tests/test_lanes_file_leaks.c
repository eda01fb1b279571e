/* A lanes file never outlives its region for long (docs/region-format.md, "Lanes"):
 * 1. mcov_region_remove of a region whose header is damaged (it names no token) removes it;
 * 2. so does mcov_region_remove after the region file was removed by other means (rm);
 * 3. mcov_region_file_sweep_lanes removes the lanes files whose region is gone or names another
 *    once they are MCOV_LANES_SWEEP_AGE_S old, and leaves a younger one (a creator between its
 *    lanes file and its name) and the one a region names. */
#define _GNU_SOURCE
#include "support.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memcov_files.h"

static int s_failures;

static int lanes_files(const char *name)
{
    const char *dir = getenv("MEMCOV_SHM_DIR");
    char prefix[512];
    snprintf(prefix, sizeof prefix, MCOV_LANES_FILE_PREFIX "%s-", name);
    return t_count_entries(dir && dir[0] ? dir : "/dev/shm", prefix);
}

int main(void)
{
    const char *name = t_region_name("leak-corrupt");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    char path[4096];
    t_region_path(name, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0 && pwrite(fd, "X", 1, 0) == 1, "damage the magic");
    close(fd);
    CHECK(mcov_region_remove(name) == 0, "remove: %s", mcov_last_error());
    if (lanes_files(name) != 0) {
        fprintf(stderr, "1. mcov_region_remove of a damaged region left its lanes file\n");
        s_failures++;
    }

    name = t_region_name("leak-rm");
    CHECK(mcov_region_create(name, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_region_path(name, path, sizeof path);
    CHECK(unlink(path) == 0, "rm");
    int rc = mcov_region_remove(name);
    fprintf(stderr, "   mcov_region_remove after rm: %d '%s'\n", rc, mcov_last_error());
    if (lanes_files(name) != 0) {
        fprintf(stderr, "2. a region removed by rm leaves its lanes file for good: neither "
                        "mcov_region_remove nor anything else removes it\n");
        s_failures++;
    }

    /* 3. Two orphans (one aged past the limit), and a live region's own lanes file, aged too. */
    const char *live = t_region_name("leak-live");
    CHECK(mcov_region_create(live, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    const char *old = t_region_name("leak-old"), *young = t_region_name("leak-young");
    CHECK(mcov_region_create(old, 1 << 16) == 0 && mcov_region_create(young, 1 << 16) == 0,
          "create: %s", mcov_last_error());
    mcov_detach();
    const char *env = getenv("MEMCOV_SHM_DIR");
    const char *dir = env && env[0] ? env : "/dev/shm";
    struct timespec aged[2] = {{time(NULL) - MCOV_LANES_SWEEP_AGE_S - 5, 0},
                               {time(NULL) - MCOV_LANES_SWEEP_AGE_S - 5, 0}};
    const char *names[] = {old, young, live};
    for (int i = 0; i < 3; i++) {
        char prefix[512];
        snprintf(prefix, sizeof prefix, MCOV_LANES_FILE_PREFIX "%s-", names[i]);
        DIR *d = opendir(dir);
        CHECK(d, "opendir %s", dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && names[i] != young)
                CHECK(utimensat(dirfd(d), e->d_name, aged, 0) == 0, "age %s", e->d_name);
        closedir(d);
        if (names[i] != live) {
            t_region_path(names[i], path, sizeof path);
            CHECK(unlink(path) == 0, "rm %s", path);
        }
    }
    int64_t swept = mcov_region_file_sweep_lanes(NULL);
    if (swept != 1 || lanes_files(old) != 0 || lanes_files(young) != 1 || lanes_files(live) != 1) {
        fprintf(stderr, "3. the sweep removed %lld files; left %d of the old orphan's, %d of the young "
                        "one's, %d of the live region's (want 1; 0, 1, 1)\n",
                (long long)swept, lanes_files(old), lanes_files(young), lanes_files(live));
        s_failures++;
    }
    t_cleanup();
    CHECK(lanes_files(young) == 0 && lanes_files(live) == 0, "cleanup left lanes files");
    return s_failures ? 1 : 0;
}
