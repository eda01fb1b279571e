/* msample_run: the directive line, then parse and run, errors reported as one line. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "msample.h"

enum directive { D_NONE, D_CRASH, D_HANG };

/* Matches the first line exactly (a trailing \r is allowed), so `!crash x` or a later
 * `!crash` line is ordinary script text. */
static enum directive first_line(const char *src, size_t len, size_t *skip)
{
    static const struct {
        const char *text;
        enum directive d;
    } known[] = {{"!crash", D_CRASH}, {"!hang", D_HANG}};
    size_t n = 0;
    while (n < len && src[n] != '\n')
        n++;
    *skip = n < len ? n + 1 : n;
    if (n > 0 && src[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strlen(known[i].text) == n && memcmp(src, known[i].text, n) == 0)
            return known[i].d;
    }
    *skip = 0;
    return D_NONE;
}

/* Spins on a volatile counter so the loop cannot be optimized away. */
static _Noreturn void hang(void)
{
    volatile unsigned long spins = 0;
    for (;;)
        spins++;
}

int msample_run(const char *src, size_t len, FILE *out, FILE *err)
{
    size_t skip;
    enum directive d = first_line(src, len, &skip);
    ms_ctx *cx = calloc(1, sizeof(*cx));
    if (cx == NULL) {
        fputs("msample: out of memory\n", err);
        return MSAMPLE_RUNTIME_ERROR;
    }
    cx->out = out;
    if (setjmp(cx->fail) == 0) {
        /* The directive's line still counts, so error lines match the file. */
        lex_init(cx, src + skip, len - skip);
        cx->line += skip ? 1 : 0;
        node *program = parse_program(cx);
        eval_program(cx, program);
    } else {
        fprintf(err, "%s error: %s\n", cx->status == MSAMPLE_PARSE_ERROR ? "parse" : "runtime",
            cx->message);
    }
    int status = cx->status;
    ms_free_all(cx);
    free(cx);
    fflush(out);
    if (d == D_CRASH)
        abort();
    if (d == D_HANG)
        hang();
    return status;
}
