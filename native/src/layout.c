/* The hitmap layout the memcov calls speak in: the region's slots [0, cursor) first,
 * then each privately recording module's edges in registration order. */
#include <string.h>

#include "bytes.h"
#include "runtime.h"

struct mcov_layout mcov_layout_now(void)
{
    struct mcov_layout l = {0, 0};
    if (mcov_rt.attached)
        l.cursor = mcov_region_cursor(&mcov_rt.region);
    l.total = l.cursor;
    for (uint32_t i = 0; i < mcov_rt.module_count; i++)
        if (mcov_rt.modules[i].region_base < 0)
            l.total += mcov_rt.modules[i].id.edge_count;
    return l;
}

/* Bounded by the last get_total(): callers sized their buffer from it. */
struct mcov_layout mcov_layout_for_caller(void)
{
    return mcov_rt.layout_asked ? (struct mcov_layout){mcov_rt.layout_cursor, mcov_rt.layout_total}
                                : mcov_layout_now();
}

uint64_t mcov_layout_position(const struct mcov_layout *l, uint32_t module)
{
    const struct mcov_module *m = &mcov_rt.modules[module];
    if (m->region_base >= 0)
        return (uint64_t)m->region_base + m->id.edge_count <= l->cursor ? (uint64_t)m->region_base
                                                                         : UINT64_MAX;
    uint64_t pos = l->cursor;
    for (uint32_t i = 0; i < module; i++)
        if (mcov_rt.modules[i].region_base < 0)
            pos += mcov_rt.modules[i].id.edge_count;
    return pos < l->total ? pos : UINT64_MAX;
}
