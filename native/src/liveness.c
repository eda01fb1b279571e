/* Which processes hold a region, from the kernel: open file description (OFD) locks on reserved
 * bytes of the region file (docs/region-format.md, "Liveness"). A process holding a region keeps
 * one descriptor of it with a read lock on MCOV_LOCK_ATTACHED, its creator one on
 * MCOV_LOCK_CREATOR too; the kernel drops them when the last descriptor of that open file
 * description closes, at exit, exec (O_CLOEXEC) or death. OFD locks never conflict with the
 * registration lock (flock), and a fork child shares its parent's until it opens its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

static struct flock byte_lock(short type, uint64_t byte)
{
    struct flock l;
    memset(&l, 0, sizeof l);
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = (off_t)byte;
    l.l_len = 1;
    return l;
}

/* A sweeper holds the write lock on MCOV_LOCK_ATTACHED for the instant it takes to unlink the
 * file; wait for it as the registration lock is waited for (3 s at most). */
static bool read_lock(int fd, uint64_t byte)
{
    struct mcov_lock_wait wait;
    mcov_lock_wait_start(&wait, 3000000000ull, 16000000);
    for (;;) {
        struct flock l = byte_lock(F_RDLCK, byte);
        if (fcntl(fd, F_OFD_SETLK, &l) == 0)
            return true;
        if (errno != EAGAIN && errno != EACCES && errno != EINTR)
            return false;
        if (!mcov_lock_wait(&wait)) {
            errno = EAGAIN;
            return false;
        }
    }
}

int mcov_liveness_hold(int fd, const char *name, const char *path, bool creator)
{
    if (!read_lock(fd, MCOV_LOCK_ATTACHED) || (creator && !read_lock(fd, MCOV_LOCK_CREATOR)))
        return mcov_fail(MCOV_E_SYSTEM,
                         "cannot lock region '%s' (%s) as in use: %s; check that the file "
                         "system of MEMCOV_SHM_DIR supports fcntl locks",
                         name, path, strerror(errno));
    return MCOV_OK;
}

/* Whether another open file description holds a lock that a write lock on byte would meet. */
static bool held(int fd, uint64_t byte)
{
    struct flock l = byte_lock(F_WRLCK, byte);
    return fcntl(fd, F_OFD_GETLK, &l) == 0 && l.l_type != F_UNLCK;
}

uint32_t mcov_liveness_of(int fd)
{
    uint32_t state = 0;
    if (held(fd, MCOV_LOCK_ATTACHED))
        state |= MCOV_LIVE_ATTACHED;
    if (held(fd, MCOV_LOCK_CREATOR))
        state |= MCOV_LIVE_CREATOR;
    return state;
}

bool mcov_liveness_take_unused(int fd)
{
    struct flock l = byte_lock(F_WRLCK, MCOV_LOCK_ATTACHED);
    return fcntl(fd, F_OFD_SETLK, &l) == 0;
}

void mcov_liveness_drop(int fd, dev_t dev, ino_t ino, uint64_t tag)
{
    /* The host may have closed this number and opened something else there: close only the
     * region's own descriptor. */
    if (mcov_fd_own(fd, dev, ino, tag))
        close(fd);
}
