/* Reading and writing whole buffers through descriptors: a short read or write is continued, an
 * interrupted one retried. */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "runtime.h"

bool mcov_read_at(int fd, uint8_t *buf, uint64_t n, uint64_t at)
{
    for (uint64_t done = 0; done < n;) {
        ssize_t got = pread(fd, buf + done, n - done, (off_t)(at + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        done += (uint64_t)got;
    }
    return true;
}

bool mcov_read_all(int fd, uint8_t *buf, uint64_t n)
{
    for (uint64_t done = 0; done < n;) {
        ssize_t got = read(fd, buf + done, n - done > (1u << 30) ? (1u << 30) : (size_t)(n - done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        done += (uint64_t)got;
    }
    return true;
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
