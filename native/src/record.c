/* The exported callbacks of libmemcov.so, for modules compiled with
 * -fsanitize-coverage=trace-pc-guard (or a no-call mode) and linked with -lmemcov alone. */
#include "memcov.h"
#include "record.h"
#include "runtime.h"

/* Guards read 0 until their module registers: before the first module, every
 * hit lands here, so the hot path needs no null or bounds check. */
static uint8_t s_fallback_map[1];

/* The copy the exported callback reads; window.c keeps it and every registered copy equal. */
MCOV_HIDDEN struct mcov_hot mcov_hot = {s_fallback_map, s_fallback_map, NULL, NULL, NULL};

MCOV_API __attribute__((aligned(64))) void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
    mcov_record(&mcov_hot, guard);
}

MCOV_API void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop)
{
    mcov_register_guards(start, stop);
}

MCOV_API void __sanitizer_cov_bool_flag_init(_Bool *start, _Bool *stop)
{
    mcov_register_section((uint8_t *)start, (uint8_t *)stop);
}

MCOV_API void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop)
{
    mcov_register_counters(start, stop);
}

MCOV_API void __sanitizer_cov_pcs_init(const uintptr_t *start, const uintptr_t *stop)
{
    mcov_register_pcs(start, stop);
}
