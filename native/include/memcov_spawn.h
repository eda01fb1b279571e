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

MCOV_STATIC_ASSERT(sizeof(mcov_spawn_request) == 56, "spawn request is 56 bytes");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_spawn_request, stdin_fd) == 24, "stdin_fd offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_spawn_request, keep_fds) == 40, "keep_fds offset");
MCOV_STATIC_ASSERT(__builtin_offsetof(mcov_spawn_request, keep_count) == 48, "keep_count offset");

#ifdef __cplusplus
}
#endif

#endif
