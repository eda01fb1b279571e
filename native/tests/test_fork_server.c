/* The fork server (forkserver.c, driven through memcov_spawn.h's servers): a target whose
 * instrumented modules load at start-up (callback A, no-call B) forks once per input, and its runs
 * give the same region, byte for byte, as the target exec'd once per input; a crash ends only its
 * child and keeps what it recorded; a hang is killed at its limit and the server goes on; a
 * target whose instrumented code is only dlopen'ed, or a program exec'd by the one started, never
 * starts a server; a server ends when its runner closes its end. */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memcov_spawn.h"

extern char **environ;

static int s_slot = -1;

/* environ with MEMCOV_REGION and the input descriptor (the slot) set. */
static const char **env_with(const char *region)
{
    static char var[256], input[64];
    snprintf(var, sizeof var, "MEMCOV_REGION=%s", region);
    snprintf(input, sizeof input, "MEMCOV_SERVER_INPUT=%d", s_slot);
    size_t n = 0;
    while (environ[n])
        n++;
    const char **envp = calloc(n + 3, sizeof *envp);
    CHECK(envp != NULL, "calloc");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "MEMCOV_REGION=", 14) != 0)
            envp[k++] = environ[i];
    envp[k++] = var;
    envp[k++] = input;
    envp[k] = NULL;
    return envp;
}

static void fill(int slot, const char *text)
{
    size_t n = strlen(text);
    CHECK(ftruncate(slot, (off_t)n) == 0 && pwrite(slot, text, n, 0) == (ssize_t)n, "fill: %s",
          strerror(errno));
}

static mcov_server *start_server(const char *program, const char *const *argv, const char *region,
                                 int slot, int32_t *status)
{
    const char **envp = env_with(region);
    int32_t keep[] = {slot};
    mcov_spawn_request r = {program, argv, envp, -1, -1, -1, keep, 1, 0};
    mcov_server *s = NULL;
    int rc = mcov_server_start(&r, &s);
    free(envp);
    CHECK(rc == MCOV_OK, "start %s: %s", program, mcov_last_error());
    if (mcov_server_ready(s, 10000, status) == MCOV_OK)
        return s;
    mcov_server_stop(s, 0);
    return NULL;
}

static mcov_run_outcome run_path(mcov_server *s, const char *path, int32_t timeout_ms)
{
    mcov_run_outcome o;
    CHECK(mcov_server_run(s, path, timeout_ms, &o) == MCOV_OK, "run: %s", mcov_last_error());
    return o;
}

/* The input already in the slot. */
static mcov_run_outcome run(mcov_server *s, int32_t timeout_ms)
{
    return run_path(s, NULL, timeout_ms);
}

/* A server of program on the new region named region, whose first child aborts on text: the
 * server lives on. */
static mcov_server *start_and_crash(const char *program, const char *const *argv,
                                    const char *region, int slot, const char *text)
{
    CHECK(mcov_region_create(region, 1 << 16) == 0, "create: %s", mcov_last_error());
    int32_t status = 0;
    mcov_server *s = start_server(program, argv, region, slot, &status);
    CHECK(s != NULL, "server of %s: %s (status %d)", program, mcov_last_error(), (int)status);
    fill(slot, text);
    mcov_run_outcome o = run(s, 10000);
    CHECK(o.kind == MCOV_RUN_ENDED && WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGABRT &&
              !o.server_ended,
          "%s: kind %d status %#x", text, o.kind, (unsigned)o.status);
    return s;
}

int main(void)
{
    int slot = memfd_create("fork-server-input", MFD_CLOEXEC);
    CHECK(slot >= 0, "memfd_create: %s", strerror(errno));
    s_slot = slot;
    char slot_path[64];
    snprintf(slot_path, sizeof slot_path, "/dev/fd/%d", slot);
    const char *argv[] = {MCOV_TEST_FORK_TARGET, slot_path, NULL};

    /* Every input through one server (half of them in the slot, half by path), and through one
     * exec each. */
    const char *served = t_region_name("served");
    const char *execd = t_region_name("execd");
    CHECK(mcov_region_create(served, 1 << 16) == 0 && mcov_region_create(execd, 1 << 16) == 0,
          "create: %s", mcov_last_error());
    int32_t status = 0;
    mcov_server *s = start_server(MCOV_TEST_FORK_TARGET, argv, served, slot, &status);
    CHECK(s != NULL, "the target did not start a fork server: %s (status %d)", mcov_last_error(),
          (int)status);
    pid_t first_child = 0;
    char dir[] = "/tmp/memcov-fork-server-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    char path[256];
    for (size_t i = 0; i < t_input_count; i++) {
        mcov_run_outcome o;
        if (i % 2) {
            fill(slot, "!crash"); /* what the slot holds must not matter */
            snprintf(path, sizeof path, "%s/input-%zu", dir, i);
            FILE *f = fopen(path, "wb");
            CHECK(f && fputs(t_inputs[i], f) >= 0 && fclose(f) == 0, "write %s", path);
            o = run_path(s, path, 10000);
            unlink(path);
        } else {
            fill(slot, t_inputs[i]);
            o = run(s, 10000);
        }
        CHECK(o.kind == MCOV_RUN_ENDED && WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0 &&
                  !o.server_ended,
              "input %zu: kind %d status %#x", i, o.kind, (unsigned)o.status);
        CHECK(o.pid != first_child, "a child per input");
        first_child = o.pid;
    }
    const char **envp = env_with(execd);
    for (size_t i = 0; i < t_input_count; i++) {
        fill(slot, t_inputs[i]);
        int32_t keep[] = {slot};
        mcov_spawn_request r = {MCOV_TEST_FORK_TARGET, argv, envp, -1, -1, -1, keep, 1, 0};
        int32_t pid = -1, st = -1;
        CHECK(mcov_spawn(&r, &pid) == 0 && mcov_spawn_wait(pid, 20000, &st) == 0 &&
                  WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "exec input %zu: %s", i, mcov_last_error());
    }
    free(envp);
    /* An input that is missing or no regular file is unreadable, and the server goes on. */
    mcov_run_outcome missing = run_path(s, "/nonexistent/input", 10000);
    CHECK(missing.kind == MCOV_RUN_UNREADABLE && missing.status == ENOENT && !missing.server_ended,
          "missing input: kind %d status %d", missing.kind, missing.status);
    mcov_run_outcome a_dir = run_path(s, dir, 10000);
    CHECK(a_dir.kind == MCOV_RUN_UNREADABLE && a_dir.status == EINVAL, "a directory: kind %d", a_dir.kind);
    rmdir(dir);
    t_region_copy a = t_read_region(served), b = t_read_region(execd);
    CHECK(t_count(a.map, a.cursor) > 20, "the served runs recorded %llu edges",
          (unsigned long long)t_count(a.map, a.cursor));
    t_check_same_map(&a, &b);
    t_free_region(&a);
    t_free_region(&b);

    /* A hang is killed at its limit, the server goes on; a crash ends its child only. */
    fill(slot, "!hang");
    mcov_run_outcome o = run(s, 200);
    CHECK(o.kind == MCOV_RUN_TIMED_OUT && !o.server_ended && WIFSIGNALED(o.status),
          "hang: kind %d, server ended %u", o.kind, o.server_ended);
    const char *crashed = t_region_name("crashed");
    mcov_server *c = start_and_crash(MCOV_TEST_FORK_TARGET, argv, crashed, slot, "!crash");
    CHECK(t_region_edges(crashed) > 5, "the crashed child's edges stay: %llu",
          (unsigned long long)t_region_edges(crashed));
    fill(slot, "1+2");
    o = run(c, 10000);
    CHECK(o.kind == MCOV_RUN_ENDED && WIFEXITED(o.status), "after the crash: kind %d", o.kind);
    CHECK(mcov_server_stop(c, 1000) == MCOV_OK, "stop");
    CHECK(mcov_server_stop(s, 1000) == MCOV_OK, "stop");

    /* Callback modules alone at start-up, on a flag region: a child needs no lane at the fork and
     * keeps its server's descriptor. One that then loads a no-call module and opens its own view
     * takes a lane of its own, so what the module recorded stays when the child crashes. */
    const char *late = t_region_name("latelane");
    const char *callback_argv[] = {MCOV_TEST_FORK_TARGET_CALLBACK, slot_path, NULL};
    mcov_server *d = start_and_crash(MCOV_TEST_FORK_TARGET_CALLBACK, callback_argv, late, slot,
                                     "!dlopen-crash libmcov_sample_counts_inline.so");
    CHECK(mcov_server_stop(d, 1000) == MCOV_OK, "stop");
    t_region_copy lr = t_read_region(late);
    mcov_module_entry e[8];
    uint32_t n = t_read_entries(late, e, 8);
    int k = t_find_entry(e, n < 8 ? n : 8, "sample_counts");
    CHECK(k >= 0, "the loaded module has no entry");
    CHECK(e[k].base + e[k].edge_count <= lr.cursor, "the entry is past the cursor");
    CHECK(t_count(lr.map + e[k].base, e[k].edge_count) > 0,
          "what the no-call module loaded after the fork counted was lost in the child's crash");
    t_free_region(&lr);

    /* Instrumented code only dlopen'ed (mcov_worker), or a program the started one execs: no server. */
    const char *worker_argv[] = {MCOV_TEST_WORKER, "0", "1", NULL};
    int32_t ended = 0;
    CHECK(start_server(MCOV_TEST_WORKER, worker_argv, served, slot, &ended) == NULL &&
              WIFEXITED(ended) && WEXITSTATUS(ended) == 0,
          "a dlopen-only target started a server (status %#x)", (unsigned)ended);
    char script[512];
    snprintf(script, sizeof script, "exec '%s' '%s'", MCOV_TEST_FORK_TARGET, slot_path);
    const char *sh_argv[] = {"sh", "-c", script, NULL};
    fill(slot, "1+2");
    CHECK(start_server("/bin/sh", sh_argv, served, slot, &ended) == NULL && WIFEXITED(ended) &&
              WEXITSTATUS(ended) == 0,
          "an exec'd program started a server (status %#x)", (unsigned)ended);

    close(slot);
    t_cleanup();
    printf("ok\n");
    return 0;
}
