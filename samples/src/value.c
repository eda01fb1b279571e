/* Values: constructors, lists and maps, truth, equality, ordering and printing. */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

value v_null(void)
{
    value v = {.kind = V_NULL};
    return v;
}

value v_bool(int b)
{
    value v = {.kind = V_BOOL, .u.b = b != 0};
    return v;
}

value v_int(int64_t i)
{
    value v = {.kind = V_INT, .u.i = i};
    return v;
}

value v_str(ms_ctx *cx, const char *p, size_t n)
{
    char *copy = ms_alloc(cx, n + 1);
    memcpy(copy, p, n);
    value v = {.kind = V_STR, .u.s = {copy, n}};
    return v;
}

value v_list(ms_ctx *cx)
{
    value v = {.kind = V_LIST, .u.list = ms_alloc(cx, sizeof(list))};
    return v;
}

value v_map(ms_ctx *cx)
{
    value v = {.kind = V_MAP, .u.map = ms_alloc(cx, sizeof(map))};
    return v;
}

void list_push(ms_ctx *cx, list *l, value v)
{
    if (l->n == l->cap) {
        size_t grown = l->cap ? l->cap * 2 : 4;
        l->items = ms_grow(cx, l->items, l->cap * sizeof(value), grown * sizeof(value));
        l->cap = grown;
    }
    l->items[l->n++] = v;
}

value *map_find(map *m, const char *k, size_t n)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->keys[i].u.s.n == n && memcmp(m->keys[i].u.s.p, k, n) == 0)
            return &m->vals[i];
    }
    return NULL;
}

void map_set(ms_ctx *cx, map *m, value key, value v)
{
    value *slot = map_find(m, key.u.s.p, key.u.s.n);
    if (slot) {
        *slot = v;
        return;
    }
    if (m->n == m->cap) {
        size_t grown = m->cap ? m->cap * 2 : 4;
        m->keys = ms_grow(cx, m->keys, m->cap * sizeof(value), grown * sizeof(value));
        m->vals = ms_grow(cx, m->vals, m->cap * sizeof(value), grown * sizeof(value));
        m->cap = grown;
    }
    m->keys[m->n] = key;
    m->vals[m->n++] = v;
}

int v_truthy(value v)
{
    switch (v.kind) {
    case V_NULL: return 0;
    case V_BOOL: return v.u.b;
    case V_INT: return v.u.i != 0;
    case V_STR: return v.u.s.n != 0;
    case V_LIST: return v.u.list->n != 0;
    case V_MAP: return v.u.map->n != 0;
    default: return 1;
    }
}

/* Depth-bounded, because a list can contain itself. */
static void check_depth(ms_ctx *cx, int line, int depth)
{
    if (depth > MS_MAX_DEPTH)
        ms_fail(cx, 2, line, "values nested deeper than %d (a cycle?)", MS_MAX_DEPTH);
}

static int equal(ms_ctx *cx, int line, value a, value b, int depth)
{
    check_depth(cx, line, depth);
    if (a.kind != b.kind)
        return 0;
    switch (a.kind) {
    case V_NULL: return 1;
    case V_BOOL: return a.u.b == b.u.b;
    case V_INT: return a.u.i == b.u.i;
    case V_STR: return a.u.s.n == b.u.s.n && memcmp(a.u.s.p, b.u.s.p, a.u.s.n) == 0;
    case V_LIST:
        if (a.u.list->n != b.u.list->n)
            return 0;
        for (size_t i = 0; i < a.u.list->n; i++) {
            if (!equal(cx, line, a.u.list->items[i], b.u.list->items[i], depth + 1))
                return 0;
        }
        return 1;
    case V_MAP:
        if (a.u.map->n != b.u.map->n)
            return 0;
        for (size_t i = 0; i < a.u.map->n; i++) {
            value *other = map_find(b.u.map, a.u.map->keys[i].u.s.p, a.u.map->keys[i].u.s.n);
            if (other == NULL || !equal(cx, line, a.u.map->vals[i], *other, depth + 1))
                return 0;
        }
        return 1;
    case V_FUNC: return a.u.fn == b.u.fn;
    case V_BUILTIN: return a.u.builtin == b.u.builtin;
    }
    return 0;
}

int v_equal(ms_ctx *cx, int line, value a, value b)
{
    return equal(cx, line, a, b, 0);
}

/* Integers, strings and lists (element by element) are ordered; other kinds are not. */
static int compare(ms_ctx *cx, int line, value a, value b, int depth)
{
    check_depth(cx, line, depth);
    if (a.kind == V_INT && b.kind == V_INT)
        return (a.u.i > b.u.i) - (a.u.i < b.u.i);
    if (a.kind == V_STR && b.kind == V_STR) {
        size_t n = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        int c = memcmp(a.u.s.p, b.u.s.p, n);
        if (c != 0)
            return c < 0 ? -1 : 1;
        return (a.u.s.n > b.u.s.n) - (a.u.s.n < b.u.s.n);
    }
    if (a.kind == V_LIST && b.kind == V_LIST) {
        size_t n = a.u.list->n < b.u.list->n ? a.u.list->n : b.u.list->n;
        for (size_t i = 0; i < n; i++) {
            int c = compare(cx, line, a.u.list->items[i], b.u.list->items[i], depth + 1);
            if (c != 0)
                return c;
        }
        return (a.u.list->n > b.u.list->n) - (a.u.list->n < b.u.list->n);
    }
    ms_fail(cx, 2, line, "cannot order %s and %s", v_type(a), v_type(b));
}

int v_compare(ms_ctx *cx, int line, value a, value b)
{
    return compare(cx, line, a, b, 0);
}

const char *v_type(value v)
{
    static const char *const names[] = {
        "null", "bool", "int", "string", "list", "map", "function", "builtin"};
    return names[v.kind];
}

/* A growable string in the arena. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void put(ms_ctx *cx, sbuf *b, const char *s, size_t n)
{
    if (b->cap - b->n < n) {
        size_t grown = b->cap ? b->cap : 32;
        while (grown - b->n < n)
            grown *= 2;
        b->p = ms_grow(cx, b->p, b->n, grown);
        b->cap = grown;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void put_quoted(ms_ctx *cx, sbuf *b, const char *s, size_t n)
{
    put(cx, b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(cx, b, esc, 2);
        } else if (c == '\n') {
            put(cx, b, "\\n", 2);
        } else if (c == '\t') {
            put(cx, b, "\\t", 2);
        } else if (c < 0x20 || c >= 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", c);
            put(cx, b, esc, 4);
        } else {
            put(cx, b, (const char *)&s[i], 1);
        }
    }
    put(cx, b, "\"", 1);
}

static void format(ms_ctx *cx, sbuf *b, value v, int quote, int depth)
{
    char num[32];
    if (depth > MS_MAX_DEPTH)
        ms_fail(cx, 2, cx->line, "value nested too deeply to print (a cycle?)");
    switch (v.kind) {
    case V_NULL: put(cx, b, "null", 4); break;
    case V_BOOL: v.u.b ? put(cx, b, "true", 4) : put(cx, b, "false", 5); break;
    case V_INT:
        put(cx, b, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, v.u.i));
        break;
    case V_STR:
        if (quote)
            put_quoted(cx, b, v.u.s.p, v.u.s.n);
        else
            put(cx, b, v.u.s.p, v.u.s.n);
        break;
    case V_LIST:
        put(cx, b, "[", 1);
        for (size_t i = 0; i < v.u.list->n; i++) {
            if (i)
                put(cx, b, ", ", 2);
            format(cx, b, v.u.list->items[i], 1, depth + 1);
        }
        put(cx, b, "]", 1);
        break;
    case V_MAP:
        put(cx, b, "{", 1);
        for (size_t i = 0; i < v.u.map->n; i++) {
            if (i)
                put(cx, b, ", ", 2);
            put_quoted(cx, b, v.u.map->keys[i].u.s.p, v.u.map->keys[i].u.s.n);
            put(cx, b, ": ", 2);
            format(cx, b, v.u.map->vals[i], 1, depth + 1);
        }
        put(cx, b, "}", 1);
        break;
    case V_FUNC:
        put(cx, b, "<fn ", 4);
        if (v.u.fn->def->str)
            put(cx, b, v.u.fn->def->str, v.u.fn->def->len);
        else
            put(cx, b, "anonymous", 9);
        put(cx, b, ">", 1);
        break;
    case V_BUILTIN:
        put(cx, b, "<builtin ", 9);
        put(cx, b, builtin_name(v.u.builtin), strlen(builtin_name(v.u.builtin)));
        put(cx, b, ">", 1);
        break;
    }
}

/* A string as-is when quote is 0 (print's top level), else the quoted form. */
value v_to_string(ms_ctx *cx, value v, int quote)
{
    if (v.kind == V_STR && !quote)
        return v;
    sbuf b = {0};
    format(cx, &b, v, quote, 0);
    value s = {.kind = V_STR, .u.s = {b.p ? b.p : "", b.n}};
    return s;
}
