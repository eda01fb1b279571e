/* A module compiled with pc-table leaves its PC table beside the region: written by the process
 * that brought it in, whether it joined at load (attached first) or at a later attach; kept after
 * its writers died by SIGKILL; the module's functions at their addresses (entry blocks flagged);
 * through a map file unchanged; a damaged or symlinked file refused; gone with the region. */
#define _GNU_SOURCE
#include "support.h"

#include <dirent.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memcov_files.h"

static void attach_then_load(void *arg)
{
    if (mcov_attach(arg) != 0)
        _exit(3);
    t_run_inputs(0, 0, t_input_count);
    raise(SIGKILL);
}

static void load_then_attach(void *arg)
{
    t_run_inputs(0, 0, t_input_count);
    if (mcov_attach(arg) != 0)
        _exit(3);
    raise(SIGKILL);
}

static void killed(pid_t pid)
{
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status 0x%x", status);
}

static const char *shm_dir(void)
{
    const char *env = getenv("MEMCOV_SHM_DIR");
    return env && env[0] ? env : "/dev/shm";
}

static int pcs_files(const char *name)
{
    char prefix[512];
    snprintf(prefix, sizeof prefix, MCOV_PCS_FILE_PREFIX "%s-", name);
    return t_count_entries(shm_dir(), prefix);
}

/* The offset of fn from its module's load bias, in this process. */
static uint64_t offset_of(const char *lib_file, const char *fn)
{
    void *lib = t_load(lib_file);
    void *sym = dlsym(lib, fn);
    Dl_info info;
    CHECK(sym && dladdr(sym, &info) && info.dli_fbase, "dladdr %s", fn);
    return (uint64_t)((uintptr_t)sym - (uintptr_t)info.dli_fbase);
}

/* Every module of the region has its table: non-zero distinct offsets, entry blocks,
 * and the run function of the sample among them. Returns the tables, by region slot. */
static mcov_map_pc *check_tables(const char *name, uint64_t off_a, uint64_t off_b)
{
    mcov_region_file *f = NULL;
    CHECK(mcov_region_file_open(NULL, name, &f, NULL) == 0, "open: %s", mcov_last_error());
    mcov_region_counters c;
    mcov_region_file_counters(f, &c);
    CHECK_EQ_U64(c.module_count, 2);
    mcov_map_pc *all = calloc(c.alloc_cursor, sizeof *all);
    CHECK(all, "calloc");
    for (uint32_t i = 0; i < 2; i++) {
        mcov_module_entry e;
        CHECK(mcov_region_file_module(f, i, &e) == 1, "entry %u", i);
        mcov_map_pc *t = all + e.base;
        int64_t n = mcov_region_file_pcs(f, i, t, e.edge_count);
        CHECK(n == (int64_t)e.edge_count, "module %s: %lld entries for %llu edges (%s)", e.path,
              (long long)n, (unsigned long long)e.edge_count, mcov_last_error());
        uint64_t want = strstr(e.path, "sample_a") ? off_a : off_b;
        uint64_t entries = 0;
        bool found = false;
        for (uint64_t k = 0; k < e.edge_count; k++) {
            CHECK(t[k].offset != 0, "module %s edge %llu has offset 0", e.path,
                  (unsigned long long)k);
            for (uint64_t j = 0; j < k; j++)
                CHECK(t[j].offset != t[k].offset, "edges %llu and %llu share an address",
                      (unsigned long long)j, (unsigned long long)k);
            entries += t[k].flags & 1;
            found |= (t[k].flags & 1) && t[k].offset == want;
        }
        CHECK(entries >= 1, "module %s: %llu entry blocks", e.path, (unsigned long long)entries);
        CHECK(found, "module %s: no entry block at its run function (offset 0x%llx)", e.path,
              (unsigned long long)want);
    }
    mcov_region_file_close(f);
    return all;
}

/* The region's map, with its tables, into a map file and back. */
static void check_map_round_trip(const char *name, const mcov_map_pc *tables)
{
    mcov_region_file *f = NULL;
    mcov_region_facts facts;
    CHECK(mcov_region_file_open(NULL, name, &f, &facts) == 0, "open: %s", mcov_last_error());
    mcov_module_entry e[2];
    for (uint32_t i = 0; i < 2; i++)
        CHECK(mcov_region_file_module(f, i, &e[i]) == 1, "entry %u", i);
    const uint8_t *map = facts.base + facts.map_offset;
    uint64_t pcs = e[0].edge_count + e[1].edge_count;
    /* mcov_map_write_pcs takes the modules at their bases in one edge array. */
    uint64_t size = mcov_map_file_size_pcs(2, e[0].edge_count + e[1].edge_count, pcs);
    uint8_t *file = malloc(size);
    uint8_t *flat = malloc(e[0].edge_count + e[1].edge_count);
    mcov_map_pc *flat_pcs = malloc(pcs * sizeof *flat_pcs);
    CHECK(file && flat && flat_pcs, "malloc");
    mcov_module_entry packed[2] = {e[0], e[1]};
    packed[0].base = 0;
    packed[1].base = e[0].edge_count;
    for (uint32_t i = 0; i < 2; i++) {
        memcpy(flat + packed[i].base, map + e[i].base, e[i].edge_count);
        memcpy(flat_pcs + packed[i].base, tables + e[i].base, e[i].edge_count * sizeof *flat_pcs);
    }
    CHECK(mcov_map_write_pcs(packed, 2, MCOV_MAP_FLAGS, flat, pcs, flat_pcs, file, size) == 0,
          "write: %s", mcov_last_error());
    mcov_map_pc *back = calloc(pcs, sizeof *back);
    CHECK(back, "calloc");
    CHECK(mcov_map_read_pcs(file, size, back, pcs) == 0, "read: %s", mcov_last_error());
    CHECK(memcmp(back, flat_pcs, pcs * sizeof *back) == 0, "the PC tables changed on the way");
    /* Without tables the same map is smaller by 16 bytes per edge, and reads back as none. */
    uint64_t bare = mcov_map_file_size(2, pcs);
    CHECK_EQ_U64(size - bare, pcs * sizeof(mcov_map_pc));
    free(back);
    free(flat_pcs);
    free(flat);
    free(file);
    mcov_region_file_close(f);
}

/* A PC file with a byte changed, then a symlink in its place: refused, and nothing else lost. */
static void check_bad_files(const char *name)
{
    char path[4096], target[4096];
    mcov_region_file *f = NULL;
    CHECK(mcov_region_file_open(NULL, name, &f, NULL) == 0, "open: %s", mcov_last_error());
    mcov_module_entry e;
    CHECK(mcov_region_file_module(f, 0, &e) == 1, "entry 0");
    mcov_map_pc *t = calloc(e.edge_count, sizeof *t);
    CHECK(t, "calloc");
    /* Find the file: the only PC file of this region whose size fits module 0. */
    uint64_t size = mcov_map_file_size_pcs(1, e.edge_count, e.edge_count);
    char prefix[512];
    snprintf(prefix, sizeof prefix, MCOV_PCS_FILE_PREFIX "%s-", name);
    DIR *d = opendir(shm_dir());
    CHECK(d, "opendir");
    struct dirent *de;
    path[0] = 0;
    while ((de = readdir(d))) {
        struct stat st;
        snprintf(target, sizeof target, "%s/%s", shm_dir(), de->d_name);
        if (!strncmp(de->d_name, prefix, strlen(prefix)) && stat(target, &st) == 0 &&
            (uint64_t)st.st_size == size)
            snprintf(path, sizeof path, "%s", target);
    }
    closedir(d);
    CHECK(path[0], "no PC file of %llu bytes", (unsigned long long)size);
    FILE *fp = fopen(path, "r+b");
    CHECK(fp, "fopen %s", path);
    fseek(fp, (long)(size - 100), SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, (long)(size - 100), SEEK_SET);
    fputc(c ^ 0x40, fp);
    fclose(fp);
    CHECK(mcov_region_file_pcs(f, 0, t, e.edge_count) == MCOV_E_CORRUPT, "damaged: %s",
          mcov_last_error());
    snprintf(target, sizeof target, "%s.target", path);
    CHECK(rename(path, target) == 0 && symlink(target, path) == 0, "symlink");
    CHECK(mcov_region_file_pcs(f, 0, t, e.edge_count) < 0, "a symlink was followed");
    unlink(target);
    CHECK(unlink(path) == 0, "unlink");
    CHECK(mcov_region_file_pcs(f, 0, t, e.edge_count) == 0, "a removed file: %s",
          mcov_last_error());
    mcov_region_counters counters;
    mcov_region_file_counters(f, &counters);
    CHECK_EQ_U64(counters.module_count, 2);
    free(t);
    mcov_region_file_close(f);
}

int main(void)
{
    if (!strcmp(t_samples(), "flags"))
        return T_SKIP; /* the _flags samples are built without pc-table */
    uint64_t off_a = offset_of("libmcov_sample_a.so", "sample_a_run");
    uint64_t off_b = offset_of("libmcov_sample_b.so", "sample_b_run");

    const char *joined_at_load = t_region_name("pcload");
    const char *joined_later = t_region_name("pclater");
    const char *names[2] = {joined_at_load, joined_later};
    void (*children[2])(void *) = {attach_then_load, load_then_attach};
    for (int k = 0; k < 2; k++) {
        CHECK(mcov_region_create(names[k], 1 << 16) == 0, "create: %s", mcov_last_error());
        mcov_detach();
        killed(t_fork(children[k], (void *)names[k]));
        CHECK(pcs_files(names[k]) == 2, "region %s has %d PC files", names[k],
              pcs_files(names[k]));
        mcov_map_pc *tables = check_tables(names[k], off_a, off_b);
        check_map_round_trip(names[k], tables);
        free(tables);
    }
    check_bad_files(joined_later);

    for (int k = 0; k < 2; k++) {
        CHECK(mcov_region_remove(names[k]) == 0, "remove: %s", mcov_last_error());
        CHECK(pcs_files(names[k]) == 0, "region %s left %d PC files", names[k],
              pcs_files(names[k]));
    }
    t_cleanup();
    return 0;
}
