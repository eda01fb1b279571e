/* The tree-walking interpreter. Every step is counted and calls are bounded, so each
 * script ends: with its output, or with one runtime error. */
#include <string.h>

#include "internal.h"

enum flow { F_NEXT, F_BREAK, F_CONTINUE, F_RETURN };

static value eval(ms_ctx *cx, scope *sc, const node *n);
static enum flow exec(ms_ctx *cx, scope *sc, const node *n);

static void step(ms_ctx *cx, int line)
{
    cx->line = line;
    if (++cx->steps > MS_MAX_STEPS)
        ms_fail(cx, 2, line, "step limit of %d reached", MS_MAX_STEPS);
}

static scope *new_scope(ms_ctx *cx, scope *parent)
{
    scope *s = ms_alloc(cx, sizeof(*s));
    s->parent = parent;
    return s;
}

static value *scope_slot(scope *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->lens[i] == len && memcmp(s->names[i], name, len) == 0)
            return &s->vals[i];
    }
    return NULL;
}

static void define(ms_ctx *cx, scope *s, const char *name, size_t len, value v)
{
    value *slot = scope_slot(s, name, len);
    if (slot) {
        *slot = v;
        return;
    }
    if (s->n == s->cap) {
        size_t grown = s->cap ? s->cap * 2 : 8;
        s->names = ms_grow(cx, s->names, s->cap * sizeof(char *), grown * sizeof(char *));
        s->lens = ms_grow(cx, s->lens, s->cap * sizeof(size_t), grown * sizeof(size_t));
        s->vals = ms_grow(cx, s->vals, s->cap * sizeof(value), grown * sizeof(value));
        s->cap = grown;
    }
    s->names[s->n] = name;
    s->lens[s->n] = len;
    s->vals[s->n++] = v;
}

static value *lookup(scope *s, const char *name, size_t len)
{
    for (; s; s = s->parent) {
        value *slot = scope_slot(s, name, len);
        if (slot)
            return slot;
    }
    return NULL;
}

static value variable(ms_ctx *cx, scope *sc, const node *n)
{
    value *slot = lookup(sc, n->str, n->len);
    if (slot)
        return *slot;
    int id = builtin_find(n->str, n->len);
    if (id >= 0) {
        value v = {.kind = V_BUILTIN, .u.builtin = id};
        return v;
    }
    ms_fail(cx, 2, n->line, "'%.*s' is not defined", (int)n->len, n->str);
}

static int64_t checked(ms_ctx *cx, int line, int overflow, int64_t result)
{
    if (overflow)
        ms_fail(cx, 2, line, "integer overflow");
    return result;
}

static value repeat(ms_ctx *cx, int line, value seq, int64_t times)
{
    if (times < 0)
        ms_fail(cx, 2, line, "cannot repeat a %s %lld times", v_type(seq), (long long)times);
    if (seq.kind == V_STR) {
        if (seq.u.s.n && (uint64_t)times > MS_MAX_MEMORY / seq.u.s.n)
            ms_fail(cx, 2, line, "repeated string too long");
        size_t total = seq.u.s.n * (size_t)times;
        char *p = ms_alloc(cx, total + 1);
        for (int64_t i = 0; i < times; i++)
            memcpy(p + (size_t)i * seq.u.s.n, seq.u.s.p, seq.u.s.n);
        value v = {.kind = V_STR, .u.s = {p, total}};
        return v;
    }
    value out = v_list(cx);
    for (int64_t i = 0; i < times; i++) {
        step(cx, line);
        for (size_t j = 0; j < seq.u.list->n; j++)
            list_push(cx, out.u.list, seq.u.list->items[j]);
    }
    return out;
}

static int contains(ms_ctx *cx, int line, value needle, value hay)
{
    switch (hay.kind) {
    case V_STR:
        if (needle.kind != V_STR)
            ms_fail(cx, 2, line, "'in' a string needs a string, not %s", v_type(needle));
        if (needle.u.s.n == 0)
            return 1;
        for (size_t i = 0; i + needle.u.s.n <= hay.u.s.n; i++) {
            if (memcmp(hay.u.s.p + i, needle.u.s.p, needle.u.s.n) == 0)
                return 1;
        }
        return 0;
    case V_LIST:
        for (size_t i = 0; i < hay.u.list->n; i++) {
            if (v_equal(cx, line, needle, hay.u.list->items[i]))
                return 1;
        }
        return 0;
    case V_MAP:
        return needle.kind == V_STR && map_find(hay.u.map, needle.u.s.p, needle.u.s.n) != NULL;
    default:
        ms_fail(cx, 2, line, "'in' needs a string, list or map, not %s", v_type(hay));
    }
}

static value arithmetic(ms_ctx *cx, int line, enum tok_kind op, value a, value b)
{
    int64_t r;
    if (a.kind == V_INT && b.kind == V_INT) {
        int64_t x = a.u.i, y = b.u.i;
        switch (op) {
        case T_PLUS: return v_int(checked(cx, line, __builtin_add_overflow(x, y, &r), r));
        case T_MINUS: return v_int(checked(cx, line, __builtin_sub_overflow(x, y, &r), r));
        case T_STAR: return v_int(checked(cx, line, __builtin_mul_overflow(x, y, &r), r));
        case T_SLASH:
        case T_PERCENT:
            if (y == 0)
                ms_fail(cx, 2, line, "division by zero");
            if (x == INT64_MIN && y == -1)
                ms_fail(cx, 2, line, "integer overflow");
            return v_int(op == T_SLASH ? x / y : x % y);
        default:
            break;
        }
    }
    if (op == T_PLUS && a.kind == V_STR && b.kind == V_STR) {
        char *p = ms_alloc(cx, a.u.s.n + b.u.s.n + 1);
        memcpy(p, a.u.s.p, a.u.s.n);
        memcpy(p + a.u.s.n, b.u.s.p, b.u.s.n);
        value v = {.kind = V_STR, .u.s = {p, a.u.s.n + b.u.s.n}};
        return v;
    }
    if (op == T_PLUS && a.kind == V_LIST && b.kind == V_LIST) {
        value out = v_list(cx);
        for (size_t i = 0; i < a.u.list->n; i++)
            list_push(cx, out.u.list, a.u.list->items[i]);
        for (size_t i = 0; i < b.u.list->n; i++)
            list_push(cx, out.u.list, b.u.list->items[i]);
        return out;
    }
    if (op == T_PLUS && a.kind == V_MAP && b.kind == V_MAP) {
        value out = v_map(cx);
        for (size_t i = 0; i < a.u.map->n; i++)
            map_set(cx, out.u.map, a.u.map->keys[i], a.u.map->vals[i]);
        for (size_t i = 0; i < b.u.map->n; i++)
            map_set(cx, out.u.map, b.u.map->keys[i], b.u.map->vals[i]);
        return out;
    }
    if (op == T_STAR && (a.kind == V_STR || a.kind == V_LIST) && b.kind == V_INT)
        return repeat(cx, line, a, b.u.i);
    ms_fail(cx, 2, line, "%s %s %s is not defined", v_type(a), tok_name(op), v_type(b));
}

static value binary(ms_ctx *cx, const node *n, value a, value b)
{
    switch (n->op) {
    case T_EQ: return v_bool(v_equal(cx, n->line, a, b));
    case T_NE: return v_bool(!v_equal(cx, n->line, a, b));
    case T_LT: return v_bool(v_compare(cx, n->line, a, b) < 0);
    case T_LE: return v_bool(v_compare(cx, n->line, a, b) <= 0);
    case T_GT: return v_bool(v_compare(cx, n->line, a, b) > 0);
    case T_GE: return v_bool(v_compare(cx, n->line, a, b) >= 0);
    case T_IN: return v_bool(contains(cx, n->line, a, b));
    default: return arithmetic(cx, n->line, n->op, a, b);
    }
}

/* Negative indexes count from the end, as in Python. */
static size_t position(ms_ctx *cx, int line, value index, size_t len)
{
    if (index.kind != V_INT)
        ms_fail(cx, 2, line, "index must be an int, not %s", v_type(index));
    int64_t i = index.u.i;
    if (i < 0)
        i += (int64_t)len;
    if (i < 0 || (uint64_t)i >= len)
        ms_fail(cx, 2, line, "index %lld out of range for length %zu", (long long)index.u.i, len);
    return (size_t)i;
}

static value index_value(ms_ctx *cx, int line, value target, value index)
{
    switch (target.kind) {
    case V_LIST:
        return target.u.list->items[position(cx, line, index, target.u.list->n)];
    case V_STR:
        return v_str(cx, target.u.s.p + position(cx, line, index, target.u.s.n), 1);
    case V_MAP: {
        if (index.kind != V_STR)
            ms_fail(cx, 2, line, "map keys are strings, not %s", v_type(index));
        value *slot = map_find(target.u.map, index.u.s.p, index.u.s.n);
        if (slot == NULL)
            ms_fail(cx, 2, line, "no key \"%.*s\"", (int)index.u.s.n, index.u.s.p);
        return *slot;
    }
    default:
        ms_fail(cx, 2, line, "cannot index a %s", v_type(target));
    }
}

value eval_call_value(ms_ctx *cx, int line, value fn, value *args, size_t n)
{
    if (fn.kind == V_BUILTIN)
        return builtin_call(cx, fn.u.builtin, line, args, n, eval_call_value);
    if (fn.kind != V_FUNC)
        ms_fail(cx, 2, line, "cannot call a %s", v_type(fn));
    const node *def = fn.u.fn->def;
    if (n != def->nparams)
        ms_fail(cx, 2, line, "function takes %zu arguments, %zu given", def->nparams, n);
    if (++cx->depth > MS_MAX_DEPTH)
        ms_fail(cx, 2, line, "calls nested deeper than %d", MS_MAX_DEPTH);
    scope *local = new_scope(cx, fn.u.fn->env);
    for (size_t i = 0; i < n; i++)
        define(cx, local, def->params[i], def->param_lens[i], args[i]);
    value result = v_null();
    enum flow f = exec(cx, local, def->a);
    if (f == F_RETURN)
        result = cx->ret;
    else if (f != F_NEXT)
        ms_fail(cx, 2, line, "'break' or 'continue' outside a loop");
    cx->depth--;
    return result;
}

static value make_function(ms_ctx *cx, scope *sc, const node *n)
{
    value v = {.kind = V_FUNC, .u.fn = ms_alloc(cx, sizeof(func))};
    v.u.fn->def = n;
    v.u.fn->env = sc;
    return v;
}

static value eval(ms_ctx *cx, scope *sc, const node *n)
{
    step(cx, n->line);
    switch (n->kind) {
    case N_INT: return v_int(n->ival);
    case N_STR: { value v = {.kind = V_STR, .u.s = {n->str, n->len}}; return v; }
    case N_BOOL: return v_bool((int)n->ival);
    case N_NULL: return v_null();
    case N_VAR: return variable(cx, sc, n);
    case N_LIST: {
        value l = v_list(cx);
        for (size_t i = 0; i < n->count; i++)
            list_push(cx, l.u.list, eval(cx, sc, n->items[i]));
        return l;
    }
    case N_MAP: {
        value m = v_map(cx);
        for (size_t i = 0; i + 1 < n->count; i += 2) {
            value k = eval(cx, sc, n->items[i]);
            if (k.kind != V_STR)
                ms_fail(cx, 2, n->items[i]->line, "map keys are strings, not %s", v_type(k));
            map_set(cx, m.u.map, k, eval(cx, sc, n->items[i + 1]));
        }
        return m;
    }
    case N_UNARY: {
        value a = eval(cx, sc, n->a);
        if (n->op == T_NOT)
            return v_bool(!v_truthy(a));
        if (a.kind != V_INT)
            ms_fail(cx, 2, n->line, "cannot negate a %s", v_type(a));
        if (a.u.i == INT64_MIN)
            ms_fail(cx, 2, n->line, "integer overflow");
        return v_int(-a.u.i);
    }
    case N_AND: {
        value a = eval(cx, sc, n->a);
        return v_truthy(a) ? eval(cx, sc, n->b) : a;
    }
    case N_OR: {
        value a = eval(cx, sc, n->a);
        return v_truthy(a) ? a : eval(cx, sc, n->b);
    }
    case N_BINARY: {
        value a = eval(cx, sc, n->a);
        return binary(cx, n, a, eval(cx, sc, n->b));
    }
    case N_CALL: {
        value fn = eval(cx, sc, n->a);
        value *args = ms_alloc(cx, n->count * sizeof(value));
        for (size_t i = 0; i < n->count; i++)
            args[i] = eval(cx, sc, n->items[i]);
        return eval_call_value(cx, n->line, fn, args, n->count);
    }
    case N_INDEX: {
        value t = eval(cx, sc, n->a);
        return index_value(cx, n->line, t, eval(cx, sc, n->b));
    }
    case N_FIELD: {
        value t = eval(cx, sc, n->a);
        if (t.kind != V_MAP)
            ms_fail(cx, 2, n->line, "%s has no fields", v_type(t));
        value *slot = map_find(t.u.map, n->str, n->len);
        if (slot == NULL)
            ms_fail(cx, 2, n->line, "no field '%.*s'", (int)n->len, n->str);
        return *slot;
    }
    case N_LAMBDA: return make_function(cx, sc, n);
    default:
        ms_fail(cx, 2, n->line, "statement used as a value");
    }
}

static void assign(ms_ctx *cx, scope *sc, const node *target, value v)
{
    if (target->kind == N_VAR) {
        value *slot = lookup(sc, target->str, target->len);
        if (slot == NULL)
            ms_fail(cx, 2, target->line, "'%.*s' is not defined (use 'let')", (int)target->len,
                target->str);
        *slot = v;
        return;
    }
    value container = eval(cx, sc, target->a);
    if (target->kind == N_FIELD) {
        if (container.kind != V_MAP)
            ms_fail(cx, 2, target->line, "%s has no fields", v_type(container));
        map_set(cx, container.u.map, v_str(cx, target->str, target->len), v);
        return;
    }
    value index = eval(cx, sc, target->b);
    if (container.kind == V_LIST) {
        container.u.list->items[position(cx, target->line, index, container.u.list->n)] = v;
    } else if (container.kind == V_MAP) {
        if (index.kind != V_STR)
            ms_fail(cx, 2, target->line, "map keys are strings, not %s", v_type(index));
        map_set(cx, container.u.map, index, v);
    } else {
        ms_fail(cx, 2, target->line, "cannot assign into a %s", v_type(container));
    }
}

static void print(ms_ctx *cx, scope *sc, const node *n)
{
    for (size_t i = 0; i < n->count; i++) {
        value s = v_to_string(cx, eval(cx, sc, n->items[i]), 0);
        if (i)
            fputc(' ', cx->out);
        fwrite(s.u.s.p, 1, s.u.s.n, cx->out);
    }
    fputc('\n', cx->out);
}

static enum flow loop_body(ms_ctx *cx, scope *sc, const node *body, int *stop)
{
    enum flow f = exec(cx, sc, body);
    *stop = f == F_BREAK || f == F_RETURN;
    return f == F_RETURN ? F_RETURN : F_NEXT;
}

static enum flow for_loop(ms_ctx *cx, scope *sc, const node *n)
{
    value seq = eval(cx, sc, n->a);
    int stop = 0;
    enum flow f = F_NEXT;
    if (seq.kind == V_LIST) {
        /* Iterates the length seen at the start: appending in the body cannot loop forever. */
        size_t len = seq.u.list->n;
        for (size_t i = 0; i < len && i < seq.u.list->n && !stop; i++) {
            define(cx, sc, n->str, n->len, seq.u.list->items[i]);
            f = loop_body(cx, sc, n->b, &stop);
        }
    } else if (seq.kind == V_STR) {
        for (size_t i = 0; i < seq.u.s.n && !stop; i++) {
            define(cx, sc, n->str, n->len, v_str(cx, seq.u.s.p + i, 1));
            f = loop_body(cx, sc, n->b, &stop);
        }
    } else if (seq.kind == V_MAP) {
        size_t len = seq.u.map->n;
        for (size_t i = 0; i < len && !stop; i++) {
            define(cx, sc, n->str, n->len, seq.u.map->keys[i]);
            f = loop_body(cx, sc, n->b, &stop);
        }
    } else if (seq.kind == V_INT) {
        for (int64_t i = 0; i < seq.u.i && !stop; i++) {
            define(cx, sc, n->str, n->len, v_int(i));
            f = loop_body(cx, sc, n->b, &stop);
        }
    } else {
        ms_fail(cx, 2, n->line, "cannot iterate over a %s", v_type(seq));
    }
    return f;
}

static enum flow exec(ms_ctx *cx, scope *sc, const node *n)
{
    step(cx, n->line);
    switch (n->kind) {
    case N_BLOCK:
        for (size_t i = 0; i < n->count; i++) {
            enum flow f = exec(cx, sc, n->items[i]);
            if (f != F_NEXT)
                return f;
        }
        return F_NEXT;
    case N_LET:
        define(cx, sc, n->str, n->len, eval(cx, sc, n->a));
        return F_NEXT;
    case N_ASSIGN:
        assign(cx, sc, n->a, eval(cx, sc, n->b));
        return F_NEXT;
    case N_PRINT:
        print(cx, sc, n);
        return F_NEXT;
    case N_ASSERT:
        if (!v_truthy(eval(cx, sc, n->a))) {
            if (n->b) {
                value why = v_to_string(cx, eval(cx, sc, n->b), 0);
                ms_fail(cx, 2, n->line, "assertion failed: %.*s", (int)why.u.s.n, why.u.s.p);
            }
            ms_fail(cx, 2, n->line, "assertion failed");
        }
        return F_NEXT;
    case N_IF:
        if (v_truthy(eval(cx, sc, n->a)))
            return exec(cx, sc, n->b);
        return n->c ? exec(cx, sc, n->c) : F_NEXT;
    case N_WHILE: {
        int stop = 0;
        enum flow f = F_NEXT;
        while (!stop && v_truthy(eval(cx, sc, n->a)))
            f = loop_body(cx, sc, n->b, &stop);
        return f;
    }
    case N_FOR:
        return for_loop(cx, sc, n);
    case N_FNDEF:
        define(cx, sc, n->str, n->len, make_function(cx, sc, n));
        return F_NEXT;
    case N_RETURN:
        if (cx->depth == 0)
            ms_fail(cx, 2, n->line, "'return' outside a function");
        cx->ret = n->a ? eval(cx, sc, n->a) : v_null();
        return F_RETURN;
    case N_BREAK:
        return F_BREAK;
    case N_CONTINUE:
        return F_CONTINUE;
    case N_EXPR:
        eval(cx, sc, n->a);
        return F_NEXT;
    default:
        eval(cx, sc, n);
        return F_NEXT;
    }
}

void eval_program(ms_ctx *cx, node *program)
{
    cx->globals = new_scope(cx, NULL);
    enum flow f = exec(cx, cx->globals, program);
    if (f == F_BREAK || f == F_CONTINUE)
        ms_fail(cx, 2, cx->line, "'break' or 'continue' outside a loop");
}
