/* mcov_region_create reports a bad MEMCOV_SHM_DIR by its own code, with a message that names
 * the variable: a directory that does not exist is MCOV_E_NOT_FOUND, and one too long for
 * the temporary file name is MCOV_E_INVALID_ARG (never a name cut short). */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <unistd.h>

static void expect(int want, const char *what)
{
    int rc = mcov_region_create("t-shmdir", 4096);
    CHECK(rc == want, "%s: create = %d, want %d (%s)", what, rc, want, mcov_last_error());
    CHECK(strstr(mcov_last_error(), "MEMCOV_SHM_DIR"), "%s: message does not name "
          "MEMCOV_SHM_DIR: '%s'", what, mcov_last_error());
    CHECK(mcov_is_attached() == 0, "%s: attached", what);
}

int main(void)
{
    char missing[128];
    snprintf(missing, sizeof missing, "/dev/shm/memcov-t-no-such-dir-%d", (int)getpid());
    setenv("MEMCOV_SHM_DIR", missing, 1);
    expect(MCOV_E_NOT_FOUND, "missing directory");

    /* DIR/memcov-t-shmdir (DIR + 16 bytes) fits in 4095 bytes, DIR/.memcov-tmp-XXXXXX
     * (DIR + 19) does not. */
    char longdir[4096];
    memset(longdir, 'd', 4078);
    longdir[0] = '/';
    longdir[4078] = '\0';
    setenv("MEMCOV_SHM_DIR", longdir, 1);
    expect(MCOV_E_INVALID_ARG, "directory too long for the temporary name");
    return 0;
}
