/* Starting the programs a tool runs (memcov run's targets) so that none outlives its tool: each
 * target runs in a process group of its own and is killed when the tool dies
 * (PR_SET_PDEATHSIG, armed from one long-lived thread of libmemcov's, since the kernel ties it to
 * the spawning thread), and its wait status comes back raw, so that a target's own exit(139) is
 * not mistaken for a crash. docs/semantics.md, "Running targets", says how far this reaches. */
#ifndef MEMCOV_SPAWN_H
#define MEMCOV_SPAWN_H

#include <stdint.h>

#include "memcov.h"
#include "memcov_region.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mcov_spawn_request {
    const char *path;         /* the program, a path (no PATH search) */
    const char *const *argv;  /* NULL-terminated; argv[0] is what the target sees */
    const char *const *envp;  /* NULL-terminated: the target's whole environment */
    int32_t stdin_fd;         /* the target's descriptors 0, 1, 2: -1 means /dev/null */
    int32_t stdout_fd;
    int32_t stderr_fd;
    const int32_t *keep_fds;  /* more descriptors the target keeps, at the same numbers */
    uint32_t keep_count;
    uint32_t reserved;        /* 0 */
} mcov_spawn_request;

/* Start a target; *pid receives its pid (also its process group). MCOV_E_NOT_FOUND when the
 * program is not there, MCOV_E_PERMISSION when it may not be run, MCOV_E_SYSTEM otherwise; the
 * message says which. */
MCOV_API int mcov_spawn(const mcov_spawn_request *request, int32_t *pid);
/* Wait up to timeout_ms (-1: without limit) for target pid to end. 0 and *status = its raw wait
 * status (WIFEXITED/WIFSIGNALED apply) once it ended, after the rest of its process group is
 * killed; 1 if it still runs. */
MCOV_API int mcov_spawn_wait(int32_t pid, int32_t timeout_ms, int32_t *status);
/* SIGKILL target pid and its process group; the target must still be waited for. */
MCOV_API int mcov_spawn_kill(int32_t pid);

/* --- Servers: a process that runs many inputs, one request at a time ---
 * A server is started like a target, with two pipes it finds through $MEMCOV_SERVER_FDS: the
 * harness worker (memcov-harness, one process calling LLVMFuzzerTestOneInput per input). Each
 * run says how it went in an mcov_run_outcome. */
typedef struct mcov_server mcov_server;

enum mcov_run_kind {
    MCOV_RUN_RETURNED = 0,   /* the input ran and returned; status: what the entry point returned */
    MCOV_RUN_ENDED = 1,      /* the process running the input ended; status: its raw wait status */
    MCOV_RUN_TIMED_OUT = 2,  /* killed after the run's time limit */
    MCOV_RUN_UNREADABLE = 3, /* the input could not be read; status: errno */
    MCOV_RUN_NOT_RUN = 4,    /* the server had ended before the request: run the input again */
};

typedef struct mcov_run_outcome {
    int32_t kind;          /* enum mcov_run_kind */
    int32_t status;
    int32_t pid;           /* the process that ran the input */
    uint32_t server_ended; /* 1: the server is gone (waited for); start another */
} mcov_run_outcome;

/* Start a server as mcov_spawn starts a target (the request's envp gains MEMCOV_SERVER_FDS and
 * MEMCOV_SERVER_EXE); *server is valid until mcov_server_stop, whatever happens. MCOV_E_NOT_FOUND
 * / MCOV_E_PERMISSION as mcov_spawn. Then wait for it to be ready with mcov_server_ready (from
 * another thread, mcov_server_kill stops the wait). */
MCOV_API int mcov_server_start(const mcov_spawn_request *request, mcov_server **server);
/* Wait up to hello_timeout_ms (-1: without limit) for the server to say it is ready. MCOV_OK;
 * MCOV_E_SYSTEM, with *status its raw wait status, when it ended or was killed before that (-1
 * when it did not end: killed at the limit); MCOV_E_VERSION for another protocol version. */
MCOV_API int mcov_server_ready(mcov_server *server, int32_t hello_timeout_ms, int32_t *status);
/* Run one input (a path; NULL for none) with a time limit (> 0). Returns MCOV_OK with *outcome
 * filled, or an error for bad arguments. Only one run at a time per server. */
MCOV_API int mcov_server_run(mcov_server *server, const char *input, int32_t timeout_ms,
                             mcov_run_outcome *outcome);
/* SIGKILL the server, its process group and the run under way (a fork server's child and its
 * process group too), from any thread; the run then ends with MCOV_RUN_ENDED. */
MCOV_API int mcov_server_kill(mcov_server *server);
/* Tell the server to end, SIGKILL it after grace_ms, wait for it and free the handle. */
MCOV_API int mcov_server_stop(mcov_server *server, int32_t grace_ms);

MCOV_STATIC_ASSERT(sizeof(mcov_spawn_request) == 56, "spawn request is 56 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_spawn_request, stdin_fd) == 24, "stdin_fd offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_spawn_request, keep_fds) == 40, "keep_fds offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_spawn_request, keep_count) == 48, "keep_count offset");
MCOV_STATIC_ASSERT(sizeof(mcov_run_outcome) == 16, "run outcome is 16 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_run_outcome, status) == 4, "status offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_run_outcome, pid) == 8, "pid offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_run_outcome, server_ended) == 12, "server_ended offset");

#ifdef __cplusplus
}
#endif

#endif
