/* memcov_files.h's region calls act on files, not on the calling process: create and open leave
 * the process detached, facts and counters say what the header says, claiming is all or nothing
 * and agrees with the runtime's own registration (a module a tool claimed is found by a process
 * that loads it), reset clears the map, and the calls never print. */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memcov_files.h"

static char s_dir[] = "/tmp/memcov-files-XXXXXX";
static pid_t s_dir_owner;

/* At exit, a failed CHECK's too; not in a child that fails. */
static void remove_dir(void)
{
    if (getpid() == s_dir_owner)
        t_remove_dir(s_dir);
}

static void counters_are(mcov_region_file *f, uint32_t modules, uint64_t cursor, uint64_t edges)
{
    mcov_region_counters c;
    mcov_region_file_counters(f, &c);
    CHECK(c.module_count == modules && c.alloc_cursor == cursor && c.edges_registered == edges,
          "counters: %u modules, cursor %llu, %llu edges; expected %u, %llu, %llu", c.module_count,
          (unsigned long long)c.alloc_cursor, (unsigned long long)c.edges_registered, modules,
          (unsigned long long)cursor, (unsigned long long)edges);
}

/* The calls never print: a failing one is reported by its caller. */
static void quiet(void)
{
    int fds[2];
    t_pipe(fds);
    int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    mcov_region_file *f = NULL;
    int rc = mcov_region_file_open(s_dir, "missing", &f, NULL);
    int rc2 = mcov_region_file_create("/nonexistent-dir", "x", 4096, NULL, NULL);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fds[1]);
    char *printed = t_read_to_end(fds[0]);
    close(fds[0]);
    CHECK(rc == MCOV_E_NOT_FOUND && rc2 == MCOV_E_NOT_FOUND, "codes %d, %d", rc, rc2);
    CHECK(printed[0] == 0, "a tool call printed: %s", printed);
    free(printed);
    /* A successful path query keeps the last error of the call before it. */
    char path[4096];
    CHECK(mcov_region_file_path(s_dir, "ok", path, sizeof path) == 0, "path");
    CHECK(strstr(mcov_last_error(), "does not exist"), "the last error became '%s'", mcov_last_error());
    CHECK(mcov_region_file_path(s_dir, "-bad", path, sizeof path) == MCOV_E_INVALID_NAME,
          "a name starting with '-' was taken");
}

/* A child process attaches and runs inputs: the runtime registers the samples. */
static void run_samples(void *name)
{
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    t_run_inputs(0, 0, 6);
}

int main(void)
{
    CHECK(mkdtemp(s_dir), "mkdtemp: %s", strerror(errno));
    s_dir_owner = getpid();
    atexit(remove_dir);
    quiet();

    /* Create and open: the process stays detached. */
    mcov_region_file *f = NULL;
    mcov_region_facts facts;
    CHECK(mcov_region_file_create(s_dir, "tool", 10000, &f, &facts) == 0, "create: %s",
          mcov_last_error());
    CHECK(!mcov_is_attached() && mcov_module_count() == 0, "create attached the process");
    char path[4096];
    CHECK(mcov_region_file_path(s_dir, "tool", path, sizeof path) == 0, "path");
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file: %s", strerror(errno));
    CHECK(facts.version == MCOV_REGION_VERSION && facts.capacity_edges == 12288 &&
              facts.map_offset == MCOV_REGION_MAP_OFFSET &&
              facts.mapped_bytes == MCOV_REGION_MAP_OFFSET + 12288 &&
              facts.creator_pid == (uint64_t)getpid() && facts.device == (uint64_t)st.st_dev &&
              facts.inode == (uint64_t)st.st_ino && facts.base &&
              facts.module_capacity == MCOV_MODULE_TABLE_CAPACITY,
          "facts do not say what the header says");
    CHECK(mcov_region_file_create(s_dir, "tool", 4096, NULL, NULL) == MCOV_E_EXISTS,
          "a second create did not refuse");
    counters_are(f, 0, 0, 0);

    /* Claim: new modules get ranges in order, known ones their range, all or nothing. */
    mcov_module_entry a = t_module_entry(1, 100), b = t_module_entry(2, 5000),
                      c = t_module_entry(3, 10);
    mcov_module_entry ab[2] = {a, b};
    uint64_t bases[3], needed = 0;
    CHECK(mcov_region_file_claim(f, ab, 2, bases, &needed) == 0, "claim: %s", mcov_last_error());
    CHECK(bases[0] == 0 && bases[1] == 4096, "bases %llu, %llu", (unsigned long long)bases[0],
          (unsigned long long)bases[1]);
    counters_are(f, 2, 12288, 5100);
    mcov_module_entry got;
    CHECK(mcov_region_file_module(f, 1, &got) == 1 && got.base == 4096 && got.edge_count == 5000 &&
              strcmp(got.path, "/lib/tool-2.so") == 0 && memcmp(got.id, b.id, 20) == 0,
          "entry 1 is not module b");
    CHECK(mcov_region_file_module(f, 2, &got) == 0, "entry 2 is valid before it exists");
    CHECK(mcov_region_file_claim(f, ab, 2, bases, &needed) == 0 && bases[0] == 0 &&
              bases[1] == 4096,
          "claiming known modules again moved them");
    counters_are(f, 2, 12288, 5100);
    mcov_module_entry acc[3] = {a, c, c};
    CHECK(mcov_region_file_claim(f, acc, 3, bases, &needed) == MCOV_E_TOO_SMALL &&
              needed == 16384 && strstr(mcov_last_error(), "16384"),
          "a region without room took a module: %s", mcov_last_error());
    counters_are(f, 2, 12288, 5100);
    mcov_module_entry bad = t_module_entry(4, 10);
    bad.mode = 3;
    CHECK(mcov_region_file_claim(f, &bad, 1, bases, NULL) == MCOV_E_INVALID_ARG,
          "a module of mode 3 was claimed");
    mcov_region_file_close(f);

    mcov_region_file *big = NULL;
    CHECK(mcov_region_file_create(s_dir, "big", 1 << 16, &big, NULL) == 0, "create");
    CHECK(mcov_region_file_claim(big, acc, 3, bases, NULL) == 0 && bases[0] == 0 &&
              bases[1] == 4096 && bases[2] == 4096,
          "one module named twice got two ranges");
    counters_are(big, 2, 8192, 110);

    /* Reset clears the map for everyone. */
    CHECK(mcov_region_file_open(s_dir, "big", &f, &facts) == 0, "open: %s", mcov_last_error());
    memset(facts.base + facts.map_offset, 1, 5000);
    mcov_region_file_reset(big);
    CHECK(t_count(facts.base + facts.map_offset, 1 << 16) == 0, "reset left edges");
    mcov_region_file_close(f);
    mcov_region_file_close(big);

    /* A module a tool claimed is where a process that loads it records. */
    const char *one = t_region_name("files-one");
    CHECK(mcov_region_create(one, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    t_wait_ok_within(t_fork(run_samples, (void *)one), 20000);
    mcov_module_entry loaded[2];
    CHECK(t_read_entries(one, loaded, 2) == 2, "the samples did not register");
    const char *two = t_region_name("files-two");
    CHECK(mcov_region_create(two, 1 << 16) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    CHECK(mcov_region_file_open(NULL, two, &f, &facts) == 0, "open: %s", mcov_last_error());
    mcov_module_entry first[3] = {t_module_entry(9, 4096), loaded[1], loaded[0]};
    CHECK(mcov_region_file_claim(f, first, 3, bases, NULL) == 0 && bases[1] == 4096 &&
              bases[2] == 4096 + (((loaded[1].edge_count) + 4095) / 4096 * 4096),
          "claim: %s", mcov_last_error());
    t_wait_ok_within(t_fork(run_samples, (void *)two), 20000);
    counters_are(f, 3, bases[2] + (((loaded[0].edge_count) + 4095) / 4096 * 4096),
                 4096 + loaded[0].edge_count + loaded[1].edge_count);
    CHECK(mcov_region_file_sync(f) == 0, "sync: %s", mcov_last_error()); /* no-call lanes */
    CHECK(t_count(facts.base + facts.map_offset + bases[1], loaded[1].edge_count) > 0 &&
              t_count(facts.base + facts.map_offset + bases[2], loaded[0].edge_count) > 0 &&
              t_count(facts.base + facts.map_offset, 4096) == 0,
          "the process did not record into the ranges the tool claimed");
    mcov_region_file_close(f);

    /* A table longer than the entries a claim reads in one go with the header: known modules are
     * found anywhere in it, by a tool and by a process that loads them. */
    const char *many = t_region_name("files-many");
    CHECK(mcov_region_create(many, 1 << 17) == 0, "create: %s", mcov_last_error());
    mcov_detach();
    CHECK(mcov_region_file_open(NULL, many, &f, &facts) == 0, "open: %s", mcov_last_error());
    enum { TOOL_MODULES = 12 };
    mcov_module_entry mods[TOOL_MODULES], reversed[TOOL_MODULES];
    uint64_t many_bases[TOOL_MODULES];
    for (int i = 0; i < TOOL_MODULES; i++)
        mods[i] = reversed[TOOL_MODULES - 1 - i] = t_module_entry((uint8_t)(20 + i), 100);
    CHECK(mcov_region_file_claim(f, mods, TOOL_MODULES, many_bases, NULL) == 0, "claim: %s",
          mcov_last_error());
    CHECK(mcov_region_file_claim(f, reversed, TOOL_MODULES, many_bases, NULL) == 0, "claim: %s",
          mcov_last_error());
    for (int i = 0; i < TOOL_MODULES; i++)
        CHECK(many_bases[i] == 4096u * (uint64_t)(TOOL_MODULES - 1 - i),
              "module %d claimed again got base %llu", TOOL_MODULES - 1 - i,
              (unsigned long long)many_bases[i]);
    uint64_t tools_end = 4096u * TOOL_MODULES;
    counters_are(f, TOOL_MODULES, tools_end, 100u * TOOL_MODULES);
    t_wait_ok_within(t_fork(run_samples, (void *)many), 20000);
    mcov_region_counters after_first;
    mcov_region_file_counters(f, &after_first);
    CHECK(mcov_region_file_sync(f) == 0, "sync: %s", mcov_last_error());
    CHECK(after_first.module_count == TOOL_MODULES + 2, "%u modules: the samples did not register",
          after_first.module_count);
    uint64_t first_count = t_count(facts.base + facts.map_offset + tools_end,
                                   (1u << 17) - tools_end);
    t_wait_ok_within(t_fork(run_samples, (void *)many), 20000);
    counters_are(f, TOOL_MODULES + 2, after_first.alloc_cursor, after_first.edges_registered);
    CHECK(mcov_region_file_sync(f) == 0, "sync: %s", mcov_last_error());
    CHECK(first_count > 0 &&
              t_count(facts.base + facts.map_offset + tools_end, (1u << 17) - tools_end) ==
                  first_count &&
              t_count(facts.base + facts.map_offset, tools_end) == 0,
          "a second process did not record into the ranges the first one claimed");
    mcov_region_file_close(f);

    /* Remove. */
    CHECK(mcov_region_file_remove(s_dir, "tool") == 0, "remove");
    CHECK(mcov_region_file_remove(s_dir, "tool") == MCOV_E_NOT_FOUND, "removed twice");
    CHECK(mcov_region_file_open(s_dir, "tool", &f, NULL) == MCOV_E_NOT_FOUND && !f,
          "opened a removed region");
    mcov_region_file_remove(s_dir, "big");
    t_cleanup();
    return 0;
}
