/* memcov_spawn.h's servers, the runner's end: start one with its two pipes, send it one input at a
 * time, and tell a returned input from a process that ended, a timeout and a server that is gone.
 * The server's end speaks server_protocol.h. A server is started and killed like any target
 * (spawn.c): its own process group, SIGKILLed when the tool dies. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "memcov_spawn.h"
#include "runtime.h"
#include "server_protocol.h"

struct mcov_server {
    int32_t pid;
    uint32_t flags;    /* the hello's */
    int pidfd;         /* ends readable when the server ends */
    int requests;      /* write end */
    int replies;       /* read end */
    atomic_bool reaped; /* waited for: its pid may name another process now */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Wait for a whole message, the server's end or deadline_ms (-1: none). 1: read; 0: the server
 * ended first (end of file, or it died); -1: the deadline passed. */
static int read_message(struct mcov_server *s, void *buf, size_t n, int64_t deadline_ms)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p[2] = {{s->replies, POLLIN, 0}, {s->pidfd, POLLIN, 0}};
        int64_t left = deadline_ms < 0 ? -1 : deadline_ms - mcov_monotonic_ms();
        if (deadline_ms >= 0 && left <= 0)
            return -1;
        int r = poll(p, 2, left < 0 ? -1 : (int)(left > 1000000000 ? 1000000000 : left));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 0;
        if (r == 0)
            continue;
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t k = read(s->replies, (char *)buf + got, n - got);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return 0;
            got += (size_t)k;
            continue;
        }
        /* Ended, with nothing (more) to read: what it wrote before it died was read above. */
        if (p[1].revents)
            return 0;
    }
    return 1;
}

/* Write a whole request (< PIPE_BUF: all or nothing). SIGPIPE is blocked for the write and any
 * it raised is taken back, so a tool that does not ignore SIGPIPE survives a server that died. */
static bool write_request(int fd, const void *buf, size_t n)
{
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    ssize_t w;
    do
        w = write(fd, buf, n);
    while (w < 0 && errno == EINTR);
    int e = errno;
    sigset_t pending;
    if (w < 0 && e == EPIPE && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_only, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return w == (ssize_t)n;
}

/* SIGKILL the process groups of pid's children (/proc/PID/task/PID/children: a server has one
 * thread), before pid itself goes and they are reparented. */
static void kill_child_groups(int32_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096];
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    for (char *p = buf, *end; *p; p = end) {
        long child = strtol(p, &end, 10);
        if (end == p)
            break;
        if (child > 0 && child != pid) {
            kill((pid_t)-child, SIGKILL);
            kill((pid_t)child, SIGKILL);
        }
    }
}

static void kill_server(struct mcov_server *s)
{
    if (atomic_load(&s->reaped))
        return;
    /* A fork server's child leads a process group of its own, which its background children
     * share: the child dies with the server, they would not. The server's children are read
     * here, when it is killed, rather than reported per input (a wake-up of the runner each). */
    kill_child_groups(s->pid);
    /* The pidfd names this process even if its pid were reused; then the group it leads. */
    syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
    kill(-s->pid, SIGKILL);
}

/* Kill (if need be) and wait for the server: its raw wait status. */
static int32_t reap(struct mcov_server *s)
{
    int32_t status = -1;
    if (atomic_load(&s->reaped))
        return status;
    kill_server(s);
    if (mcov_spawn_reap(s->pid, -1, &status) != MCOV_OK)
        status = -1;
    atomic_store(&s->reaped, true);
    close_fd(&s->requests);
    close_fd(&s->replies);
    return status;
}

static void free_server(struct mcov_server *s)
{
    close_fd(&s->requests);
    close_fd(&s->replies);
    close_fd(&s->pidfd);
    free(s);
}

static int start(const mcov_spawn_request *req, mcov_server **out)
{
    if (!req || !req->envp || !out || (req->keep_count && !req->keep_fds) || req->keep_count > 1000)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_server_start: a request and a server are needed");
    *out = NULL;
    struct mcov_server *s = calloc(1, sizeof *s);
    int to_server[2] = {-1, -1}, from_server[2] = {-1, -1};
    size_t envc = 0;
    while (req->envp[envc])
        envc++;
    const char **envp = calloc(envc + 3, sizeof *envp);
    int32_t *keep = calloc(req->keep_count + 2, sizeof *keep);
    char fds_var[64], exe_var[96];
    int rc = MCOV_OK;
    if (!s || !envp || !keep) {
        rc = mcov_fail(MCOV_E_SYSTEM, "cannot start %s: out of memory", req->path ? req->path : "a server");
        goto done;
    }
    s->pid = -1;
    s->pidfd = s->requests = s->replies = -1;
    if (pipe2(to_server, O_CLOEXEC) != 0 || pipe2(from_server, O_CLOEXEC) != 0) {
        rc = mcov_fail(MCOV_E_SYSTEM, "cannot start %s: pipe: %s", req->path ? req->path : "a server",
                       strerror(errno));
        goto done;
    }
    /* The server's ends, named in its environment (an inherited value is replaced). */
    snprintf(fds_var, sizeof fds_var, MCOV_SERVER_FDS_ENV "=%d,%d", to_server[0], from_server[1]);
    /* The program itself, started by this process: a fork server starts in it, not in a program
     * it execs nor in a copy of it that it starts. */
    struct stat st;
    bool known = req->path && stat(req->path, &st) == 0;
    snprintf(exe_var, sizeof exe_var, MCOV_SERVER_EXE_ENV "=%llu:%llu:%lld",
             known ? (unsigned long long)st.st_dev : 0ull, known ? (unsigned long long)st.st_ino : 0ull,
             (long long)getpid());
    size_t n = 0;
    for (size_t i = 0; i < envc; i++)
        if (strncmp(req->envp[i], MCOV_SERVER_FDS_ENV "=", sizeof MCOV_SERVER_FDS_ENV) != 0 &&
            strncmp(req->envp[i], MCOV_SERVER_EXE_ENV "=", sizeof MCOV_SERVER_EXE_ENV) != 0)
            /* MEMCOV_SERVER_INPUT passes: the caller names the descriptor it keeps for inputs. */
            envp[n++] = req->envp[i];
    envp[n++] = fds_var;
    envp[n++] = exe_var;
    envp[n] = NULL;
    for (uint32_t i = 0; i < req->keep_count; i++)
        keep[i] = req->keep_fds[i];
    keep[req->keep_count] = to_server[0];
    keep[req->keep_count + 1] = from_server[1];
    mcov_spawn_request r = *req;
    r.envp = envp;
    r.keep_fds = keep;
    r.keep_count = req->keep_count + 2;
    if ((rc = mcov_spawn_start(&r, &s->pid)) != MCOV_OK)
        goto done;
    close_fd(&to_server[0]);
    close_fd(&from_server[1]);
    s->requests = to_server[1];
    s->replies = from_server[0];
    to_server[1] = from_server[0] = -1;
    s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
    if (s->pidfd < 0) {
        rc = mcov_fail(MCOV_E_SYSTEM, "cannot watch %s: pidfd_open: %s", req->path, strerror(errno));
        int32_t status;
        kill(-s->pid, SIGKILL);
        mcov_spawn_reap(s->pid, -1, &status);
        goto done;
    }
    *out = s;
    s = NULL;
done:
    close_fd(&to_server[0]);
    close_fd(&to_server[1]);
    close_fd(&from_server[0]);
    close_fd(&from_server[1]);
    if (s)
        free_server(s);
    free(envp);
    free(keep);
    return rc;
}

int mcov_server_start(const mcov_spawn_request *request, mcov_server **server)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(start(request, server));
}

static int ready(mcov_server *s, int32_t hello_timeout_ms, int32_t *status)
{
    if (!s || !status)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_server_ready: a server and a status are needed");
    *status = -1;
    if (atomic_load(&s->reaped))
        return mcov_fail(MCOV_E_SYSTEM, "the server ended before it was ready");
    struct mcov_server_hello hello;
    int got = read_message(s, &hello, sizeof hello,
                           hello_timeout_ms < 0 ? -1 : mcov_monotonic_ms() + hello_timeout_ms);
    if (got == 1 && hello.magic == MCOV_SERVER_MAGIC && hello.version == MCOV_SERVER_VERSION) {
        s->flags = hello.flags;
        return MCOV_OK;
    }
    int32_t ended = reap(s);
    if (got == 1)
        return mcov_fail(MCOV_E_VERSION, "the server speaks %s (version %u) where this runtime speaks version %u",
                         hello.magic == MCOV_SERVER_MAGIC ? "another server protocol" : "no server protocol",
                         hello.magic == MCOV_SERVER_MAGIC ? hello.version : 0u, MCOV_SERVER_VERSION);
    if (got == 0) {
        *status = ended;
        return mcov_fail(MCOV_E_SYSTEM, "it ended before it was ready");
    }
    return mcov_fail(MCOV_E_SYSTEM, "it was not ready within %d ms", (int)hello_timeout_ms);
}

int mcov_server_ready(mcov_server *server, int32_t hello_timeout_ms, int32_t *status)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(ready(server, hello_timeout_ms, status));
}

static int run(mcov_server *s, const char *input, int32_t timeout_ms, mcov_run_outcome *out)
{
    if (!s || !out || timeout_ms <= 0)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_server_run: a server, an outcome and a time limit are needed");
    size_t len = input ? strlen(input) : 0;
    if (len > MCOV_SERVER_MAX_PATH)
        return mcov_fail(MCOV_E_INVALID_ARG, "the input path is longer than %u bytes", MCOV_SERVER_MAX_PATH);
    memset(out, 0, sizeof *out);
    out->pid = s->pid;
    if (atomic_load(&s->reaped)) {
        out->kind = MCOV_RUN_NOT_RUN;
        out->server_ended = 1;
        return MCOV_OK;
    }
    char msg[sizeof(struct mcov_server_request) + MCOV_SERVER_MAX_PATH];
    struct mcov_server_request rq = {(uint32_t)timeout_ms, (uint32_t)len};
    memcpy(msg, &rq, sizeof rq);
    if (len)
        memcpy(msg + sizeof rq, input, len);
    if (!write_request(s->requests, msg, sizeof rq + len)) {
        /* Gone between two inputs (a thread of the harness crashed after it returned, say). */
        out->kind = MCOV_RUN_NOT_RUN;
        out->status = reap(s);
        out->server_ended = 1;
        return MCOV_OK;
    }
    struct mcov_server_reply reply;
    /* A server that times its runs gets a second more to say so before it is killed itself. */
    int64_t grace = s->flags & MCOV_SERVER_TIMES_RUNS ? 1000 : 0;
    int64_t deadline = mcov_monotonic_ms() + timeout_ms + grace;
    int got = read_message(s, &reply, sizeof reply, deadline);
    if (got == 1) {
        out->kind = reply.kind;
        out->status = reply.status;
        out->pid = reply.pid;
        return MCOV_OK;
    }
    /* The server died or did not answer: it goes, and with it the child's group. */
    out->kind = got < 0 ? MCOV_RUN_TIMED_OUT : MCOV_RUN_ENDED;
    out->status = reap(s);
    out->server_ended = 1;
    return MCOV_OK;
}

int mcov_server_run(mcov_server *server, const char *input, int32_t timeout_ms,
                    mcov_run_outcome *outcome)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(run(server, input, timeout_ms, outcome));
}

int mcov_server_kill(mcov_server *server)
{
    mcov_begin_quiet_call();
    if (!server)
        return mcov_end_quiet_call(mcov_fail(MCOV_E_INVALID_ARG, "mcov_server_kill: no server"));
    kill_server(server);
    return mcov_end_quiet_call(MCOV_OK);
}

int mcov_server_stop(mcov_server *server, int32_t grace_ms)
{
    mcov_begin_quiet_call();
    if (!server)
        return mcov_end_quiet_call(MCOV_OK);
    if (!atomic_load(&server->reaped)) {
        /* End of its requests: a server ends on its own then. */
        close_fd(&server->requests);
        struct pollfd p = {server->pidfd, POLLIN, 0};
        int64_t deadline = mcov_monotonic_ms() + (grace_ms < 0 ? 0 : grace_ms);
        for (int64_t left; (left = deadline - mcov_monotonic_ms()) > 0;) {
            int r = poll(&p, 1, (int)left);
            if (r > 0 || (r < 0 && errno != EINTR))
                break;
        }
        reap(server);
    }
    free_server(server);
    return mcov_end_quiet_call(MCOV_OK);
}
