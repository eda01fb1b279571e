/* Region names outside [A-Za-z0-9][A-Za-z0-9._-]{0,199} are refused by every call that
 * takes a name, with MCOV_E_INVALID_NAME and a message giving the rule; a name of exactly
 * 200 characters works. The test runs in a private shm directory so it can check that no
 * refused name left a file anywhere. */
#define _GNU_SOURCE
#include "support.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[] = "/dev/shm/memcov-t-badnames-XXXXXX";

static void remove_dir(void)
{
    t_remove_dir(s_dir);
}

/* The message must say what is wrong and give the rule to follow. */
static void check_message(const char *call, const char *label)
{
    const char *msg = mcov_last_error();
    CHECK(msg && msg[0], "%s(%s): mcov_last_error() is empty", call, label);
    CHECK(strstr(msg, "[A-Za-z0-9][A-Za-z0-9._-]{0,199}"),
          "%s(%s): message does not give the name rule: '%s'", call, label, msg);
}

static void expect_invalid(const char *name, const char *label)
{
    int rc = mcov_region_create(name, 4096);
    CHECK(rc == MCOV_E_INVALID_NAME, "create(%s) = %d", label, rc);
    check_message("mcov_region_create", label);
    rc = mcov_attach(name);
    CHECK(rc == MCOV_E_INVALID_NAME, "attach(%s) = %d", label, rc);
    check_message("mcov_attach", label);
    rc = mcov_region_remove(name);
    CHECK(rc == MCOV_E_INVALID_NAME, "remove(%s) = %d", label, rc);
    check_message("mcov_region_remove", label);
    rc = mcov_region_reset(name);
    CHECK(rc == MCOV_E_INVALID_NAME, "reset(%s) = %d", label, rc);
    check_message("mcov_region_reset", label);
    CHECK(mcov_is_attached() == 0, "attached after refused name %s", label);
    CHECK(t_count_entries(s_dir, NULL) == 0, "refused name %s left %d files in %s", label,
          t_count_entries(s_dir, NULL), s_dir);
}

int main(void)
{
    CHECK(mkdtemp(s_dir), "mkdtemp %s", s_dir);
    atexit(remove_dir);
    setenv("MEMCOV_SHM_DIR", s_dir, 1);

    char long201[202];
    memset(long201, 'n', 201);
    long201[201] = '\0';
    char long300[301];
    memset(long300, 'q', 300);
    long300[300] = '\0';

    static const struct {
        const char *name, *label;
    } bad[] = {
        {"", "empty"},
        {"/x", "/x"},
        {"../x", "../x"},
        {"..", ".."},
        {".", "."},
        {"a/b", "a/b"},
        {"a/", "a/"},
        {".hidden", ".hidden"},
        {"-x", "-x"},
        {"_x", "_x"},
        {"a b", "space inside"},
        {" a", "leading space"},
        {"a ", "trailing space"},
        {"a\tb", "tab"},
        {"a\nb", "newline"},
        {"caf\xc3\xa9", "utf-8 e-acute"},
        {"\xe2\x9c\x93", "utf-8 check mark"},
        {"a\xff", "byte 0xff"},
        {"a*b", "star"},
        {"a:b", "colon"},
        {"a\\b", "backslash"},
    };
    expect_invalid(NULL, "NULL");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_invalid(bad[i].name, bad[i].label);
    expect_invalid(long201, "201 characters");
    expect_invalid(long300, "300 characters");

    /* A 200-character name is the longest that works: create, attach, reset, remove. */
    char name[201];
    snprintf(name, sizeof name, "t-badnames-%d-", (int)getpid());
    size_t len = strlen(name);
    memset(name + len, 'z', 200 - len);
    name[200] = '\0';
    CHECK(strlen(name) == 200, "name of %zu characters", strlen(name));
    int rc = mcov_region_create(name, 4096);
    CHECK(rc == MCOV_OK, "create(200 characters) = %d: %s", rc, mcov_last_error());
    CHECK(mcov_is_attached() == 1, "not attached after create");
    CHECK(strcmp(mcov_region_name(), name) == 0, "region name '%s'", mcov_region_name());
    char path[4096];
    t_region_path(name, path, sizeof path);
    struct stat st;
    CHECK(stat(path, &st) == 0, "no file %s", path);
    CHECK_EQ_U64(st.st_size, MCOV_REGION_MAP_OFFSET + 4096);
    mcov_detach();
    CHECK(mcov_is_attached() == 0, "attached after detach");
    rc = mcov_attach(name);
    CHECK(rc == MCOV_OK, "attach(200 characters) = %d: %s", rc, mcov_last_error());
    mcov_detach();
    rc = mcov_region_reset(name);
    CHECK(rc == MCOV_OK, "reset(200 characters) = %d: %s", rc, mcov_last_error());
    rc = mcov_region_remove(name);
    CHECK(rc == MCOV_OK, "remove(200 characters) = %d: %s", rc, mcov_last_error());
    CHECK(stat(path, &st) != 0, "%s still there after remove", path);
    CHECK(t_count_entries(s_dir, NULL) == 0, "files left in %s", s_dir);

    /* One character more than that is refused again, also next to a valid region. */
    char name201[202];
    memcpy(name201, name, 200);
    name201[200] = 'z';
    name201[201] = '\0';
    expect_invalid(name201, "the 200-character name plus one");
    t_cleanup();
    return 0;
}
