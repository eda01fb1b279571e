/* memcov_spawn.h: targets in process groups of their own, killed with their tool.
 *
 * PR_SET_PDEATHSIG fires when the thread that created the child exits, not the process: a tool's
 * thread pool would kill targets whenever an idle thread retires. So every target is created by
 * one thread of libmemcov's own, started at the first spawn and never ended. It creates the child
 * with vfork semantics (CLONE_VM | CLONE_VFORK: no copy of a large tool's page tables), with every
 * signal blocked, so the child runs no handler of the tool's on the shared memory; the child only
 * makes system calls until it execs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memcov_spawn.h"
#include "runtime.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

/* What the child needs, prepared by the spawner so the child allocates nothing. */
struct child_args {
    const mcov_spawn_request *req;
    pid_t tool;      /* the tool's pid: the child's parent, unless the tool died already */
    int error_pipe;  /* write end, close-on-exec: the child's errno if exec fails */
    int fds[3];      /* 0, 1, 2 as given, or /dev/null */
    pid_t pid;       /* set by the spawner: the child, or -1 and errno in err */
    int err;
};

static int child_main(void *arg)
{
    const struct child_args *a = arg;
    const mcov_spawn_request *r = a->req;
    int err = 0;
    if (setpgid(0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        err = errno;
    else if (getppid() != a->tool) /* the tool died before the death signal was armed */
        _exit(127);
    /* Default dispositions (a tool ignores SIGPIPE, say), then no blocked signal. */
    for (int sig = 1; !err && sig < NSIG; sig++) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    }
    /* Standard descriptors: first out of the way of 0-2, then into place. */
    int moved[3];
    for (int i = 0; !err && i < 3; i++)
        if ((moved[i] = fcntl(a->fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
            err = errno;
    for (int i = 0; !err && i < 3; i++)
        if (dup2(moved[i], i) < 0)
            err = errno;
    /* Every other descriptor closes at exec, but those kept. */
    if (!err && syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0)
        err = errno;
    for (uint32_t k = 0; !err && k < r->keep_count; k++)
        if (fcntl(r->keep_fds[k], F_SETFD, 0) != 0)
            err = errno;
    sigset_t none;
    sigemptyset(&none);
    if (!err) {
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(r->path, (char *const *)r->argv, (char *const *)r->envp);
        err = errno;
    }
    (void)!write(a->error_pipe, &err, sizeof err);
    _exit(127);
}

/* --- the spawner thread --- */

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t s_done = PTHREAD_COND_INITIALIZER;
static bool s_started;
static struct child_args *s_request; /* under s_lock: the one request being served */

static void serve(struct child_args *a)
{
    enum { STACK = 64 * 1024 };
    char *stack = malloc(STACK);
    if (!stack) {
        a->pid = -1;
        a->err = ENOMEM;
        return;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* Suspended until the child execs or exits, so its stack is free again right after. */
    pid_t pid = clone(child_main, stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(stack);
    /* In the request itself: the next caller's request may be served before this one reads. */
    a->pid = pid;
    a->err = pid < 0 ? e : 0;
}

static void *spawner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&s_lock);
    for (;;) {
        while (!s_request)
            pthread_cond_wait(&s_wake, &s_lock);
        serve(s_request);
        s_request = NULL;
        pthread_cond_broadcast(&s_done);
    }
    return NULL;
}

/* A fork child has no spawning thread: it starts its own at its first spawn. */
static void before_fork(void)
{
    pthread_mutex_lock(&s_lock);
}

static void after_fork_parent(void)
{
    pthread_mutex_unlock(&s_lock);
}

static void after_fork_child(void)
{
    pthread_mutex_init(&s_lock, NULL);
    pthread_cond_init(&s_wake, NULL);
    pthread_cond_init(&s_done, NULL);
    s_started = false;
    s_request = NULL;
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

static int open_null(int flags)
{
    return open("/dev/null", flags | O_CLOEXEC);
}

int mcov_spawn_start(const mcov_spawn_request *req, int32_t *pid_out)
{
    if (!req || !req->path || !req->argv || !req->argv[0] || !req->envp || !pid_out ||
        (req->keep_count && !req->keep_fds))
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_spawn: a path, argv[0] and envp are needed");
    *pid_out = -1;
    struct child_args a;
    memset(&a, 0, sizeof a);
    a.req = req;
    a.tool = getpid();
    int opened[3] = {-1, -1, -1};
    const int32_t given[3] = {req->stdin_fd, req->stdout_fd, req->stderr_fd};
    for (int i = 0; i < 3; i++) {
        a.fds[i] = given[i];
        if (given[i] < 0 && (a.fds[i] = opened[i] = open_null(i == 0 ? O_RDONLY : O_WRONLY)) < 0)
            return mcov_fail(MCOV_E_SYSTEM, "cannot open /dev/null: %s", strerror(errno));
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        int e = errno;
        for (int i = 0; i < 3; i++)
            if (opened[i] >= 0)
                close(opened[i]);
        return mcov_fail(MCOV_E_SYSTEM, "cannot start %s: pipe: %s", req->path, strerror(e));
    }
    a.error_pipe = pipefd[1];

    pthread_mutex_lock(&s_lock);
    int rc = MCOV_OK;
    if (!s_started) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, spawner, NULL) == 0)
            s_started = true;
        else
            rc = mcov_fail(MCOV_E_SYSTEM, "cannot start libmemcov's spawning thread");
        pthread_attr_destroy(&attr);
    }
    pid_t pid = -1;
    int e = 0;
    if (rc == MCOV_OK) {
        while (s_request) /* another caller's request is being served */
            pthread_cond_wait(&s_done, &s_lock);
        s_request = &a;
        pthread_cond_signal(&s_wake);
        while (s_request == &a)
            pthread_cond_wait(&s_done, &s_lock);
        pid = a.pid;
        e = a.err;
    }
    pthread_mutex_unlock(&s_lock);
    close(pipefd[1]);
    for (int i = 0; i < 3; i++)
        if (opened[i] >= 0)
            close(opened[i]);
    if (rc != MCOV_OK || pid < 0) {
        close(pipefd[0]);
        return rc != MCOV_OK ? rc
                             : mcov_fail(MCOV_E_SYSTEM, "cannot start %s: %s", req->path,
                                         strerror(e));
    }
    /* The child has exec'd (the pipe closed: nothing to read) or reported why not. */
    int child_errno = 0;
    ssize_t got;
    do
        got = read(pipefd[0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    close(pipefd[0]);
    if (got == (ssize_t)sizeof child_errno) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (child_errno == ENOENT || child_errno == ENOTDIR)
            return mcov_fail(MCOV_E_NOT_FOUND, "cannot run %s: no such program", req->path);
        if (child_errno == EACCES || child_errno == EPERM || child_errno == ENOEXEC)
            return mcov_fail(MCOV_E_PERMISSION, "cannot run %s: %s", req->path,
                             strerror(child_errno));
        return mcov_fail(MCOV_E_SYSTEM, "cannot run %s: %s", req->path, strerror(child_errno));
    }
    *pid_out = pid;
    return MCOV_OK;
}

int mcov_spawn(const mcov_spawn_request *request, int32_t *pid)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(mcov_spawn_start(request, pid));
}

int mcov_spawn_reap(pid_t pid, int32_t timeout_ms, int32_t *status)
{
    if (pid <= 0 || !status)
        return mcov_fail(MCOV_E_INVALID_ARG, "mcov_spawn_wait: no target");
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return mcov_fail(MCOV_E_NOT_FOUND, "no target %d to wait for: %s", (int)pid,
                         strerror(errno));
    struct pollfd p = {pidfd, POLLIN, 0};
    int n;
    do
        n = poll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms);
    while (n < 0 && errno == EINTR);
    close(pidfd);
    if (n == 0)
        return 1;
    if (!mcov_reap_group(pid, status))
        return mcov_fail(MCOV_E_SYSTEM, "cannot wait for target %d: %s", (int)pid,
                         strerror(errno));
    return MCOV_OK;
}

bool mcov_reap_group(pid_t pid, int32_t *status)
{
    /* While its zombie still holds the group's id, its background children go too. */
    siginfo_t info;
    memset(&info, 0, sizeof info);
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    kill(-pid, SIGKILL);
    int raw;
    pid_t got;
    do
        got = waitpid(pid, &raw, 0);
    while (got < 0 && errno == EINTR);
    if (got != pid)
        return false;
    *status = raw;
    return true;
}

int mcov_spawn_wait(int32_t pid, int32_t timeout_ms, int32_t *status)
{
    mcov_begin_quiet_call();
    return mcov_end_quiet_call(mcov_spawn_reap(pid, timeout_ms, status));
}

int mcov_spawn_kill(int32_t pid)
{
    mcov_begin_quiet_call();
    if (pid <= 0)
        return mcov_end_quiet_call(mcov_fail(MCOV_E_INVALID_ARG, "mcov_spawn_kill: no target"));
    /* The group first (the target leads it), then the target itself in case it left it. */
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    return mcov_end_quiet_call(MCOV_OK);
}
