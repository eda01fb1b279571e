/* Reading and writing whole buffers through descriptors: a short read or write is continued, an
 * interrupted one retried. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

/* n bytes into buf: at offset at (pread), or at the stream's position (read) when at < 0. */
static bool read_whole(int fd, uint8_t *buf, uint64_t n, int64_t at)
{
    for (uint64_t done = 0; done < n;) {
        size_t chunk = n - done > (1u << 30) ? (1u << 30) : (size_t)(n - done);
        ssize_t got = at < 0 ? read(fd, buf + done, chunk) : pread(fd, buf + done, chunk, (off_t)(at + (int64_t)done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        done += (uint64_t)got;
    }
    return true;
}

bool mcov_read_at(int fd, uint8_t *buf, uint64_t n, uint64_t at)
{
    return at <= (uint64_t)INT64_MAX && read_whole(fd, buf, n, (int64_t)at);
}

bool mcov_read_all(int fd, uint8_t *buf, uint64_t n)
{
    return read_whole(fd, buf, n, -1);
}

bool mcov_write_all(int fd, const uint8_t *p, uint64_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : (size_t)n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (uint64_t)w;
    }
    return true;
}

bool mcov_fd_is(int fd, dev_t dev, ino_t ino)
{
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

uint64_t mcov_fd_tag(int fd)
{
    /* A hash of the clock and the number, so another open of the file almost surely has another
     * tag; no counter in memory, whose page's first write would be a fault at every start-up.
     * Beyond 1 TiB first; a file system whose files are smaller (ext2, FAT, some network ones)
     * refuses that offset, and a smaller range is tried. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t seed = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    uint64_t mixed = (seed ^ ((uint64_t)(unsigned)fd << 44)) * 0x9e3779b97f4a7c15ull;
    for (unsigned bits = 40; bits >= 20; bits -= 10) {
        uint64_t tag = (1ull << bits) | (mixed >> (64 - bits));
        if (lseek(fd, (off_t)tag, SEEK_SET) == (off_t)tag)
            return tag;
    }
    return MCOV_FD_UNTAGGED;
}

bool mcov_fd_own(int fd, dev_t dev, ino_t ino, uint64_t tag)
{
    /* The file first: lseek on whatever the host put at the number would act on it. */
    return mcov_fd_is(fd, dev, ino) &&
           (tag == MCOV_FD_UNTAGGED || lseek(fd, 0, SEEK_CUR) == (off_t)tag);
}

int mcov_open_regular(const char *path, uint64_t *size)
{
    /* O_NONBLOCK: a FIFO at the path never blocks the open; a regular file ignores it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    if (e) {
        close(fd);
        return -e;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}
