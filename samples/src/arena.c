/* One arena per run: everything a script allocates is freed together at the end, so an
 * error can leave through longjmp without unwinding anything. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct arena_block {
    arena_block *next;
    size_t size, used;
    max_align_t data[];
};

#define BLOCK_SIZE (64u << 10)

static size_t align_up(size_t n)
{
    size_t a = sizeof(max_align_t);
    return (n + a - 1) / a * a;
}

void *ms_alloc(ms_ctx *cx, size_t size)
{
    size = align_up(size ? size : 1);
    if (size > MS_MAX_MEMORY - cx->used)
        ms_fail(cx, 2, cx->line, "out of memory (the limit is %u bytes)", MS_MAX_MEMORY);
    arena_block *b = cx->blocks;
    if (b == NULL || b->size - b->used < size) {
        size_t cap = size > BLOCK_SIZE ? size : BLOCK_SIZE;
        b = malloc(sizeof(*b) + cap);
        if (b == NULL)
            ms_fail(cx, 2, cx->line, "out of memory");
        b->size = cap;
        b->used = 0;
        b->next = cx->blocks;
        cx->blocks = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    cx->used += size;
    memset(p, 0, size);
    return p;
}

void *ms_grow(ms_ctx *cx, void *old, size_t old_size, size_t new_size)
{
    void *p = ms_alloc(cx, new_size);
    if (old_size)
        memcpy(p, old, old_size < new_size ? old_size : new_size);
    return p;
}

void ms_free_all(ms_ctx *cx)
{
    while (cx->blocks) {
        arena_block *next = cx->blocks->next;
        free(cx->blocks);
        cx->blocks = next;
    }
    cx->used = 0;
}

void ms_fail(ms_ctx *cx, int status, int line, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(cx->message, sizeof(cx->message), "line %d: ", line);
    va_start(ap, fmt);
    vsnprintf(cx->message + n, sizeof(cx->message) - (size_t)n, fmt, ap);
    va_end(ap);
    cx->status = status;
    longjmp(cx->fail, 1);
}
