/* Paths built in a fixed buffer without the printf machinery: region and lanes paths are built
 * at a worker's start-up, where printf's first use faults in its code and a deep stack. */
#ifndef MEMCOV_TEXT_H
#define MEMCOV_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mcov_text {
    char *at;
    char *end; /* one past the last byte, which stays for the NUL */
    bool fits;
};

static inline struct mcov_text mcov_text_in(char *buf, size_t len)
{
    struct mcov_text t = {buf, len > 0 ? buf + len - 1 : buf, len > 0};
    if (len > 0)
        buf[0] = 0;
    return t;
}

static inline void mcov_text_add(struct mcov_text *t, const char *s, size_t n)
{
    if (!t->fits || n > (size_t)(t->end - t->at)) {
        t->fits = false;
        return;
    }
    memcpy(t->at, s, n);
    t->at += n;
    *t->at = 0;
}

static inline void mcov_text_str(struct mcov_text *t, const char *s)
{
    mcov_text_add(t, s, strlen(s));
}

/* v as 16 lowercase hexadecimal digits (printf's %016" PRIx64 "). */
static inline void mcov_text_hex64(struct mcov_text *t, uint64_t v)
{
    char digits[16];
    for (int i = 15; i >= 0; i--, v >>= 4)
        digits[i] = "0123456789abcdef"[v & 15];
    mcov_text_add(t, digits, sizeof digits);
}

/* The directory part of path: everything before its last '/' (all of it without one). */
static inline void mcov_text_dir_of(struct mcov_text *t, const char *path)
{
    const char *slash = strrchr(path, '/');
    mcov_text_add(t, path, slash ? (size_t)(slash - path) : strlen(path));
}

/* A file beside a region: DIR/PREFIXNAME-TOKEN, DIR the region file's directory and TOKEN its
 * lanes_token as 16 hexadecimal digits. */
static inline void mcov_text_side_file(struct mcov_text *t, const char *region_path,
                                       const char *prefix, const char *name, uint64_t token)
{
    mcov_text_dir_of(t, region_path);
    mcov_text_str(t, "/");
    mcov_text_str(t, prefix);
    mcov_text_str(t, name);
    mcov_text_str(t, "-");
    mcov_text_hex64(t, token);
}

#endif
