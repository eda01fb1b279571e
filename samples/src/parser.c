/* Recursive-descent parser from tokens to a syntax tree. Nesting is bounded so a deep
 * input is a parse error instead of a stack overflow. */
#include <string.h>

#include "internal.h"

static node *expr(ms_ctx *cx);
static node *statement(ms_ctx *cx);

static node *make(ms_ctx *cx, enum node_kind kind, int line)
{
    node *n = ms_alloc(cx, sizeof(*n));
    n->kind = kind;
    n->line = line;
    return n;
}

static int accept(ms_ctx *cx, enum tok_kind k)
{
    if (cx->tok.kind != k)
        return 0;
    lex_next(cx);
    return 1;
}

static void expect(ms_ctx *cx, enum tok_kind k, const char *where)
{
    if (!accept(cx, k))
        ms_fail(cx, 1, cx->tok.line, "%s expected %s, found %s", tok_name(k), where,
            tok_name(cx->tok.kind));
}

static void enter(ms_ctx *cx)
{
    if (++cx->parse_depth > MS_MAX_DEPTH)
        ms_fail(cx, 1, cx->tok.line, "nesting deeper than %d", MS_MAX_DEPTH);
}

/* Appends to a growable node array. */
static void push_item(ms_ctx *cx, node *owner, size_t *cap, node *item)
{
    if (owner->count == *cap) {
        size_t grown = *cap ? *cap * 2 : 4;
        owner->items = ms_grow(cx, owner->items, *cap * sizeof(node *), grown * sizeof(node *));
        *cap = grown;
    }
    owner->items[owner->count++] = item;
}

static const char *ident(ms_ctx *cx, size_t *len, const char *where)
{
    if (cx->tok.kind != T_IDENT)
        ms_fail(cx, 1, cx->tok.line, "name expected %s, found %s", where, tok_name(cx->tok.kind));
    const char *s = cx->tok.str;
    *len = cx->tok.len;
    lex_next(cx);
    return s;
}

static node *block(ms_ctx *cx)
{
    node *b = make(cx, N_BLOCK, cx->tok.line);
    size_t cap = 0;
    expect(cx, T_LBRACE, "to open a block");
    enter(cx);
    while (cx->tok.kind != T_RBRACE) {
        if (cx->tok.kind == T_EOF)
            ms_fail(cx, 1, b->line, "block opened here is never closed");
        push_item(cx, b, &cap, statement(cx));
    }
    cx->parse_depth--;
    lex_next(cx);
    return b;
}

/* fn [name](a, b, ...) { ... } */
static node *function(ms_ctx *cx, enum node_kind kind)
{
    node *f = make(cx, kind, cx->tok.line);
    if (kind == N_FNDEF)
        f->str = ident(cx, &f->len, "after 'fn'");
    expect(cx, T_LPAREN, "before the parameters");
    size_t cap = 0;
    while (cx->tok.kind != T_RPAREN) {
        if (f->nparams == cap) {
            size_t grown = cap ? cap * 2 : 4;
            f->params = ms_grow(cx, f->params, cap * sizeof(char *), grown * sizeof(char *));
            f->param_lens = ms_grow(cx, f->param_lens, cap * sizeof(size_t), grown * sizeof(size_t));
            cap = grown;
        }
        size_t len;
        const char *name = ident(cx, &len, "as a parameter");
        for (size_t i = 0; i < f->nparams; i++) {
            if (f->param_lens[i] == len && memcmp(f->params[i], name, len) == 0)
                ms_fail(cx, 1, cx->tok.line, "parameter '%.*s' given twice", (int)len, name);
        }
        f->params[f->nparams] = name;
        f->param_lens[f->nparams++] = len;
        if (!accept(cx, T_COMMA))
            break;
    }
    expect(cx, T_RPAREN, "after the parameters");
    f->a = block(cx);
    return f;
}

static node *primary(ms_ctx *cx)
{
    int line = cx->tok.line;
    node *n;
    size_t cap = 0;
    switch (cx->tok.kind) {
    case T_INT:
        n = make(cx, N_INT, line);
        n->ival = cx->tok.ival;
        lex_next(cx);
        return n;
    case T_STR:
        n = make(cx, N_STR, line);
        n->str = cx->tok.str;
        n->len = cx->tok.len;
        lex_next(cx);
        return n;
    case T_TRUE:
    case T_FALSE:
        n = make(cx, N_BOOL, line);
        n->ival = cx->tok.kind == T_TRUE;
        lex_next(cx);
        return n;
    case T_NULL:
        lex_next(cx);
        return make(cx, N_NULL, line);
    case T_IDENT:
        n = make(cx, N_VAR, line);
        n->str = ident(cx, &n->len, "");
        return n;
    case T_LPAREN:
        lex_next(cx);
        n = expr(cx);
        expect(cx, T_RPAREN, "to close '('");
        return n;
    case T_LBRACK:
        lex_next(cx);
        n = make(cx, N_LIST, line);
        while (cx->tok.kind != T_RBRACK) {
            push_item(cx, n, &cap, expr(cx));
            if (!accept(cx, T_COMMA))
                break;
        }
        expect(cx, T_RBRACK, "to close the list");
        return n;
    case T_LBRACE:
        lex_next(cx);
        n = make(cx, N_MAP, line);
        while (cx->tok.kind != T_RBRACE) {
            node *key;
            if (cx->tok.kind == T_IDENT) {
                /* {name: 1} is {"name": 1}, as in JavaScript. */
                key = make(cx, N_STR, cx->tok.line);
                key->str = ident(cx, &key->len, "");
            } else {
                key = expr(cx);
            }
            push_item(cx, n, &cap, key);
            expect(cx, T_COLON, "after a map key");
            push_item(cx, n, &cap, expr(cx));
            if (!accept(cx, T_COMMA))
                break;
        }
        expect(cx, T_RBRACE, "to close the map");
        return n;
    case T_FN:
        lex_next(cx);
        return function(cx, N_LAMBDA);
    default:
        ms_fail(cx, 1, line, "expression expected, found %s", tok_name(cx->tok.kind));
    }
}

static node *postfix(ms_ctx *cx)
{
    node *n = primary(cx);
    for (;;) {
        int line = cx->tok.line;
        node *p;
        size_t cap = 0;
        if (accept(cx, T_LPAREN)) {
            p = make(cx, N_CALL, line);
            p->a = n;
            while (cx->tok.kind != T_RPAREN) {
                push_item(cx, p, &cap, expr(cx));
                if (!accept(cx, T_COMMA))
                    break;
            }
            expect(cx, T_RPAREN, "after the arguments");
        } else if (accept(cx, T_LBRACK)) {
            p = make(cx, N_INDEX, line);
            p->a = n;
            p->b = expr(cx);
            expect(cx, T_RBRACK, "after the index");
        } else if (accept(cx, T_DOT)) {
            p = make(cx, N_FIELD, line);
            p->a = n;
            p->str = ident(cx, &p->len, "after '.'");
        } else {
            return n;
        }
        n = p;
    }
}

static node *unary(ms_ctx *cx)
{
    int line = cx->tok.line;
    enum tok_kind op = cx->tok.kind;
    if (op == T_MINUS || op == T_NOT) {
        lex_next(cx);
        enter(cx);
        node *n = make(cx, N_UNARY, line);
        n->op = op;
        n->a = unary(cx);
        cx->parse_depth--;
        return n;
    }
    return postfix(cx);
}

static node *binary(ms_ctx *cx, enum tok_kind op, node *a, node *b, int line)
{
    node *n = make(cx, op == T_AND ? N_AND : op == T_OR ? N_OR : N_BINARY, line);
    n->op = op;
    n->a = a;
    n->b = b;
    return n;
}

static node *product(ms_ctx *cx)
{
    node *n = unary(cx);
    while (cx->tok.kind == T_STAR || cx->tok.kind == T_SLASH || cx->tok.kind == T_PERCENT) {
        enum tok_kind op = cx->tok.kind;
        int line = cx->tok.line;
        lex_next(cx);
        n = binary(cx, op, n, unary(cx), line);
    }
    return n;
}

static node *sum(ms_ctx *cx)
{
    node *n = product(cx);
    while (cx->tok.kind == T_PLUS || cx->tok.kind == T_MINUS) {
        enum tok_kind op = cx->tok.kind;
        int line = cx->tok.line;
        lex_next(cx);
        n = binary(cx, op, n, product(cx), line);
    }
    return n;
}

/* Comparisons do not chain: `a < b < c` is a parse error rather than a surprise. */
static node *comparison(ms_ctx *cx)
{
    node *n = sum(cx);
    enum tok_kind op = cx->tok.kind;
    if (op == T_EQ || op == T_NE || op == T_LT || op == T_LE || op == T_GT || op == T_GE
        || op == T_IN) {
        int line = cx->tok.line;
        lex_next(cx);
        n = binary(cx, op, n, sum(cx), line);
        op = cx->tok.kind;
        if (op == T_EQ || op == T_NE || op == T_LT || op == T_LE || op == T_GT || op == T_GE)
            ms_fail(cx, 1, cx->tok.line, "comparisons do not chain: add parentheses");
    }
    return n;
}

static node *conjunction(ms_ctx *cx)
{
    node *n = comparison(cx);
    while (cx->tok.kind == T_AND) {
        int line = cx->tok.line;
        lex_next(cx);
        n = binary(cx, T_AND, n, comparison(cx), line);
    }
    return n;
}

static node *expr(ms_ctx *cx)
{
    enter(cx);
    node *n = conjunction(cx);
    while (cx->tok.kind == T_OR) {
        int line = cx->tok.line;
        lex_next(cx);
        n = binary(cx, T_OR, n, conjunction(cx), line);
    }
    cx->parse_depth--;
    return n;
}

static node *if_statement(ms_ctx *cx, int line)
{
    node *n = make(cx, N_IF, line);
    n->a = expr(cx);
    n->b = block(cx);
    if (accept(cx, T_ELSE)) {
        int else_line = cx->tok.line;
        if (accept(cx, T_IF)) {
            enter(cx);
            n->c = if_statement(cx, else_line);
            cx->parse_depth--;
        } else {
            n->c = block(cx);
        }
    }
    return n;
}

static node *statement(ms_ctx *cx)
{
    int line = cx->tok.line;
    node *n;
    size_t cap = 0;
    switch (cx->tok.kind) {
    case T_LET:
        lex_next(cx);
        n = make(cx, N_LET, line);
        n->str = ident(cx, &n->len, "after 'let'");
        expect(cx, T_ASSIGN, "after the name");
        n->a = expr(cx);
        break;
    case T_PRINT:
        lex_next(cx);
        n = make(cx, N_PRINT, line);
        do
            push_item(cx, n, &cap, expr(cx));
        while (accept(cx, T_COMMA));
        break;
    case T_ASSERT:
        lex_next(cx);
        n = make(cx, N_ASSERT, line);
        n->a = expr(cx);
        if (accept(cx, T_COMMA))
            n->b = expr(cx);
        break;
    case T_IF:
        lex_next(cx);
        n = if_statement(cx, line);
        break;
    case T_WHILE:
        lex_next(cx);
        n = make(cx, N_WHILE, line);
        n->a = expr(cx);
        n->b = block(cx);
        break;
    case T_FOR:
        lex_next(cx);
        n = make(cx, N_FOR, line);
        n->str = ident(cx, &n->len, "after 'for'");
        expect(cx, T_IN, "after the loop variable");
        n->a = expr(cx);
        n->b = block(cx);
        break;
    case T_FN:
        lex_next(cx);
        if (cx->tok.kind == T_LPAREN) {
            n = make(cx, N_EXPR, line);
            n->a = function(cx, N_LAMBDA);
        } else {
            n = function(cx, N_FNDEF);
        }
        break;
    case T_RETURN:
        lex_next(cx);
        n = make(cx, N_RETURN, line);
        if (cx->tok.kind != T_SEMI && cx->tok.kind != T_RBRACE && cx->tok.kind != T_EOF
            && cx->tok.line == line)
            n->a = expr(cx);
        break;
    case T_BREAK:
    case T_CONTINUE:
        n = make(cx, cx->tok.kind == T_BREAK ? N_BREAK : N_CONTINUE, line);
        lex_next(cx);
        break;
    default: {
        node *target = expr(cx);
        if (accept(cx, T_ASSIGN)) {
            if (target->kind != N_VAR && target->kind != N_INDEX && target->kind != N_FIELD)
                ms_fail(cx, 1, line, "only a name, an index or a field can be assigned");
            n = make(cx, N_ASSIGN, line);
            n->a = target;
            n->b = expr(cx);
        } else {
            n = make(cx, N_EXPR, line);
            n->a = target;
        }
    }
    }
    accept(cx, T_SEMI);
    return n;
}

node *parse_program(ms_ctx *cx)
{
    node *program = make(cx, N_BLOCK, 1);
    size_t cap = 0;
    lex_next(cx);
    while (cx->tok.kind != T_EOF)
        push_item(cx, program, &cap, statement(cx));
    return program;
}
