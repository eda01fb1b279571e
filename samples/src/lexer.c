/* The lexer: integers (decimal, hex, binary), strings with escapes, identifiers and
 * keywords, one- and two-character operators, and `#` comments. */
#include <ctype.h>
#include <string.h>

#include "internal.h"

static const struct {
    const char *word;
    enum tok_kind kind;
} keywords[] = {
    {"let", T_LET}, {"if", T_IF}, {"else", T_ELSE}, {"while", T_WHILE}, {"for", T_FOR},
    {"in", T_IN}, {"fn", T_FN}, {"return", T_RETURN}, {"break", T_BREAK},
    {"continue", T_CONTINUE}, {"print", T_PRINT}, {"assert", T_ASSERT}, {"true", T_TRUE},
    {"false", T_FALSE}, {"null", T_NULL},
};

const char *tok_name(enum tok_kind kind)
{
    static const char *const names[] = {
        "end of input", "integer", "string", "identifier",
        "'let'", "'if'", "'else'", "'while'", "'for'", "'in'", "'fn'", "'return'", "'break'",
        "'continue'", "'print'", "'assert'", "'true'", "'false'", "'null'",
        "'('", "')'", "'['", "']'", "'{'", "'}'", "','", "':'", "';'", "'.'", "'='",
        "'+'", "'-'", "'*'", "'/'", "'%'", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='",
        "'&&'", "'||'", "'!'",
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == T_NOT + 1, "one name per token");
    return names[kind];
}

void lex_init(ms_ctx *cx, const char *src, size_t len)
{
    cx->src = src;
    cx->pos = src;
    cx->end = src + len;
    cx->line = 1;
}

static int peek(ms_ctx *cx, size_t ahead)
{
    return cx->pos + ahead < cx->end ? (unsigned char)cx->pos[ahead] : -1;
}

static void skip_space(ms_ctx *cx)
{
    for (;;) {
        int c = peek(cx, 0);
        if (c == '\n') {
            cx->line++;
            cx->pos++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            cx->pos++;
        } else if (c == '#') {
            while (peek(cx, 0) != -1 && peek(cx, 0) != '\n')
                cx->pos++;
        } else {
            return;
        }
    }
}

static int digit_value(int c, int base)
{
    int d;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    else
        return -1;
    return d < base ? d : -1;
}

static void lex_number(ms_ctx *cx)
{
    int base = 10;
    if (peek(cx, 0) == '0' && (peek(cx, 1) == 'x' || peek(cx, 1) == 'X')) {
        base = 16;
        cx->pos += 2;
    } else if (peek(cx, 0) == '0' && (peek(cx, 1) == 'b' || peek(cx, 1) == 'B')) {
        base = 2;
        cx->pos += 2;
    }
    int64_t v = 0;
    int digits = 0;
    for (;;) {
        int c = peek(cx, 0);
        if (c == '_' && digits > 0) {
            cx->pos++;
            continue;
        }
        int d = digit_value(c, base);
        if (d < 0)
            break;
        if (v > (INT64_MAX - d) / base)
            ms_fail(cx, 1, cx->line, "integer literal too large");
        v = v * base + d;
        digits++;
        cx->pos++;
    }
    if (digits == 0)
        ms_fail(cx, 1, cx->line, "digits expected after the base prefix");
    if (isalpha(peek(cx, 0)) || isdigit(peek(cx, 0)))
        ms_fail(cx, 1, cx->line, "bad digit '%c' in a base-%d literal", peek(cx, 0), base);
    cx->tok.kind = T_INT;
    cx->tok.ival = v;
}

static void lex_string(ms_ctx *cx)
{
    int quote = peek(cx, 0);
    cx->pos++;
    /* The decoded text is never longer than the source text. */
    const char *start = cx->pos;
    while (peek(cx, 0) != -1 && peek(cx, 0) != quote && peek(cx, 0) != '\n')
        cx->pos += peek(cx, 0) == '\\' && peek(cx, 1) != -1 ? 2 : 1;
    if (peek(cx, 0) != quote)
        ms_fail(cx, 1, cx->line, "unterminated string");
    char *buf = ms_alloc(cx, (size_t)(cx->pos - start) + 1);
    size_t n = 0;
    for (const char *p = start; p < cx->pos; p++) {
        if (*p != '\\') {
            buf[n++] = *p;
            continue;
        }
        p++;
        switch (*p) {
        case 'n': buf[n++] = '\n'; break;
        case 't': buf[n++] = '\t'; break;
        case 'r': buf[n++] = '\r'; break;
        case '0': buf[n++] = '\0'; break;
        case '\\': case '"': case '\'': buf[n++] = *p; break;
        case 'x': {
            int hi = p + 1 < cx->pos ? digit_value((unsigned char)p[1], 16) : -1;
            int lo = p + 2 < cx->pos ? digit_value((unsigned char)p[2], 16) : -1;
            if (hi < 0 || lo < 0)
                ms_fail(cx, 1, cx->line, "\\x needs two hex digits");
            buf[n++] = (char)(hi * 16 + lo);
            p += 2;
            break;
        }
        default:
            ms_fail(cx, 1, cx->line, "unknown escape '\\%c'", *p);
        }
    }
    cx->pos++;
    cx->tok.kind = T_STR;
    cx->tok.str = buf;
    cx->tok.len = n;
}

static void lex_word(ms_ctx *cx)
{
    const char *start = cx->pos;
    while (isalnum(peek(cx, 0)) || peek(cx, 0) == '_')
        cx->pos++;
    size_t n = (size_t)(cx->pos - start);
    cx->tok.kind = T_IDENT;
    cx->tok.str = start;
    cx->tok.len = n;
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
        if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, start, n) == 0) {
            cx->tok.kind = keywords[i].kind;
            return;
        }
    }
}

/* Operator c, or c followed by `second` (returning `two`). */
static enum tok_kind pair(ms_ctx *cx, int second, enum tok_kind one, enum tok_kind two)
{
    if (peek(cx, 1) == second) {
        cx->pos += 2;
        return two;
    }
    cx->pos++;
    return one;
}

void lex_next(ms_ctx *cx)
{
    skip_space(cx);
    cx->tok.line = cx->line;
    int c = peek(cx, 0);
    if (c == -1) {
        cx->tok.kind = T_EOF;
        return;
    }
    if (isdigit(c)) {
        lex_number(cx);
        return;
    }
    if (isalpha(c) || c == '_') {
        lex_word(cx);
        return;
    }
    enum tok_kind k;
    switch (c) {
    case '"': case '\'': lex_string(cx); return;
    case '(': k = T_LPAREN; cx->pos++; break;
    case ')': k = T_RPAREN; cx->pos++; break;
    case '[': k = T_LBRACK; cx->pos++; break;
    case ']': k = T_RBRACK; cx->pos++; break;
    case '{': k = T_LBRACE; cx->pos++; break;
    case '}': k = T_RBRACE; cx->pos++; break;
    case ',': k = T_COMMA; cx->pos++; break;
    case ':': k = T_COLON; cx->pos++; break;
    case ';': k = T_SEMI; cx->pos++; break;
    case '.': k = T_DOT; cx->pos++; break;
    case '+': k = T_PLUS; cx->pos++; break;
    case '-': k = T_MINUS; cx->pos++; break;
    case '*': k = T_STAR; cx->pos++; break;
    case '/': k = T_SLASH; cx->pos++; break;
    case '%': k = T_PERCENT; cx->pos++; break;
    case '=': k = pair(cx, '=', T_ASSIGN, T_EQ); break;
    case '!': k = pair(cx, '=', T_NOT, T_NE); break;
    case '<': k = pair(cx, '=', T_LT, T_LE); break;
    case '>': k = pair(cx, '=', T_GT, T_GE); break;
    case '&':
        if (peek(cx, 1) != '&')
            ms_fail(cx, 1, cx->line, "'&' is spelled '&&'");
        k = T_AND;
        cx->pos += 2;
        break;
    case '|':
        if (peek(cx, 1) != '|')
            ms_fail(cx, 1, cx->line, "'|' is spelled '||'");
        k = T_OR;
        cx->pos += 2;
        break;
    default:
        if (isprint(c))
            ms_fail(cx, 1, cx->line, "unexpected character '%c'", c);
        ms_fail(cx, 1, cx->line, "unexpected byte 0x%02x", c);
    }
    cx->tok.kind = k;
}
