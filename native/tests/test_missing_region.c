/* Attach, reset and remove of a region that does not exist return MCOV_E_NOT_FOUND with a
 * message that says how to get one, create no file, and leave the process recording
 * privately: its modules register and their hits are counted. */
#define _GNU_SOURCE
#include "support.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check_absent(const char *name)
{
    char path[4096];
    struct stat st;
    t_region_path(name, path, sizeof path);
    CHECK(lstat(path, &st) != 0, "%s exists", path);
}

/* MEMCOV_REGION naming a missing region: the first module's registration tries to attach,
 * fails, and the process records privately. */
static void env_child(void *name)
{
    setenv("MEMCOV_REGION", name, 1);
    t_run_inputs(0, 0, t_input_count);
    CHECK(mcov_is_attached() == 0, "env child attached to a missing region");
    CHECK(mcov_module_count() == 2, "env child has %u modules", mcov_module_count());
    CHECK(mcov_private_module_count() == 2, "env child has %u private modules",
          mcov_private_module_count());
    CHECK(mcov_get_now64() > 0, "env child records nothing");
    CHECK(mcov_get_total64() >= mcov_get_now64(), "total %llu < now %llu",
          (unsigned long long)mcov_get_total64(), (unsigned long long)mcov_get_now64());
    check_absent(name);
}

int main(void)
{
    /* Before any module registers here, so the reference holds only its child's hits. */
    t_region_copy ref = t_reference_union();
    const char *name = t_region_name("missing");
    check_absent(name);

    t_wait_ok(t_fork(env_child, (void *)name));

    int rc = mcov_attach(name);
    CHECK(rc == MCOV_E_NOT_FOUND, "attach = %d", rc);
    const char *msg = mcov_last_error();
    CHECK(msg[0], "attach: empty mcov_last_error()");
    CHECK(strstr(msg, name), "attach message does not name the region: '%s'", msg);
    CHECK(strstr(msg, "create it first") || strstr(msg, "mcov_region_create"),
          "attach message gives no remedy: '%s'", msg);
    CHECK(mcov_is_attached() == 0, "attached after NOT_FOUND");
    CHECK(strcmp(mcov_region_name(), "") == 0, "region name '%s'", mcov_region_name());

    rc = mcov_region_reset(name);
    CHECK(rc == MCOV_E_NOT_FOUND, "reset = %d", rc);
    CHECK(mcov_last_error()[0], "reset: empty mcov_last_error()");
    CHECK(strstr(mcov_last_error(), name), "reset message: '%s'", mcov_last_error());

    rc = mcov_region_remove(name);
    CHECK(rc == MCOV_E_NOT_FOUND, "remove = %d", rc);
    CHECK(mcov_last_error()[0], "remove: empty mcov_last_error()");
    CHECK(strstr(mcov_last_error(), name), "remove message: '%s'", mcov_last_error());
    check_absent(name);

    /* The process keeps working: modules record privately. */
    t_run_inputs(0, 0, t_input_count);
    CHECK(mcov_is_attached() == 0, "attached after running inputs");
    CHECK(mcov_module_count() == 2, "%u modules", mcov_module_count());
    CHECK(mcov_private_module_count() == 2, "%u private modules", mcov_private_module_count());
    uint64_t now = mcov_get_now64();
    uint64_t total = mcov_get_total64();
    CHECK(now > 0, "mcov_get_now64() = 0 after running inputs privately");
    CHECK(total >= now, "total %llu < now %llu", (unsigned long long)total,
          (unsigned long long)now);
    uint8_t *buf = malloc(total);
    CHECK(buf, "malloc");
    CHECK_EQ_U64(mcov_copy_hitmap_n(buf, total), total);
    CHECK_EQ_U64(t_count(buf, total), now);
    free(buf);

    /* The same coverage as the reference (one process, attached to a region). */
    CHECK_EQ_U64(now, t_count(ref.map, ref.cursor));
    t_free_region(&ref);

    /* A failed attach after modules registered changes nothing either. */
    rc = mcov_attach(name);
    CHECK(rc == MCOV_E_NOT_FOUND, "second attach = %d", rc);
    CHECK(mcov_is_attached() == 0, "attached");
    CHECK_EQ_U64(mcov_get_now64(), now);
    CHECK_EQ_U64(mcov_private_module_count(), 2);
    check_absent(name);
    t_cleanup();
    return 0;
}
