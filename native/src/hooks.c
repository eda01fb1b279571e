/* The hook object memcov_instrument() links into every instrumented module.
 * Hidden visibility binds the module's calls here, directly and without the PLT, even
 * where a sanitizer runtime in the executable defines the same (weak) callbacks: this
 * holds for the trace-pc-guard callbacks and for inline-bool-flag's init alike. */
#include "memcov.h"
#include "record.h"

/* Until the runtime registers this module's copy of the hot pointers, every guard is 0 and
 * every hit lands here. */
static uint8_t s_sink[1];

/* This module's copy of the hot pointers: hidden, so the callback reaches it PC-relative. The
 * runtime writes it from the registration below until the destructor takes it back. */
__attribute__((visibility("hidden"))) struct mcov_hot mcov_module_hot = {s_sink, s_sink, NULL, NULL, NULL};

/* Aligned so that the path of an edge already hit lies in one cache line, wherever the
 * linker puts the object. */
__attribute__((visibility("hidden"), aligned(64))) void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
    mcov_record(&mcov_module_hot, guard);
}

__attribute__((visibility("hidden"))) void __sanitizer_cov_trace_pc_guard_init(uint32_t *start,
                                                                              uint32_t *stop)
{
    /* The copy first: the guards become non-zero only once it holds the window. */
    mcov_register_hot(&mcov_module_hot);
    mcov_register_guards(start, stop);
}

/* MCOV_HOOKS_GUARDS_ONLY (memcov_hooks_guards.o, for modules built with libFuzzer's
 * -fsanitize=fuzzer-no-link): only the trace-pc-guard callbacks. The inline counters and the PC
 * table of such a module are libFuzzer's, whose own inits must receive them. */
#ifndef MCOV_HOOKS_GUARDS_ONLY
__attribute__((visibility("hidden"))) void __sanitizer_cov_bool_flag_init(_Bool *start,
                                                                         _Bool *stop)
{
    mcov_register_section((uint8_t *)start, (uint8_t *)stop);
}

__attribute__((visibility("hidden"))) void __sanitizer_cov_8bit_counters_init(uint8_t *start,
                                                                            uint8_t *stop)
{
    mcov_register_counters(start, stop);
}

/* For -fsanitize-coverage=...,pc-table: the module's constructor calls it right after the init
 * above. Weak: a fuzzing engine linked into the same module (libFuzzer) keeps its own, and that
 * module's report then says it has no PC table. */
__attribute__((visibility("hidden"), weak)) void __sanitizer_cov_pcs_init(const uintptr_t *start,
                                                                         const uintptr_t *stop)
{
    mcov_register_pcs(start, stop);
}

/* This module's flags or counters, if it has any (0 otherwise): defined by the linker, or by
 * memcov-inline.ld. */
extern uint8_t __start___sancov_bools[] __attribute__((weak, visibility("hidden")));
extern uint8_t __stop___sancov_bools[] __attribute__((weak, visibility("hidden")));
extern uint8_t __start___sancov_cntrs[] __attribute__((weak, visibility("hidden")));
extern uint8_t __stop___sancov_cntrs[] __attribute__((weak, visibility("hidden")));

#endif

/* The note that says this module calls the late constructor below (hook_abi.h): in assembly, so
 * that no sanitizer pads it (a padded note would break the walk over the module's notes), and
 * kept by the linker's garbage collection ("R", SHF_GNU_RETAIN). */
__asm__(".pushsection .note.memcov,\"aR\",@note\n"
        ".balign 4\n"
        ".long 7\n"          /* namesz: "memcov" and its NUL */
        ".long 0\n"          /* descsz */
        ".long 0x4d430001\n" /* MCOV_HOOKS_NOTE_TYPE */
        ".asciz \"memcov\"\n"
        ".balign 4\n"
        ".popsection\n");

/* Late: after the module's own inits above (priority 2) and its default-priority constructors
 * linked before this object. */
__attribute__((constructor)) static void memcov_fork_server_point(void)
{
    mcov_fork_server_point((const void *)(uintptr_t)&memcov_fork_server_point);
}

/* At dlclose (and exit) the runtime takes the section's hits before its pages go away, and
 * stops writing this module's copy of the hot pointers. */
__attribute__((destructor)) static void memcov_unregister_module(void)
{
#ifndef MCOV_HOOKS_GUARDS_ONLY
    mcov_unregister_section(__start___sancov_bools, __stop___sancov_bools);
    mcov_unregister_section(__start___sancov_cntrs, __stop___sancov_cntrs);
#endif
    mcov_unregister_hot(&mcov_module_hot);
}
