/* memcov_spawn.h: a target's own exit(139) is an exit and a SIGSEGV a signal (raw wait status);
 * a target that runs too long is killed with its process group; a target's background child dies
 * with the target; targets die with their tool, even when the thread that started them ended and
 * the tool is SIGKILLed; descriptors and signal dispositions are the target's own. */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memcov_spawn.h"

extern char **environ;

static int32_t start(const char *script, int32_t in, int32_t out, const int32_t *keep, uint32_t nkeep)
{
    const char *argv[] = {"sh", "-c", script, NULL};
    mcov_spawn_request r = {"/bin/sh", argv, (const char *const *)environ, in, out, -1, keep, nkeep, 0};
    int32_t pid = -1;
    CHECK(mcov_spawn(&r, &pid) == 0 && pid > 0, "spawn '%s': %s", script, mcov_last_error());
    return pid;
}

static int32_t finish(int32_t pid)
{
    int32_t status = -1;
    CHECK(mcov_spawn_wait(pid, 20000, &status) == 0, "wait: %s", mcov_last_error());
    return status;
}

/* A process that is not our child: wait for it to be gone (SIGKILLed processes end at once, but
 * their reaping by whoever adopted them is not ours to wait for). */
static void gone(pid_t pid, const char *what)
{
    for (int i = 0; i < 5000; i++) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return;
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (f) {
            int n = fscanf(f, "%*d (%*[^)]) %c", &state);
            fclose(f);
            if (n == 1 && state == 'Z')
                return;
        }
        usleep(1000);
    }
    CHECK(0, "%s (pid %d) outlived what should have ended it", what, (int)pid);
}

static int32_t read_pid(int fd)
{
    char buf[32] = {0};
    ssize_t n = 0, got;
    while (n < (ssize_t)sizeof buf - 1 && (got = read(fd, buf + n, 1)) == 1 && buf[n] != '\n')
        n++;
    return (int32_t)atoi(buf);
}

static void *spawn_from_a_thread(void *arg)
{
    int *out = arg;
    int32_t keep[] = {out[1]};
    char script[64];
    snprintf(script, sizeof script, "echo $$ >&%d; exec sleep 30", out[1]);
    out[2] = start(script, -1, -1, keep, 1);
    return NULL;
}

/* A tool: starts a long target from a thread that then ends, reports the target, waits to die. */
static void tool(void *arg)
{
    int *fds = arg;
    int slot[3] = {-1, fds[1], -1};
    pthread_t t;
    pthread_create(&t, NULL, spawn_from_a_thread, slot);
    pthread_join(t, NULL);
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", slot[2]);
    t_write_all(fds[1], line, (size_t)n);
    pause();
}

/* Threads spawn at once: each gets its own target's pid and status back. */
static void *spawn_many(void *arg)
{
    int base = *(int *)arg;
    for (int i = 0; i < 40; i++) {
        char script[32];
        int code = base + i % 10;
        snprintf(script, sizeof script, "exit %d", code);
        int32_t st = finish(start(script, -1, -1, NULL, 0));
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == code, "thread %d: exit %d read as 0x%x", base, code,
              st);
    }
    return NULL;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as a .NET tool does: the target must not inherit it */

    int32_t st = finish(start("exit 139", -1, -1, NULL, 0));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 139, "exit 139 reads as status 0x%x", st);
    st = finish(start("kill -SEGV $$", -1, -1, NULL, 0));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "SIGSEGV reads as status 0x%x", st);

    const char *argv[] = {"x", NULL};
    mcov_spawn_request missing = {"/nonexistent/prog", argv, (const char *const *)environ, -1, -1, -1, NULL, 0, 0};
    int32_t pid = 0;
    CHECK(mcov_spawn(&missing, &pid) == MCOV_E_NOT_FOUND && pid == -1 &&
              strstr(mcov_last_error(), "no such program"),
          "a missing program: %s", mcov_last_error());
    mcov_spawn_request notexec = {"/etc/hostname", argv, (const char *const *)environ, -1, -1, -1, NULL, 0, 0};
    CHECK(mcov_spawn(&notexec, &pid) == MCOV_E_PERMISSION, "a file that is not a program ran");

    /* Descriptors and dispositions: stdin and stdout as given, SIGPIPE not ignored. */
    int in[2], out[2];
    t_pipe(in);
    t_pipe(out);
    t_write_all(in[1], "hello\n", 6);
    close(in[1]);
    pid = start("cat; grep SigIgn /proc/self/status", in[0], out[1], NULL, 0);
    close(in[0]);
    close(out[1]);
    char *text = t_read_to_end(out[0]);
    close(out[0]);
    st = finish(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "cat: status 0x%x", st);
    CHECK(strncmp(text, "hello\n", 6) == 0 && strstr(text, "SigIgn:\t0000000000000000"),
          "the target saw: %s", text);
    free(text);

    /* Too long: killed with its group, then waited for. */
    pid = start("sleep 30", -1, -1, NULL, 0);
    int32_t status = 0;
    CHECK(mcov_spawn_wait(pid, 50, &status) == 1, "sleep 30 ended within 50 ms");
    CHECK(mcov_spawn_kill(pid) == 0, "kill");
    st = finish(pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "killed: status 0x%x", st);

    /* A background child of the target dies when the target ends. */
    int bg[2];
    t_pipe(bg);
    int32_t keep[] = {bg[1]};
    char script[64];
    snprintf(script, sizeof script, "sleep 30 & echo $! >&%d; exit 0", bg[1]);
    pid = start(script, -1, -1, keep, 1);
    int32_t child = read_pid(bg[0]);
    CHECK(child > 0, "no background pid");
    finish(pid);
    gone(child, "the target's background child");

    /* Targets die with their tool, though the thread that started them ended long before. */
    pid_t t = t_fork(tool, bg);
    int32_t target = read_pid(bg[0]);
    int32_t reported = read_pid(bg[0]);
    CHECK(target > 0 && target == reported, "the tool's target: %d, %d", target, reported);
    CHECK(kill(target, 0) == 0, "the target died with the thread that started it");
    kill(t, SIGKILL);
    waitpid(t, NULL, 0);
    gone(target, "a target of a SIGKILLed tool");
    close(bg[0]);
    close(bg[1]);

    pthread_t threads[4];
    int bases[4] = {10, 30, 50, 70};
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, spawn_many, &bases[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    return 0;
}
