/* What a runner (server.c) and a server (the harness worker, native/harness/worker.c; the fork
 * server, forkserver.c) say to
 * each other over two pipes, both ends built from this one definition. The server finds its ends
 * in $MEMCOV_SERVER_FDS ("REQUESTS,REPLIES": descriptor numbers), says hello once it is ready,
 * then answers each request with one reply, in order. Every message is smaller than PIPE_BUF,
 * so it is written whole or not at all. */
#ifndef MEMCOV_SERVER_PROTOCOL_H
#define MEMCOV_SERVER_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MCOV_SERVER_FDS_ENV "MEMCOV_SERVER_FDS"
/* "DEV:INO" of the program the runner started: a fork server starts only in that program, not in
 * one it exec'd. */
#define MCOV_SERVER_EXE_ENV "MEMCOV_SERVER_EXE"
/* A fork server's: the descriptor number each child gets its input at, opened from the request's
 * path (0: stdin; a number the runner kept open for it, named as /dev/fd/N in the arguments). */
#define MCOV_SERVER_INPUT_ENV "MEMCOV_SERVER_INPUT"
/* Set beside LD_BIND_NOW=1 when the runner set that, for the fork server to remove both. */
#define MCOV_SERVER_BIND_NOW_ENV "MEMCOV_SERVER_BIND_NOW"
#define MCOV_SERVER_MAGIC 0x5653434du /* "MCSV" */
#define MCOV_SERVER_VERSION 1u
/* The longest input path a request carries: with its header, one atomic pipe write. */
#define MCOV_SERVER_MAX_PATH 4000u

struct mcov_server_hello {
    uint32_t magic;
    uint32_t version;
    int32_t pid;
    uint32_t flags;
};

/* hello.flags: the server kills a run at its time limit itself (a fork server kills the child,
 * not itself); the runner waits a little longer before it kills the server. */
#define MCOV_SERVER_TIMES_RUNS 1u

/* Followed by path_len bytes of the input's path (no NUL); path_len 0: no input. */
struct mcov_server_request {
    uint32_t timeout_ms;
    uint32_t path_len;
};

/* kind, status and pid as mcov_run_outcome's (memcov_spawn.h). */
struct mcov_server_reply {
    int32_t kind;
    int32_t status;
    int32_t pid;
    uint32_t reserved;
};

/* $MEMCOV_SERVER_FDS ("REQUESTS,REPLIES") read whole: false when it is missing or anything else. */
static inline bool mcov_server_fds(const char *text, int *requests, int *replies)
{
    int end = 0;
    return text && sscanf(text, "%d,%d%n", requests, replies, &end) == 2 && text[end] == '\0' &&
           *requests >= 0 && *replies >= 0;
}

_Static_assert(sizeof(struct mcov_server_hello) == 16, "hello is 16 bytes");
_Static_assert(sizeof(struct mcov_server_request) == 8, "request header is 8 bytes");
_Static_assert(sizeof(struct mcov_server_reply) == 16, "reply is 16 bytes");

#endif
