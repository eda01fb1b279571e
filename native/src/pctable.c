/* PC tables (-fsanitize-coverage=pc-table): each edge's address, as an offset from its module's
 * load bias, kept in a file beside the region per module identity (MCOV_PCS_FILE_PREFIX), so a
 * report can name the code of every edge after the processes that recorded it have exited. The
 * first process that brings a module into a region writes its file; the others find it there. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hook_abi.h"
#include "runtime.h"
#include "text.h"

int mcov_pcs_path(const char *region_path, const char *name, uint64_t token,
                  const mcov_module_entry *e, char *buf, size_t len)
{
    struct mcov_text t = mcov_text_in(buf, len);
    mcov_text_side_file(&t, region_path, MCOV_PCS_FILE_PREFIX, name, token);
    mcov_text_str(&t, "-");
    mcov_text_hex64(&t, mcov_identity_hash(e));
    if (!t.fits)
        return mcov_fail(MCOV_E_INVALID_ARG,
                         "the PC file of a module of region '%s' needs a path of more than %zu "
                         "bytes: set MEMCOV_SHM_DIR to a shorter directory",
                         name, len - 1);
    return MCOV_OK;
}

/* Link bytes into place at path, complete or not at all: written as an unnamed file (O_TMPFILE)
 * and then named, so a writer killed midway leaves nothing. An existing file is kept (another
 * process wrote the same table). A directory without unnamed files gets no PC file. */
static int link_new_file(const char *path, const uint8_t *bytes, uint64_t n)
{
    char dir[4096], self[64];
    mcov_dir_of(path, dir, sizeof dir);
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return mcov_fail(errno == ENOSPC || errno == EDQUOT ? MCOV_E_NO_SPACE : MCOV_E_SYSTEM,
                         "cannot create an unnamed file (O_TMPFILE) in %s: %s", dir,
                         strerror(errno));
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    bool ok = mcov_write_all(fd, bytes, n) &&
              (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 || errno == EEXIST);
    int e = errno;
    close(fd);
    return ok ? MCOV_OK
              : mcov_fail(e == ENOSPC || e == EDQUOT ? MCOV_E_NO_SPACE : MCOV_E_SYSTEM,
                          "cannot write %s: %s", path, strerror(e));
}

/* Whether e's PC file is there already: written by the first process that brought it in. */
static bool pcs_present(const char *path)
{
    struct stat st;
    return fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Write the PC file at path: e's table as a map file of that one module. */
static int write_pcs_file(const char *path, const mcov_module_entry *e, const mcov_map_pc *pcs)
{
    struct mcov_map_source src = {*e, NULL, pcs};
    uint64_t size = mcov_map_size_of(1, e->edge_count, e->edge_count);
    uint8_t *bytes = size && size <= SIZE_MAX ? malloc((size_t)size) : NULL;
    if (!bytes)
        return mcov_fail(MCOV_E_SYSTEM, "out of memory writing the PC table of %.184s (%llu edges)",
                         e->path, (unsigned long long)e->edge_count);
    int rc = mcov_map_encode(&src, 1, MCOV_MAP_FLAGS, bytes, size);
    if (rc == MCOV_OK)
        rc = link_new_file(path, bytes, size);
    free(bytes);
    return rc;
}

int mcov_pcs_write(const struct mcov_region *r, const mcov_module_entry *e, const mcov_map_pc *pcs)
{
    char path[4096];
    int rc = mcov_pcs_path(r->path, r->name, r->lanes_token, e, path, sizeof path);
    if (rc)
        return rc;
    return pcs_present(path) ? MCOV_OK : write_pcs_file(path, e, pcs);
}

int64_t mcov_pcs_read(const struct mcov_region *r, const mcov_module_entry *e, mcov_map_pc *out)
{
    char path[4096];
    if (mcov_pcs_path(r->path, r->name, r->lanes_token, e, path, sizeof path) != MCOV_OK) {
        mcov_clear_error(); /* no room for the name: no process could have written one */
        return 0;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0
                               : mcov_fail(MCOV_E_CORRUPT, "cannot open the PC file %s: %s", path,
                                           strerror(errno));
    uint64_t size = mcov_map_size_of(1, e->edge_count, e->edge_count);
    struct stat st;
    uint8_t *bytes = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (uint64_t)st.st_size != size || size > SIZE_MAX || !(bytes = malloc((size_t)size))) {
        close(fd);
        return mcov_fail(MCOV_E_CORRUPT,
                         "%s is not the PC file of %.184s: a regular file of this user of %llu "
                         "bytes",
                         path, e->path, (unsigned long long)size);
    }
    bool whole = mcov_read_at(fd, bytes, size, 0);
    close(fd);
    /* Checked once: a map file of this one module, its table non-empty. */
    mcov_map_summary s;
    mcov_module_entry in_file;
    struct mcov_identity id;
    mcov_identity_from_entry(e, &id);
    bool ok = whole && mcov_map_check_bytes(bytes, size, &s) == MCOV_OK &&
              s.format == MCOV_MAP_FORMAT_MAP2 && s.module_count == 1;
    if (ok) {
        memcpy(&in_file, bytes + sizeof(mcov_map_header), sizeof in_file);
        ok = mcov_identity_matches(&id, &in_file);
    }
    if (ok)
        mcov_map_copy_pcs(bytes, &s, out);
    free(bytes);
    if (ok && out[0].offset != 0)
        return (int64_t)e->edge_count;
    return mcov_fail(MCOV_E_CORRUPT, "%s is not the PC file of %.184s", path, e->path);
}

static void tell_not_kept(const struct mcov_region *r, const struct mcov_module *m)
{
    mcov_warn("the PC table of %s is not kept beside region '%s' (%s): its report will lack it",
              m->id.path, r->name, mcov_last_error());
}

/* Write m's PC file into r; the module's table is in its own memory, which must be loaded. */
static void publish_one(const struct mcov_region *r, struct mcov_module *m)
{
    m->pcs_token = r->lanes_token; /* one try per module and region */
    mcov_identity_complete(&m->id); /* the PC file's entry names the file */
    mcov_module_entry e;
    mcov_entry_of_identity(&m->id, &e);
    char path[4096];
    if (mcov_pcs_path(r->path, r->name, r->lanes_token, &e, path, sizeof path) != MCOV_OK) {
        tell_not_kept(r, m);
        return;
    }
    if (pcs_present(path))
        return; /* every process after the first: one stat */
    mcov_map_pc *table = malloc((size_t)m->id.edge_count * sizeof *table);
    if (!table) {
        mcov_warn("out of memory keeping the PC table of %s: its report will lack it", m->id.path);
        return;
    }
    for (uint64_t i = 0; i < m->id.edge_count; i++)
        table[i] = (mcov_map_pc){m->pcs[2 * i] - m->id.bias, m->pcs[2 * i + 1]};
    if (write_pcs_file(path, &e, table) != MCOV_OK)
        tell_not_kept(r, m);
    free(table);
}

void mcov_pcs_publish(const struct mcov_region *r)
{
    for (uint32_t i = 0; i < mcov_rt.module_count; i++) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (!m->pcs || m->region_base < 0 || m->pcs_token == r->lanes_token)
            continue;
        /* Only read a table whose object is still the one loaded: unloaded, or another object
         * at its address, the identity differs or the address is in no object. */
        struct mcov_identity now;
        mcov_identity_of(m->pcs, m->id.edge_count, m->id.mode, &now);
        if (!mcov_identity_equal(&now, &m->id) || now.bias != m->id.bias) {
            m->pcs = NULL;
            continue;
        }
        publish_one(r, m);
    }
}

/* Whose table: the module of the object holding it (its bias) with as many edges. The module's
 * constructor calls this right after its guard, flag or counter init, so the object is loaded. */
void mcov_register_pcs(const uintptr_t *start, const uintptr_t *stop)
{
    if (!start || start >= stop || (stop - start) % 2)
        return;
    uint64_t n = (uint64_t)(stop - start) / 2;
    uintptr_t bias;
    if (!mcov_object_bias(start, &bias))
        return;
    mcov_lock();
    for (uint32_t i = mcov_rt.module_count; i-- > 0;) {
        struct mcov_module *m = &mcov_rt.modules[i];
        if (m->id.edge_count != n || m->id.bias != bias)
            continue;
        m->pcs = start;
        m->pcs_token = 0;
        if (mcov_rt.attached && m->region_base >= 0)
            publish_one(&mcov_rt.region, m);
        break;
    }
    mcov_unlock();
}
