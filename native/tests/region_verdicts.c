/* region_verdicts DIR: the C side of the region differential test. For every file memcov-NAME
 * in DIR, in name order, the verdict of the runtime's own validator (mcov_region_open, hidden in
 * libmemcov.so, so this program links the runtime's objects) and the module list the runtime
 * reads from it, one line per file:
 *   NAME CODE [INDEX:BASE:EDGES:FILE_SIZE:MODE:KIND:ID_HEX:PATH_HEX]...
 * The .NET test compares each line with CoverageRegion.Attach(NAME).Modules. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_region(const struct dirent *d)
{
    return strncmp(d->d_name, MCOV_REGION_FILE_PREFIX, sizeof MCOV_REGION_FILE_PREFIX - 1) == 0;
}

static void hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: region_verdicts DIR\n");
        return 2;
    }
    setenv("MEMCOV_QUIET", "1", 1);
    struct dirent **names;
    int n = scandir(argv[1], &names, is_region, by_name);
    if (n < 0) {
        perror(argv[1]);
        return 2;
    }
    for (int f = 0; f < n; f++) {
        const char *name = names[f]->d_name + sizeof MCOV_REGION_FILE_PREFIX - 1;
        struct mcov_region r;
        int rc = mcov_region_open(argv[1], name, &r);
        printf("%s %d", name, rc);
        if (rc == MCOV_OK) {
            uint32_t count = mcov_region_module_count(&r);
            for (uint32_t i = 0; i < count; i++) {
                mcov_module_entry e;
                if (!mcov_region_read_entry(&r, i, &e))
                    continue;
                printf(" %u:%llu:%llu:%llu:%u:%u:", i, (unsigned long long)e.base,
                       (unsigned long long)e.edge_count, (unsigned long long)e.file_size, e.mode,
                       e.id_kind);
                hex(e.id, e.id_len);
                putchar(':');
                hex((const uint8_t *)e.path, strnlen(e.path, sizeof e.path));
            }
            mcov_region_close(&r);
        }
        putchar('\n');
        free(names[f]);
    }
    free(names);
    return 0;
}
