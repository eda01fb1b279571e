/* What the hook object of memcov_instrument() and libmemcov.so share: the pointers the hot path
 * reads and the calls through which a module registers. Every instrumented module imports these
 * calls, so libmemcov.so exports them, in the private version node of libmemcov.map; they are
 * not part of memcov.h, and a change here changes the soname. */
#ifndef MEMCOV_HOOK_ABI_H
#define MEMCOV_HOOK_ABI_H

#include <stdint.h>

#include "memcov.h"

/* The pointers one edge hit needs. Every module's hook object has a hidden copy of its own,
 * which the runtime registered (mcov_register_hot) and keeps up to date under its lock, so the
 * hook reaches it PC-relative: no GOT, no call. libmemcov.so's exported callback uses the
 * runtime's copy, also hidden. Every pointer is indexed by slot (guard value):
 *   test: what the one test of a hit reads: the base on the base view, the own view while one
 *         is open. Every edge an own view has is in the base too (its first hit took the second
 *         path, which writes both; set_hitmap and deserialize OR into both), so either way an
 *         edge already recorded costs one test.
 *   base: always valid: a static sink before the windows exist (every guard is 0 until its
 *         module registers), then the process's window (region slices or private pages).
 *   own:  the own view's window while one is open, else NULL.
 *   count: in a hit-count region, the own window, whose module slices map the process's lane:
 *         every hit counts there (test is then a window of zeros); else NULL. */
struct mcov_hot {
    uint8_t *test;
    uint8_t *base;
    uint8_t *own;
    struct mcov_hot *next; /* the runtime's list of registered copies: no allocation */
    uint8_t *count;
};

/* Register a module's trace-pc-guard section; idempotent. */
MCOV_API void mcov_register_guards(uint32_t *start, uint32_t *stop);
/* Register a module's no-call section of flags (__sancov_bools of inline-bool-flag); idempotent. */
MCOV_API void mcov_register_section(uint8_t *start, uint8_t *stop);
/* Register a module's no-call section of counters (__sancov_cntrs of inline-8bit-counters), which
 * records into the process's lane in every view; idempotent. */
MCOV_API void mcov_register_counters(uint8_t *start, uint8_t *stop);
/* A module's PC table (__sancov_pcs of pc-table: a (PC, flags) pair per edge, in the order of its
 * guards, flags or counters), registered right after them; the runtime keeps it beside the
 * region the module joins. */
MCOV_API void mcov_register_pcs(const uintptr_t *start, const uintptr_t *stop);
/* The module of that section is unloading: take its hits and stop reading it. */
MCOV_API void mcov_unregister_section(uint8_t *start, uint8_t *stop);
/* A hook object's copy of the hot pointers: the runtime sets it now and keeps it up to date
 * until it is unregistered (the module unloads); idempotent. */
MCOV_API void mcov_register_hot(struct mcov_hot *hot);
MCOV_API void mcov_unregister_hot(struct mcov_hot *hot);

/* Every hook object carries this ELF note (a PT_NOTE of its module; hooks.c writes it in
 * assembly, with these values): how the fork server tells the modules that will call the late
 * constructor below from those that never will. */
#define MCOV_HOOKS_NOTE_NAME "memcov"
#define MCOV_HOOKS_NOTE_TYPE 0x4d430001u

/* The hook object's late constructor: the fork server of `memcov run` starts in the last of these
 * to run at start-up (forkserver.c). caller: an address inside the calling module. */
MCOV_API void mcov_fork_server_point(const void *caller);

#endif
