/* The hook object memcov_instrument() links into every instrumented module.
 * Hidden visibility binds the module's calls here, directly and without the PLT, even
 * where a sanitizer runtime in the executable defines the same (weak) callbacks. */
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
