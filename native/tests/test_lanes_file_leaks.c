/* Review reproducer (lanes): ways a lanes file outlives its region (docs/region-format.md: it is
 * "removed with it"):
 * 1. mcov_region_remove of a region whose header is damaged: the token is read from the header
 *    (lanes_token_of, region.c), and a header that does not validate names none, so the region
 *    file goes and .memcov-lanes-NAME-TOKEN stays;
 * 2. the region file removed by anything but memcov (rm, a cleaner): nothing ever removes the
 *    lanes file (no sweep looks for lanes files whose region is gone).
 * Expected: no .memcov-lanes-NAME-* file once the region is gone. */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

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
    t_cleanup();
    return s_failures ? 1 : 0;
}
