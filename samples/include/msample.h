/* The Memcov sample library: a small scripting language (values, lists, maps, functions)
 * whose lexer, parser and interpreter branch on the input, so different scripts reach
 * different edges. */
#ifndef MSAMPLE_H
#define MSAMPLE_H

#include <stddef.h>
#include <stdio.h>

#if defined(__GNUC__)
#define MSAMPLE_API __attribute__((visibility("default")))
#else
#define MSAMPLE_API
#endif

enum {
    MSAMPLE_OK = 0,
    MSAMPLE_PARSE_ERROR = 1,
    MSAMPLE_RUNTIME_ERROR = 2
};

/* Runs the script src[0, len): `print` writes to out, an error is one line on err.
 * Returns MSAMPLE_OK or the kind of error. A first line of exactly `!crash` or `!hang`
 * runs the rest of the script, then aborts or loops forever (inputs for testing tools). */
MSAMPLE_API int msample_run(const char *src, size_t len, FILE *out, FILE *err);

#endif
