/* memcov-harness: the worker of `memcov run --harness HARNESS.so`. It loads a harness in the
 * libFuzzer convention once (LLVMFuzzerTestOneInput, and LLVMFuzzerInitialize when there is one)
 * and runs every input the runner sends through it, over the pipes of server_protocol.h. An input
 * that crashes or hangs the harness takes this process with it; the runner counts the input and
 * starts another worker. It links no part of Memcov: the harness brings libmemcov.so, and its
 * edges reach the region named by $MEMCOV_REGION. (It shares fileio.c's loops with the runtime.) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memcov_spawn.h"
#include "runtime.h"
#include "server_protocol.h"

/* A larger input is refused, as the runner's other modes would hand the target a path it may
 * not fit in memory. */
#define MAX_INPUT_BYTES (1ull << 30)

typedef int (*test_one_input_fn)(const uint8_t *data, size_t size);
typedef int (*initialize_fn)(int *argc, char ***argv);
typedef void (*flush_fn)(void);

static int fail(const char *harness, const char *why)
{
    fprintf(stderr, "memcov: cannot load the harness %s: %s\n", harness, why);
    return 2;
}

/* The input in a buffer of exactly its size, so a sanitizer sees a read past its end; errno on failure. */
static int load_input(const char *path, uint8_t **data, size_t *size)
{
    uint64_t file_size = 0;
    int fd = mcov_open_regular(path, &file_size);
    if (fd < 0)
        return -fd;
    int err = file_size > MAX_INPUT_BYTES ? EFBIG : 0;
    size_t n = err ? 0 : (size_t)file_size;
    uint8_t *buf = err ? NULL : malloc(n ? n : 1);
    if (!err && !buf)
        err = ENOMEM;
    size_t got = 0;
    while (!err && got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            err = errno;
        if (k <= 0)
            break; /* shorter than it was: what is there */
        got += (size_t)k;
    }
    close(fd);
    if (err) {
        free(buf);
        return err;
    }
    *data = buf;
    *size = got;
    return 0;
}

/* Set once this worker started itself again with a sanitizer runtime preloaded. */
#define PRELOADED_ENV "MEMCOV_HARNESS_PRELOADED"

/* A harness built with -shared-libsan needs its sanitizer runtime (libclang_rt.*.so) loaded
 * first, which only a fresh start can do: find the runtime where clang installs it and exec
 * this worker again with it in LD_PRELOAD, the runner's pipes kept. Returns if it cannot. */
static void preload_sanitizer_runtime(const char *why, char **argv)
{
    const char *name = why ? strstr(why, "libclang_rt.") : NULL;
    if (!name || !strstr(why, "cannot open shared object file") || getenv(PRELOADED_ENV))
        return;
    char runtime[128];
    size_t n = strcspn(name, ": ");
    if (n == 0 || n >= sizeof runtime || memchr(name, '/', n))
        return;
    memcpy(runtime, name, n);
    runtime[n] = '\0';
    static const char *const dirs[] = {"/usr/lib/llvm-*/lib/clang/*/lib/linux", "/usr/lib/clang/*/lib/linux",
                                       "/usr/lib64/clang/*/lib/linux", "/usr/local/lib/clang/*/lib/linux"};
    char found[PATH_MAX] = "";
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char pattern[PATH_MAX];
        snprintf(pattern, sizeof pattern, "%s/%s", dirs[i], runtime);
        glob_t g;
        if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0) /* sorted: the newest clang last */
            snprintf(found, sizeof found, "%s", g.gl_pathv[g.gl_pathc - 1]);
        globfree(&g);
        if (found[0])
            break;
    }
    if (!found[0])
        return;
    const char *old = getenv("LD_PRELOAD");
    char preload[2 * PATH_MAX];
    snprintf(preload, sizeof preload, "%s%s%s", found, old && *old ? ":" : "", old ? old : "");
    setenv("LD_PRELOAD", preload, 1);
    setenv(PRELOADED_ENV, "1", 1);
    execv("/proc/self/exe", argv);
}

int main(int argc, char **argv)
{
    int requests = -1, replies = -1;
    if (argc != 2 || !mcov_server_fds(getenv(MCOV_SERVER_FDS_ENV), &requests, &replies)) {
        fputs("usage: memcov-harness HARNESS.so   (started by 'memcov run --harness', which "
              "gives it its pipes)\n", stderr);
        return 2;
    }
    /* $MEMCOV_HARNESS_FLUSH: the runner reads the region after each input, so a no-call module's
     * hits must be out of this process's lane by then (mcov_flush of the harness's libmemcov). */
    bool flush_each = getenv("MEMCOV_HARNESS_FLUSH") != NULL;
    const char *harness = argv[1];
    void *lib = dlopen(harness, RTLD_NOW | RTLD_LOCAL);
    char why[1024] = "";
    if (!lib) {
        const char *error = dlerror();
        snprintf(why, sizeof why, "%s", error ? error : "dlopen failed");
        preload_sanitizer_runtime(why, argv); /* returns only if it cannot */
    }
    /* The harness's own children are no servers. */
    unsetenv(MCOV_SERVER_FDS_ENV);
    unsetenv(MCOV_SERVER_EXE_ENV);
    unsetenv(MCOV_SERVER_INPUT_ENV);
    unsetenv("MEMCOV_HARNESS_FLUSH");
    unsetenv(PRELOADED_ENV);
    fcntl(requests, F_SETFD, FD_CLOEXEC);
    fcntl(replies, F_SETFD, FD_CLOEXEC);
    if (!lib) {
        if (strstr(why, "undefined symbol: __asan") || strstr(why, "undefined symbol: __ubsan") ||
            strstr(why, "undefined symbol: __sanitizer") || strstr(why, "undefined symbol: __msan") ||
            strstr(why, "undefined symbol: __tsan"))
            return fail(harness, "it was built with a sanitizer whose runtime is linked into "
                                 "executables only; build it with -shared-libsan too (the worker "
                                 "then loads that runtime first)");
        if (strstr(why, "cannot dynamically load position-independent executable"))
            return fail(harness, "it is an executable; build the harness as a shared library "
                                 "(-shared -fPIC, without -fsanitize=fuzzer's main)");
        return fail(harness, why);
    }
    test_one_input_fn test_one_input =
        (test_one_input_fn)(uintptr_t)dlsym(lib, "LLVMFuzzerTestOneInput");
    if (!test_one_input)
        return fail(harness, "it does not export LLVMFuzzerTestOneInput");
    initialize_fn initialize = (initialize_fn)(uintptr_t)dlsym(lib, "LLVMFuzzerInitialize");
    flush_fn flush = flush_each ? (flush_fn)(uintptr_t)dlsym(lib, "mcov_flush") : NULL;
    if (initialize) {
        char *init_argv[] = {(char *)harness, NULL};
        char **init_args = init_argv;
        int init_argc = 1;
        initialize(&init_argc, &init_args);
    }

    struct mcov_server_hello hello = {MCOV_SERVER_MAGIC, MCOV_SERVER_VERSION, (int32_t)getpid(), 0};
    if (!mcov_write_all(replies, (const uint8_t *)&hello, sizeof hello))
        return 0;
    char path[MCOV_SERVER_MAX_PATH + 1];
    struct mcov_server_request rq;
    /* The runner closing its end is the only way out. */
    while (mcov_read_all(requests, (uint8_t *)&rq, sizeof rq)) {
        if (rq.path_len > MCOV_SERVER_MAX_PATH || !mcov_read_all(requests, (uint8_t *)path, rq.path_len))
            return 2;
        path[rq.path_len] = '\0';
        struct mcov_server_reply reply = {MCOV_RUN_RETURNED, 0, (int32_t)getpid(), 0};
        uint8_t *data = NULL;
        size_t size = 0;
        int err = rq.path_len ? load_input(path, &data, &size) : 0;
        if (err) {
            reply.kind = MCOV_RUN_UNREADABLE;
            reply.status = err;
        } else {
            static const uint8_t empty[1];
            reply.status = test_one_input(data ? data : empty, size);
            free(data);
            if (flush)
                flush();
        }
        if (!mcov_write_all(replies, (const uint8_t *)&reply, sizeof reply))
            return 0;
    }
    return 0;
}
