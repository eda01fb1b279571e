/* The hook object memcov_instrument() links into every instrumented module.
 * Hidden visibility binds the module's calls here, directly and without the PLT, even
 * where a sanitizer runtime in the executable defines the same (weak) callbacks: this
 * holds for the trace-pc-guard callbacks and for inline-bool-flag's init alike. */
#include "memcov.h"
#include "record.h"

__attribute__((visibility("hidden"))) void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
    mcov_record(guard);
}

__attribute__((visibility("hidden"))) void __sanitizer_cov_trace_pc_guard_init(uint32_t *start,
                                                                              uint32_t *stop)
{
    mcov_register_guards(start, stop);
}

__attribute__((visibility("hidden"))) void __sanitizer_cov_bool_flag_init(_Bool *start,
                                                                         _Bool *stop)
{
    mcov_register_bools((uint8_t *)start, (uint8_t *)stop);
}

/* For -fsanitize-coverage=...,pc-table. Weak: a fuzzing engine linked into the same module
 * keeps its own. */
__attribute__((visibility("hidden"), weak)) void __sanitizer_cov_pcs_init(const uintptr_t *start,
                                                                         const uintptr_t *stop)
{
    (void)start;
    (void)stop;
}

/* This module's flags, if it has any (0 otherwise): defined by the linker, or by
 * memcov-inline.ld. */
extern uint8_t __start___sancov_bools[] __attribute__((weak, visibility("hidden")));
extern uint8_t __stop___sancov_bools[] __attribute__((weak, visibility("hidden")));

/* At dlclose (and exit) the runtime takes the flags' hits before their pages go away. */
__attribute__((destructor)) static void memcov_unregister_module_bools(void)
{
    mcov_unregister_bools(__start___sancov_bools, __stop___sancov_bools);
}
