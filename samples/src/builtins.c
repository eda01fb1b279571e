/* Built-in functions. Each checks its arguments' count and kinds, so a wrong call is a
 * runtime error naming the function. */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "internal.h"

typedef value (*call_fn)(ms_ctx *, int, value, value *, size_t);

enum {
    B_LEN, B_STR, B_INT, B_TYPE, B_REPR, B_UPPER, B_LOWER, B_TRIM, B_ABS, B_MIN, B_MAX,
    B_SUM, B_PUSH, B_POP, B_KEYS, B_VALUES, B_RANGE, B_JOIN, B_SPLIT, B_SORT, B_REVERSE,
    B_SLICE, B_FIND, B_REPLACE, B_ORD, B_CHR, B_MAP, B_FILTER, B_REDUCE, B_ANY, B_ALL,
    B_STARTS, B_ENDS, B_HEX, B_COUNT
};

static const struct {
    const char *name;
    int min_args, max_args;
} builtins[B_COUNT] = {
    [B_LEN] = {"len", 1, 1}, [B_STR] = {"str", 1, 1}, [B_INT] = {"int", 1, 2},
    [B_TYPE] = {"type", 1, 1}, [B_REPR] = {"repr", 1, 1}, [B_UPPER] = {"upper", 1, 1},
    [B_LOWER] = {"lower", 1, 1}, [B_TRIM] = {"trim", 1, 1}, [B_ABS] = {"abs", 1, 1},
    [B_MIN] = {"min", 1, 8}, [B_MAX] = {"max", 1, 8}, [B_SUM] = {"sum", 1, 1},
    [B_PUSH] = {"push", 2, 2}, [B_POP] = {"pop", 1, 1}, [B_KEYS] = {"keys", 1, 1},
    [B_VALUES] = {"values", 1, 1}, [B_RANGE] = {"range", 1, 3}, [B_JOIN] = {"join", 1, 2},
    [B_SPLIT] = {"split", 1, 2}, [B_SORT] = {"sort", 1, 1}, [B_REVERSE] = {"reverse", 1, 1},
    [B_SLICE] = {"slice", 2, 3}, [B_FIND] = {"find", 2, 2}, [B_REPLACE] = {"replace", 3, 3},
    [B_ORD] = {"ord", 1, 1}, [B_CHR] = {"chr", 1, 1}, [B_MAP] = {"map", 2, 2},
    [B_FILTER] = {"filter", 2, 2}, [B_REDUCE] = {"reduce", 3, 3}, [B_ANY] = {"any", 1, 1},
    [B_ALL] = {"all", 1, 1}, [B_STARTS] = {"startswith", 2, 2},
    [B_ENDS] = {"endswith", 2, 2}, [B_HEX] = {"hex", 1, 1},
};

int builtin_find(const char *name, size_t len)
{
    for (int i = 0; i < B_COUNT; i++) {
        if (strlen(builtins[i].name) == len && memcmp(builtins[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

const char *builtin_name(int id)
{
    return builtins[id].name;
}

static void want(ms_ctx *cx, int id, int line, value v, enum value_kind kind, int arg)
{
    if (v.kind != kind) {
        value k = {.kind = kind};
        ms_fail(cx, 2, line, "%s: argument %d must be a %s, not %s", builtins[id].name, arg + 1,
            v_type(k), v_type(v));
    }
}

static value to_int(ms_ctx *cx, int line, value *args, size_t n)
{
    int base = 10;
    if (n == 2) {
        want(cx, B_INT, line, args[1], V_INT, 1);
        if (args[1].u.i < 2 || args[1].u.i > 16)
            ms_fail(cx, 2, line, "int: base must be 2 to 16");
        base = (int)args[1].u.i;
    }
    switch (args[0].kind) {
    case V_INT: return args[0];
    case V_BOOL: return v_int(args[0].u.b);
    case V_STR: break;
    default: ms_fail(cx, 2, line, "int: cannot convert a %s", v_type(args[0]));
    }
    const char *p = args[0].u.s.p, *end = p + args[0].u.s.n;
    int neg = 0;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    if (p == end)
        ms_fail(cx, 2, line, "int: no digits in \"%.*s\"", (int)args[0].u.s.n, args[0].u.s.p);
    int64_t v = 0;
    for (; p < end; p++) {
        int c = tolower((unsigned char)*p), d;
        if (isdigit(c))
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            d = 99;
        if (d >= base)
            ms_fail(cx, 2, line, "int: bad digit '%c' for base %d", *p, base);
        if (v > (INT64_MAX - d) / base)
            ms_fail(cx, 2, line, "int: value too large");
        v = v * base + d;
    }
    return v_int(neg ? -v : v);
}

static value change_case(ms_ctx *cx, value s, int upper)
{
    value out = v_str(cx, s.u.s.p, s.u.s.n);
    char *p = (char *)out.u.s.p;
    for (size_t i = 0; i < out.u.s.n; i++)
        p[i] = (char)(upper ? toupper((unsigned char)p[i]) : tolower((unsigned char)p[i]));
    return out;
}

/* min/max over the arguments, or over one list argument. */
static value extreme(ms_ctx *cx, int line, value *args, size_t n, int sign)
{
    if (n == 1 && args[0].kind == V_LIST) {
        list *l = args[0].u.list;
        args = l->items;
        n = l->n;
    }
    if (n == 0)
        ms_fail(cx, 2, line, "%s of nothing", sign > 0 ? "max" : "min");
    value best = args[0];
    for (size_t i = 1; i < n; i++) {
        if (v_compare(cx, line, args[i], best) * sign > 0)
            best = args[i];
    }
    return best;
}

static value range(ms_ctx *cx, int line, value *args, size_t n)
{
    int64_t start = 0, stop, by = 1;
    for (size_t i = 0; i < n; i++)
        want(cx, B_RANGE, line, args[i], V_INT, (int)i);
    if (n == 1) {
        stop = args[0].u.i;
    } else {
        start = args[0].u.i;
        stop = args[1].u.i;
        if (n == 3)
            by = args[2].u.i;
    }
    if (by == 0)
        ms_fail(cx, 2, line, "range: step must not be 0");
    value out = v_list(cx);
    for (int64_t i = start; by > 0 ? i < stop : i > stop; i += by) {
        cx->steps++;
        if (cx->steps > MS_MAX_STEPS)
            ms_fail(cx, 2, line, "step limit of %d reached", MS_MAX_STEPS);
        list_push(cx, out.u.list, v_int(i));
        if ((by > 0 && i > INT64_MAX - by) || (by < 0 && i < INT64_MIN - by))
            break;
    }
    return out;
}

static value join(ms_ctx *cx, int line, value *args, size_t n)
{
    want(cx, B_JOIN, line, args[0], V_LIST, 0);
    value sep = n == 2 ? args[1] : v_str(cx, "", 0);
    want(cx, B_JOIN, line, sep, V_STR, 1);
    value out = v_str(cx, "", 0);
    for (size_t i = 0; i < args[0].u.list->n; i++) {
        value part = v_to_string(cx, args[0].u.list->items[i], 0);
        size_t len = out.u.s.n + (i ? sep.u.s.n : 0) + part.u.s.n;
        char *p = ms_alloc(cx, len + 1);
        memcpy(p, out.u.s.p, out.u.s.n);
        if (i)
            memcpy(p + out.u.s.n, sep.u.s.p, sep.u.s.n);
        memcpy(p + len - part.u.s.n, part.u.s.p, part.u.s.n);
        out.u.s.p = p;
        out.u.s.n = len;
    }
    return out;
}

static value split(ms_ctx *cx, int line, value *args, size_t n)
{
    want(cx, B_SPLIT, line, args[0], V_STR, 0);
    const char *s = args[0].u.s.p;
    size_t len = args[0].u.s.n;
    value out = v_list(cx);
    if (n == 1) {
        /* No separator: split on runs of white space, as Python does. */
        size_t i = 0;
        while (i < len) {
            while (i < len && isspace((unsigned char)s[i]))
                i++;
            size_t start = i;
            while (i < len && !isspace((unsigned char)s[i]))
                i++;
            if (i > start)
                list_push(cx, out.u.list, v_str(cx, s + start, i - start));
        }
        return out;
    }
    want(cx, B_SPLIT, line, args[1], V_STR, 1);
    size_t sn = args[1].u.s.n;
    if (sn == 0)
        ms_fail(cx, 2, line, "split: empty separator");
    size_t start = 0;
    for (size_t i = 0; i + sn <= len;) {
        if (memcmp(s + i, args[1].u.s.p, sn) == 0) {
            list_push(cx, out.u.list, v_str(cx, s + start, i - start));
            i += sn;
            start = i;
        } else {
            i++;
        }
    }
    list_push(cx, out.u.list, v_str(cx, s + start, len - start));
    return out;
}

/* Insertion sort: stable, and every comparison is a counted step. */
static value sort(ms_ctx *cx, int line, value l)
{
    want(cx, B_SORT, line, l, V_LIST, 0);
    value out = v_list(cx);
    for (size_t i = 0; i < l.u.list->n; i++)
        list_push(cx, out.u.list, l.u.list->items[i]);
    value *a = out.u.list->items;
    for (size_t i = 1; i < out.u.list->n; i++) {
        value v = a[i];
        size_t j = i;
        while (j > 0 && v_compare(cx, line, a[j - 1], v) > 0) {
            if (++cx->steps > MS_MAX_STEPS)
                ms_fail(cx, 2, line, "step limit of %d reached", MS_MAX_STEPS);
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
    return out;
}

static int64_t clamp_index(int64_t i, size_t len)
{
    if (i < 0)
        i += (int64_t)len;
    if (i < 0)
        return 0;
    return (uint64_t)i > len ? (int64_t)len : i;
}

static value slice(ms_ctx *cx, int line, value *args, size_t n)
{
    want(cx, B_SLICE, line, args[1], V_INT, 1);
    if (n == 3)
        want(cx, B_SLICE, line, args[2], V_INT, 2);
    size_t len;
    if (args[0].kind == V_STR)
        len = args[0].u.s.n;
    else if (args[0].kind == V_LIST)
        len = args[0].u.list->n;
    else
        ms_fail(cx, 2, line, "slice: cannot slice a %s", v_type(args[0]));
    size_t from = (size_t)clamp_index(args[1].u.i, len);
    size_t to = n == 3 ? (size_t)clamp_index(args[2].u.i, len) : len;
    if (to < from)
        to = from;
    if (args[0].kind == V_STR)
        return v_str(cx, args[0].u.s.p + from, to - from);
    value out = v_list(cx);
    for (size_t i = from; i < to; i++)
        list_push(cx, out.u.list, args[0].u.list->items[i]);
    return out;
}

static int64_t find(ms_ctx *cx, int line, value hay, value needle)
{
    if (hay.kind == V_LIST) {
        for (size_t i = 0; i < hay.u.list->n; i++) {
            if (v_equal(cx, line, hay.u.list->items[i], needle))
                return (int64_t)i;
        }
        return -1;
    }
    want(cx, B_FIND, line, hay, V_STR, 0);
    want(cx, B_FIND, line, needle, V_STR, 1);
    for (size_t i = 0; i + needle.u.s.n <= hay.u.s.n; i++) {
        if (memcmp(hay.u.s.p + i, needle.u.s.p, needle.u.s.n) == 0)
            return (int64_t)i;
    }
    return -1;
}

static value replace(ms_ctx *cx, int line, value *args)
{
    for (int i = 0; i < 3; i++)
        want(cx, B_REPLACE, line, args[i], V_STR, i);
    if (args[1].u.s.n == 0)
        ms_fail(cx, 2, line, "replace: empty pattern");
    value parts[2] = {args[0], args[1]};
    value pieces = split(cx, line, parts, 2);
    value glue[2] = {pieces, args[2]};
    return join(cx, line, glue, 2);
}

static value higher_order(ms_ctx *cx, int id, int line, value *args, call_fn call)
{
    want(cx, id, line, args[1], V_LIST, 1);
    value out = id == B_REDUCE ? args[2] : v_list(cx);
    list *l = args[1].u.list;
    for (size_t i = 0; i < l->n; i++) {
        value item = l->items[i];
        if (id == B_MAP) {
            list_push(cx, out.u.list, call(cx, line, args[0], &item, 1));
        } else if (id == B_FILTER) {
            if (v_truthy(call(cx, line, args[0], &item, 1)))
                list_push(cx, out.u.list, item);
        } else {
            value pair[2] = {out, item};
            out = call(cx, line, args[0], pair, 2);
        }
    }
    return out;
}

static value quantifier(ms_ctx *cx, int id, int line, value l)
{
    want(cx, id, line, l, V_LIST, 0);
    for (size_t i = 0; i < l.u.list->n; i++) {
        int t = v_truthy(l.u.list->items[i]);
        if (id == B_ANY && t)
            return v_bool(1);
        if (id == B_ALL && !t)
            return v_bool(0);
    }
    return v_bool(id == B_ALL);
}

static value affix(ms_ctx *cx, int id, int line, value s, value part)
{
    want(cx, id, line, s, V_STR, 0);
    want(cx, id, line, part, V_STR, 1);
    if (part.u.s.n > s.u.s.n)
        return v_bool(0);
    size_t at = id == B_STARTS ? 0 : s.u.s.n - part.u.s.n;
    return v_bool(memcmp(s.u.s.p + at, part.u.s.p, part.u.s.n) == 0);
}

static value trim(ms_ctx *cx, int line, value s)
{
    want(cx, B_TRIM, line, s, V_STR, 0);
    size_t a = 0, b = s.u.s.n;
    while (a < b && isspace((unsigned char)s.u.s.p[a]))
        a++;
    while (b > a && isspace((unsigned char)s.u.s.p[b - 1]))
        b--;
    return v_str(cx, s.u.s.p + a, b - a);
}

value builtin_call(ms_ctx *cx, int id, int line, value *args, size_t n, call_fn call)
{
    if (n < (size_t)builtins[id].min_args || n > (size_t)builtins[id].max_args) {
        if (builtins[id].min_args == builtins[id].max_args)
            ms_fail(cx, 2, line, "%s takes %d argument(s), %zu given", builtins[id].name,
                builtins[id].min_args, n);
        ms_fail(cx, 2, line, "%s takes %d to %d arguments, %zu given", builtins[id].name,
            builtins[id].min_args, builtins[id].max_args, n);
    }
    value a = args[0];
    char buf[32];
    switch (id) {
    case B_LEN:
        if (a.kind == V_STR)
            return v_int((int64_t)a.u.s.n);
        if (a.kind == V_LIST)
            return v_int((int64_t)a.u.list->n);
        if (a.kind == V_MAP)
            return v_int((int64_t)a.u.map->n);
        ms_fail(cx, 2, line, "len: %s has no length", v_type(a));
    case B_STR: return v_to_string(cx, a, 0);
    case B_REPR: return v_to_string(cx, a, 1);
    case B_INT: return to_int(cx, line, args, n);
    case B_TYPE: { const char *t = v_type(a); return v_str(cx, t, strlen(t)); }
    case B_UPPER:
    case B_LOWER:
        want(cx, id, line, a, V_STR, 0);
        return change_case(cx, a, id == B_UPPER);
    case B_TRIM: return trim(cx, line, a);
    case B_ABS:
        want(cx, id, line, a, V_INT, 0);
        if (a.u.i == INT64_MIN)
            ms_fail(cx, 2, line, "integer overflow");
        return v_int(a.u.i < 0 ? -a.u.i : a.u.i);
    case B_MIN: return extreme(cx, line, args, n, -1);
    case B_MAX: return extreme(cx, line, args, n, 1);
    case B_SUM: {
        want(cx, id, line, a, V_LIST, 0);
        int64_t total = 0;
        for (size_t i = 0; i < a.u.list->n; i++) {
            want(cx, id, line, a.u.list->items[i], V_INT, 0);
            if (__builtin_add_overflow(total, a.u.list->items[i].u.i, &total))
                ms_fail(cx, 2, line, "integer overflow");
        }
        return v_int(total);
    }
    case B_PUSH:
        want(cx, id, line, a, V_LIST, 0);
        list_push(cx, a.u.list, args[1]);
        return a;
    case B_POP:
        want(cx, id, line, a, V_LIST, 0);
        if (a.u.list->n == 0)
            ms_fail(cx, 2, line, "pop from an empty list");
        return a.u.list->items[--a.u.list->n];
    case B_KEYS:
    case B_VALUES: {
        want(cx, id, line, a, V_MAP, 0);
        value out = v_list(cx);
        for (size_t i = 0; i < a.u.map->n; i++)
            list_push(cx, out.u.list, id == B_KEYS ? a.u.map->keys[i] : a.u.map->vals[i]);
        return out;
    }
    case B_RANGE: return range(cx, line, args, n);
    case B_JOIN: return join(cx, line, args, n);
    case B_SPLIT: return split(cx, line, args, n);
    case B_SORT: return sort(cx, line, a);
    case B_REVERSE: {
        if (a.kind == V_STR) {
            value out = v_str(cx, a.u.s.p, a.u.s.n);
            char *p = (char *)out.u.s.p;
            for (size_t i = 0; i < a.u.s.n; i++)
                p[i] = a.u.s.p[a.u.s.n - 1 - i];
            return out;
        }
        want(cx, id, line, a, V_LIST, 0);
        value out = v_list(cx);
        for (size_t i = a.u.list->n; i > 0; i--)
            list_push(cx, out.u.list, a.u.list->items[i - 1]);
        return out;
    }
    case B_SLICE: return slice(cx, line, args, n);
    case B_FIND: return v_int(find(cx, line, a, args[1]));
    case B_REPLACE: return replace(cx, line, args);
    case B_ORD:
        want(cx, id, line, a, V_STR, 0);
        if (a.u.s.n != 1)
            ms_fail(cx, 2, line, "ord: needs one character, got %zu", a.u.s.n);
        return v_int((unsigned char)a.u.s.p[0]);
    case B_CHR:
        want(cx, id, line, a, V_INT, 0);
        if (a.u.i < 0 || a.u.i > 255)
            ms_fail(cx, 2, line, "chr: %" PRId64 " is not a byte", a.u.i);
        buf[0] = (char)a.u.i;
        return v_str(cx, buf, 1);
    case B_MAP:
    case B_FILTER:
    case B_REDUCE:
        return higher_order(cx, id, line, args, call);
    case B_ANY:
    case B_ALL:
        return quantifier(cx, id, line, a);
    case B_STARTS:
    case B_ENDS:
        return affix(cx, id, line, a, args[1]);
    case B_HEX:
        want(cx, id, line, a, V_INT, 0);
        if (a.u.i < 0)
            return v_str(cx, buf, (size_t)snprintf(buf, sizeof(buf), "-0x%" PRIx64,
                (uint64_t)0 - (uint64_t)a.u.i));
        return v_str(cx, buf, (size_t)snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)a.u.i));
    }
    ms_fail(cx, 2, line, "unknown builtin %d", id);
}
