/* The exported trace-pc-guard callbacks of libmemcov.so, for modules compiled with
 * -fsanitize-coverage=trace-pc-guard and linked with -lmemcov alone. */
#include "memcov.h"
#include "record.h"

/* Guards read 0 until their module registers: before the first module, every
 * hit lands here, so the hot path needs no null or bounds check. */
static uint8_t s_fallback_map[1];

struct mcov_hot mcov_hot = {s_fallback_map, s_fallback_map};

MCOV_API void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
    mcov_record(guard);
}

MCOV_API void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop)
{
    mcov_register_guards(start, stop);
}
