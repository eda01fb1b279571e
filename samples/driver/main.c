/* memcov-sample: runs one script through the instrumented sample library.
 *   memcov-sample FILE     runs FILE
 *   memcov-sample          runs standard input
 * Exits 0 when the script ran, also when it had a parse or runtime error (a normal
 * outcome for a generated input); 1 when the input cannot be read, 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msample.h"

/* Inputs are small; the cap keeps a wrong argument (a device, a huge file) from
 * exhausting memory. */
#define MAX_INPUT (16u << 20)

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (cap >= MAX_INPUT) {
            free(buf);
            return NULL;
        }
        char *grown = realloc(buf, cap * 2);
        if (grown == NULL)
            free(buf);
        buf = grown;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    static const char usage[] = "usage: memcov-sample [FILE]   (no FILE: read standard input)\n";
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc > 2) {
        fputs(usage, stderr);
        return 2;
    }
    FILE *in = argc == 2 ? fopen(argv[1], "rb") : stdin;
    if (in == NULL) {
        perror(argv[1]);
        return 1;
    }
    size_t len = 0;
    char *src = read_all(in, &len);
    if (in != stdin)
        fclose(in);
    if (src == NULL) {
        fprintf(stderr, "memcov-sample: cannot read %s (or larger than %u bytes)\n",
            argc == 2 ? argv[1] : "standard input", MAX_INPUT);
        return 1;
    }
    msample_run(src, len, stdout, stderr);
    free(src);
    return 0;
}
