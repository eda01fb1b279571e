/* Errors: kept per thread for mcov_last_error(), printed once on stderr with "memcov:". */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "runtime.h"

static _Thread_local char s_last_error[1024];
/* Inside a call of memcov_files.h: the caller reports the error itself, so nothing is printed. */
static _Thread_local bool s_quiet_call;

/* Printed messages, by hash, so a problem that recurs (every fork child, every
 * call) is reported once per process. */
#define MCOV_PRINTED_SLOTS 256
static uint64_t s_printed[MCOV_PRINTED_SLOTS];


static void print_once(const char *msg)
{
    if (s_quiet_call)
        return;
    const char *quiet = getenv("MEMCOV_QUIET");
    if (quiet && quiet[0] == '1')
        return;
    /* Lock-free, so a fork child of a multithreaded parent can never hang here. */
    uint64_t h = mcov_fnv1a(msg, strlen(msg), MCOV_FNV_OFFSET) | 1; /* 0 marks a free slot */
    for (int i = 0; i < MCOV_PRINTED_SLOTS; i++) {
        uint64_t seen = __atomic_load_n(&s_printed[i], __ATOMIC_ACQUIRE);
        if (seen == h)
            return;
        if (seen == 0) {
            if (__atomic_compare_exchange_n(&s_printed[i], &seen, h, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
                break;
            if (seen == h)
                return;
        }
    }
    char line[1100];
    int n = snprintf(line, sizeof line, "memcov: %s\n", msg);
    if (n > 0) {
        size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
        /* write(2): no stdio buffer to flush or to share with the host. */
        ssize_t w = write(STDERR_FILENO, line, len);
        (void)w;
    }
}

int mcov_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s_last_error, sizeof s_last_error, fmt, ap);
    va_end(ap);
    print_once(s_last_error);
    return code;
}

void mcov_warn(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_once(msg);
}

void mcov_clear_error(void)
{
    s_last_error[0] = 0;
}

void mcov_begin_quiet_call(void)
{
    s_last_error[0] = 0;
    s_quiet_call = true;
}

int mcov_end_quiet_call(int rc)
{
    s_quiet_call = false;
    return rc;
}

void mcov_save_error(char saved[1024])
{
    memcpy(saved, s_last_error, sizeof s_last_error);
}

void mcov_restore_error(const char saved[1024])
{
    memcpy(s_last_error, saved, sizeof s_last_error);
}

const char *mcov_last_error(void)
{
    return s_last_error;
}
