/* Shared types of the sample interpreter: arena, tokens, syntax tree, values. */
#ifndef MSAMPLE_INTERNAL_H
#define MSAMPLE_INTERNAL_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits keep every script finite and bounded, so a corpus run never hangs or exhausts
 * memory unless it asks to with `!hang`. */
#define MS_MAX_STEPS 200000
#define MS_MAX_DEPTH 64
#define MS_MAX_MEMORY (8u << 20)

typedef struct arena_block arena_block;
typedef struct node node;
typedef struct value value;
typedef struct list list;
typedef struct map map;
typedef struct func func;
typedef struct scope scope;

enum tok_kind {
    T_EOF, T_INT, T_STR, T_IDENT,
    T_LET, T_IF, T_ELSE, T_WHILE, T_FOR, T_IN, T_FN, T_RETURN, T_BREAK, T_CONTINUE,
    T_PRINT, T_ASSERT, T_TRUE, T_FALSE, T_NULL,
    T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_LBRACE, T_RBRACE,
    T_COMMA, T_COLON, T_SEMI, T_DOT, T_ASSIGN,
    T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR, T_NOT
};

typedef struct token {
    enum tok_kind kind;
    int line;
    int64_t ival;
    const char *str; /* identifier text, or the decoded string literal */
    size_t len;
} token;

enum node_kind {
    N_INT, N_STR, N_BOOL, N_NULL, N_VAR, N_LIST, N_MAP, N_UNARY, N_BINARY, N_AND, N_OR,
    N_CALL, N_INDEX, N_FIELD, N_LAMBDA,
    N_LET, N_ASSIGN, N_PRINT, N_ASSERT, N_IF, N_WHILE, N_FOR, N_RETURN, N_BREAK,
    N_CONTINUE, N_EXPR, N_BLOCK, N_FNDEF
};

struct node {
    enum node_kind kind;
    enum tok_kind op;
    int line;
    int64_t ival;
    const char *str;
    size_t len;
    node *a, *b, *c;
    node **items; /* list items, map key/value pairs, call arguments, block statements */
    size_t count;
    const char **params;
    size_t *param_lens;
    size_t nparams;
};

enum value_kind { V_NULL, V_BOOL, V_INT, V_STR, V_LIST, V_MAP, V_FUNC, V_BUILTIN };

struct value {
    enum value_kind kind;
    union {
        int b;
        int64_t i;
        struct {
            const char *p;
            size_t n;
        } s;
        list *list;
        map *map;
        func *fn;
        int builtin;
    } u;
};

struct list {
    value *items;
    size_t n, cap;
};

struct map {
    value *keys; /* always strings */
    value *vals;
    size_t n, cap;
};

struct func {
    const node *def;
    scope *env;
};

struct scope {
    scope *parent;
    const char **names;
    size_t *lens;
    value *vals;
    size_t n, cap;
};

typedef struct ms_ctx {
    jmp_buf fail;
    int status;
    char message[256];
    FILE *out;
    arena_block *blocks;
    size_t used;
    /* lexer */
    const char *src, *pos, *end;
    int line;
    token tok;
    int parse_depth;
    /* interpreter */
    long steps;
    int depth;
    value ret;
    scope *globals;
} ms_ctx;

/* arena.c */
void *ms_alloc(ms_ctx *cx, size_t size);
void *ms_grow(ms_ctx *cx, void *old, size_t old_size, size_t new_size);
void ms_free_all(ms_ctx *cx);
_Noreturn void ms_fail(ms_ctx *cx, int status, int line, const char *fmt, ...);

/* lexer.c */
void lex_init(ms_ctx *cx, const char *src, size_t len);
void lex_next(ms_ctx *cx);
const char *tok_name(enum tok_kind kind);

/* parser.c */
node *parse_program(ms_ctx *cx);

/* value.c */
value v_null(void);
value v_bool(int b);
value v_int(int64_t i);
value v_str(ms_ctx *cx, const char *p, size_t n);
value v_list(ms_ctx *cx);
value v_map(ms_ctx *cx);
void list_push(ms_ctx *cx, list *l, value v);
value *map_find(map *m, const char *k, size_t n);
void map_set(ms_ctx *cx, map *m, value key, value v);
int v_truthy(value v);
int v_equal(ms_ctx *cx, int line, value a, value b);
int v_compare(ms_ctx *cx, int line, value a, value b);
const char *v_type(value v);
value v_to_string(ms_ctx *cx, value v, int quote);

/* builtins.c */
int builtin_find(const char *name, size_t len);
const char *builtin_name(int id);
value builtin_call(ms_ctx *cx, int id, int line, value *args, size_t n,
    value (*call)(ms_ctx *, int, value, value *, size_t));

/* eval.c */
void eval_program(ms_ctx *cx, node *program);
value eval_call_value(ms_ctx *cx, int line, value fn, value *args, size_t n);

#endif
