/* The fork server of `memcov run`: a target started with $MEMCOV_SERVER_FDS stops at the end of its
 * start-up and forks one child per input, which goes on into main; the server answers each
 * request with the child's raw wait status (server_protocol.h). Exec and dynamic loading are
 * paid once per worker instead of once per input.
 *
 * Where: every hook object has a late constructor (mcov_fork_server_point), and the server starts
 * in the last of those that runs at start-up, once every module loaded at start-up has registered
 * its guards, counters and PC table: a child then registers nothing again. "Loaded at start-up"
 * is the executable, its DT_NEEDED closure and LD_PRELOAD; a module carrying the hook object is
 * told by its ELF note ("memcov", hooks.c). Anything else never starts a server, and the runner
 * runs the target once per input: a process that is not the program the runner started (it was
 * exec'd by that program), a module dlopen'ed after start-up (main may have read its input already). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook_abi.h"
#include "memcov_spawn.h"
#include "runtime.h"
#include "server_protocol.h"

#define MAX_OBJECTS 1024

struct object {
    uintptr_t base;
    uintptr_t lo, hi;        /* what its PT_LOAD segments map */
    const char *name;        /* the path it was loaded from ("" for the executable) */
    const char *soname;      /* DT_SONAME, or NULL */
    const ElfW(Dyn) *dynamic;
    const char *strtab;
    bool noted;              /* carries a hook object */
    bool startup;            /* loaded at start-up */
};

static struct {
    bool done; /* started (in the server: never returns) or declined */
    struct object objects[MAX_OBJECTS];
    uint32_t count;
} s_fs;

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A d_ptr of the dynamic section: glibc relocates most in place; a read-only one it leaves. */
static uintptr_t dyn_ptr(uintptr_t base, uintptr_t value)
{
    return value < base ? value + base : value;
}

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    if (s_fs.count == MAX_OBJECTS)
        return 1;
    struct object *o = &s_fs.objects[s_fs.count++];
    memset(o, 0, sizeof *o);
    o->base = info->dlpi_addr;
    o->name = info->dlpi_name ? info->dlpi_name : "";
    uint32_t desc_size;
    o->noted = mcov_find_note(info, MCOV_HOOKS_NOTE_TYPE, MCOV_HOOKS_NOTE_NAME, &desc_size) != NULL;
    o->lo = UINTPTR_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_DYNAMIC)
            o->dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
        if (ph->p_type == PT_LOAD) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
            o->lo = lo < o->lo ? lo : o->lo;
            o->hi = hi > o->hi ? hi : o->hi;
        }
    }
    if (!o->dynamic)
        return 0;
    uintptr_t soname = 0;
    bool has_soname = false;
    for (const ElfW(Dyn) *d = o->dynamic; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_STRTAB)
            o->strtab = (const char *)dyn_ptr(o->base, d->d_un.d_ptr);
        else if (d->d_tag == DT_SONAME) {
            soname = d->d_un.d_val;
            has_soname = true;
        }
    }
    if (o->strtab && has_soname)
        o->soname = o->strtab + soname;
    return 0;
}

/* The object a DT_NEEDED entry names: by soname or file name, or (a library linked by its path,
 * "./libx.so") by the file name of that path. */
static struct object *find_by_needed(const char *needed)
{
    const char *file = basename_of(needed);
    for (uint32_t i = 0; i < s_fs.count; i++) {
        struct object *o = &s_fs.objects[i];
        if ((o->soname && strcmp(o->soname, needed) == 0) ||
            (o->name[0] && strcmp(basename_of(o->name), file) == 0))
            return o;
    }
    return NULL;
}

/* Marks the executable's DT_NEEDED closure and the LD_PRELOAD objects as loaded at start-up. */
static void mark_startup(void)
{
    if (s_fs.count == 0)
        return;
    s_fs.objects[0].startup = true; /* dl_iterate_phdr gives the executable first */
    const char *preload = getenv("LD_PRELOAD");
    if (preload) {
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", preload);
        for (char *save = NULL, *tok = strtok_r(copy, " :", &save); tok; tok = strtok_r(NULL, " :", &save)) {
            struct object *o = find_by_needed(basename_of(tok));
            if (o)
                o->startup = true;
        }
    }
    for (bool grew = true; grew;) {
        grew = false;
        for (uint32_t i = 0; i < s_fs.count; i++) {
            struct object *o = &s_fs.objects[i];
            if (!o->startup || !o->dynamic || !o->strtab)
                continue;
            for (const ElfW(Dyn) *d = o->dynamic; d->d_tag != DT_NULL; d++) {
                if (d->d_tag != DT_NEEDED)
                    continue;
                struct object *dep = find_by_needed(o->strtab + d->d_un.d_val);
                if (dep && !dep->startup)
                    dep->startup = grew = true;
            }
        }
    }
}

/* Whether this process is the one the runner started ($MEMCOV_SERVER_EXE, "DEV:INO:PID"): that
 * program, a child of the runner (not a copy of it that its constructors started). */
static bool is_started_program(void)
{
    const char *want = getenv(MCOV_SERVER_EXE_ENV);
    unsigned long long dev = 0, ino = 0;
    long long runner = 0;
    int end = 0;
    if (!want || sscanf(want, "%llu:%llu:%lld%n", &dev, &ino, &runner, &end) != 3 || want[end] != '\0')
        return false;
    struct stat st;
    return getppid() == (pid_t)runner && stat("/proc/self/exe", &st) == 0 &&
           (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* The runner's pipes, not descriptors the target's constructors put at those numbers. */
static bool is_pipe(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Threads other than this one would be missing in every child: a pool started by a constructor
 * would never answer. */
static int thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    int threads = 1;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &threads) == 1)
            break;
    if (f)
        fclose(f);
    return threads;
}

/* Serves until the runner closes its end; returns only in a child, which goes on into main. A
 * request's input (a path) becomes the child's descriptor input_fd, opened afresh, where the
 * target finds it (/dev/fd/N in its arguments, or 0: its stdin); the file is never copied. */
static void serve(int requests, int replies, int input_fd)
{
    pid_t server = getpid();
    /* Waiting needs SIGCHLD's default: a target that ignores it, or reaps in a handler, would
     * leave no status to wait for. Each child gets the target's disposition back. */
    struct sigaction dfl, target_chld;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &target_chld);
    bool restore_chld = target_chld.sa_handler != SIG_DFL || (target_chld.sa_flags & SA_SIGINFO);
    struct mcov_server_hello hello = {MCOV_SERVER_MAGIC, MCOV_SERVER_VERSION, (int32_t)server,
                                      MCOV_SERVER_TIMES_RUNS};
    if (!mcov_write_all(replies, (const uint8_t *)&hello, sizeof hello))
        _exit(0);
    for (;;) {
        struct mcov_server_request rq;
        char path[MCOV_SERVER_MAX_PATH + 1];
        if (!mcov_read_all(requests, (uint8_t *)&rq, sizeof rq) || rq.path_len > MCOV_SERVER_MAX_PATH ||
            !mcov_read_all(requests, (uint8_t *)path, rq.path_len))
            _exit(0);
        path[rq.path_len] = '\0';
        struct mcov_server_reply reply = {MCOV_RUN_ENDED, 0, 0, 0};
        int input = -1;
        uint64_t size;
        if (rq.path_len > 0 && input_fd >= 0 && (input = mcov_open_regular(path, &size)) < 0) {
            reply.kind = MCOV_RUN_UNREADABLE;
            reply.status = -input;
            if (!mcov_write_all(replies, (const uint8_t *)&reply, sizeof reply))
                _exit(0);
            continue;
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(requests);
            close(replies);
            if (input >= 0) {
                if (dup2(input, input_fd) < 0)
                    _exit(127);
                close(input);
            }
            if (restore_chld)
                sigaction(SIGCHLD, &target_chld, NULL);
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != server)
                _exit(127);
            return;
        }
        if (input >= 0)
            close(input);
        if (pid < 0)
            _exit(1); /* the runner sees the server end, and says so */
        /* The child leads its own process group (its setpgid, before anything else it does):
         * killed before that, it had no background children to kill with it. */
        reply.pid = (int32_t)pid;
        bool runner_gone = false;
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        int64_t deadline = mcov_monotonic_ms() + rq.timeout_ms;
        while (pidfd >= 0) { /* once, but for EINTR */
            struct pollfd p[2] = {{pidfd, POLLIN, 0}, {requests, POLLIN, 0}};
            int64_t left = deadline - mcov_monotonic_ms();
            int r = left <= 0 ? 0 : poll(p, 2, (int)(left > 0x7fffffff ? 0x7fffffff : left));
            if (r < 0 && errno == EINTR)
                continue;
            if (r == 0) {
                reply.kind = MCOV_RUN_TIMED_OUT;
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
            } else if (r > 0 && !p[0].revents && p[1].revents) {
                /* The runner closed its end (it ended or died) while a child ran. */
                runner_gone = true;
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
            }
            break;
        }
        if (pidfd >= 0)
            close(pidfd);
        if (!mcov_reap_group(pid, &reply.status))
            reply.status = 0;
        if (runner_gone || !mcov_write_all(replies, (const uint8_t *)&reply, sizeof reply))
            _exit(0);
    }
}

/* The start-up modules whose late constructor ran, by the lowest address they map. */
static uintptr_t s_called[MAX_OBJECTS];
static uint32_t s_called_count;

static bool has_called(uintptr_t lo)
{
    for (uint32_t i = 0; i < s_called_count; i++)
        if (s_called[i] == lo)
            return true;
    return false;
}

static struct object *object_of(const void *address)
{
    uintptr_t a = (uintptr_t)address;
    for (uint32_t i = 0; i < s_fs.count; i++)
        if (a >= s_fs.objects[i].lo && a < s_fs.objects[i].hi)
            return &s_fs.objects[i];
    return NULL;
}

void mcov_fork_server_point(const void *caller)
{
    if (s_fs.done)
        return;
    const char *fds = getenv(MCOV_SERVER_FDS_ENV);
    if (!fds) {
        s_fs.done = true;
        return;
    }
    int requests = -1, replies = -1, input_fd = -1, end = 0;
    const char *input_var = getenv(MCOV_SERVER_INPUT_ENV);
    bool usable = mcov_server_fds(fds, &requests, &replies) && is_started_program();
    if (usable && input_var && (sscanf(input_var, "%d%n", &input_fd, &end) != 1 || input_var[end] != '\0' || input_fd < 0))
        usable = false;
    usable = usable && is_pipe(requests) && is_pipe(replies);
    if (usable) {
        s_fs.count = 0;
        dl_iterate_phdr(collect, NULL);
        mark_startup();
        struct object *me = object_of(caller);
        usable = me && me->startup;
        if (usable && !has_called(me->lo) && s_called_count < MAX_OBJECTS)
            s_called[s_called_count++] = me->lo;
        for (uint32_t i = 0; usable && i < s_fs.count; i++) {
            const struct object *o = &s_fs.objects[i];
            if (o->noted && o->startup && !has_called(o->lo))
                return; /* a module loaded at start-up is still to come */
        }
    }
    /* This or never: the variables are not passed on to the target's children. */
    s_fs.done = true;
    unsetenv(MCOV_SERVER_FDS_ENV);
    unsetenv(MCOV_SERVER_EXE_ENV);
    unsetenv(MCOV_SERVER_INPUT_ENV);
    /* The runner's LD_BIND_NOW bound the start-up's symbols once, here; the programs the
     * target runs do not get it. */
    if (getenv(MCOV_SERVER_BIND_NOW_ENV)) {
        unsetenv("LD_BIND_NOW");
        unsetenv(MCOV_SERVER_BIND_NOW_ENV);
    }
    if (!usable)
        return;
    int threads = thread_count();
    if (threads > 1) {
        mcov_warn("no fork server: %d threads run at the end of start-up, and a child would have "
                  "only one; the runner runs the program once per input", threads);
        return;
    }
    fcntl(requests, F_SETFD, FD_CLOEXEC);
    fcntl(replies, F_SETFD, FD_CLOEXEC);
    serve(requests, replies, input_fd);
    /* The child: its own hits from here on, into the region every child shares. */
}
