/* Module identity: what makes "the same module" in every process, in any load order.
 * The ELF build-id when the module has one, else its realpath, file size and edge count. */
#define _GNU_SOURCE
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "runtime.h"

struct find_ctx {
    uintptr_t addr;
    uintptr_t bias;
    char *name; /* where to copy a shared object's name (the loader names the executable ""), or NULL */
    size_t name_size;
    uint32_t build_id_len;
    uint8_t build_id[32];
    bool found;
    bool bias_only;  /* find the object's bias, not its build-id */
    bool executable; /* the object is the executable */
};

const uint8_t *mcov_find_note(const struct dl_phdr_info *info, uint32_t type, const char *name,
                              uint32_t *desc_size)
{
    size_t name_len = strlen(name) + 1;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            size_t name_sz = (n->n_namesz + 3u) & ~3u;
            size_t desc_sz = (n->n_descsz + 3u) & ~3u;
            const uint8_t *note_name = p + sizeof *n;
            const uint8_t *desc = note_name + name_sz;
            if (name_sz > (size_t)(end - note_name) || desc_sz > (size_t)(end - desc))
                break;
            if (n->n_type == type && n->n_namesz == name_len && memcmp(note_name, name, name_len) == 0) {
                *desc_size = n->n_descsz;
                return desc;
            }
            p = desc + desc_sz;
        }
    }
    return NULL;
}

static void read_build_id(struct dl_phdr_info *info, struct find_ctx *ctx)
{
    uint32_t size = 0;
    const uint8_t *id = mcov_find_note(info, NT_GNU_BUILD_ID, "GNU", &size);
    if (id && size > 0) {
        ctx->build_id_len = size < 32 ? size : 32;
        memcpy(ctx->build_id, id, ctx->build_id_len);
    }
}

/* Whether one of the object's loaded segments holds addr. */
static bool object_holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= lo && addr - lo < ph->p_memsz)
            return true;
    }
    return false;
}

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find_ctx *ctx = arg;
    if (!object_holds(info, ctx->addr))
        return 0;
    ctx->found = true;
    ctx->bias = info->dlpi_addr;
    ctx->executable = !info->dlpi_name || !info->dlpi_name[0];
    if (ctx->name && !ctx->executable) {
        strncpy(ctx->name, info->dlpi_name, ctx->name_size - 1);
        ctx->name[ctx->name_size - 1] = 0;
    }
    if (!ctx->bias_only)
        read_build_id(info, ctx);
    return 1;
}

/* The kernel's path of the executable, canonical already: the loader names it "". */
static void read_executable_path(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    buf[n > 0 ? n : 0] = 0;
}

/* path's size in out->file_size (0 if it cannot be read) and its tail in out->path. */
static void set_path(struct mcov_identity *out, const char *path)
{
    struct stat st;
    out->file_size = path[0] && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    size_t len = strlen(path);
    /* Keep the tail of a long path: the file name is what a reader needs. */
    const char *shown = len >= sizeof out->path ? path + len - (sizeof out->path - 1) : path;
    memcpy(out->path, shown, strlen(shown) + 1);
}

bool mcov_object_bias(const void *addr, uintptr_t *bias)
{
    struct find_ctx ctx = {.addr = (uintptr_t)addr, .bias_only = true};
    dl_iterate_phdr(find_object, &ctx);
    *bias = ctx.bias;
    return ctx.found;
}

/* The path of the object found (resolved) in out, and its hash as out's identity when it has no
 * build-id. A frame of its own keeps the two path buffers off the stack of the usual start-up, an
 * executable with a build-id: below them its deepest calls would touch a new stack page. */
__attribute__((noinline)) static void set_object_path(struct mcov_identity *out,
                                                      const struct find_ctx *found, bool by_path)
{
    char name[PATH_MAX], real[PATH_MAX];
    name[0] = 0;
    const char *path = name;
    if (found->executable)
        read_executable_path(name, sizeof name);
    else if (found->found) {
        struct find_ctx ctx = {
            .addr = found->addr, .name = name, .name_size = sizeof name, .bias_only = true};
        dl_iterate_phdr(find_object, &ctx);
        if (name[0] && realpath(name, real))
            path = real;
    }
    set_path(out, path);
    if (by_path) {
        uint64_t h = mcov_fnv1a(path, strlen(path), MCOV_FNV_OFFSET);
        out->kind = MCOV_ID_PATH;
        out->len = sizeof h;
        memcpy(out->bytes, &h, sizeof h);
    }
}

void mcov_identity_of(const void *addr, uint64_t edges, uint32_t mode, struct mcov_identity *out)
{
    memset(out, 0, sizeof *out);
    out->edge_count = edges;
    out->mode = mode;
    struct find_ctx ctx = {.addr = (uintptr_t)addr};
    dl_iterate_phdr(find_object, &ctx);
    out->bias = ctx.bias;
    if (ctx.build_id_len) {
        out->kind = MCOV_ID_BUILD_ID;
        out->len = ctx.build_id_len;
        memcpy(out->bytes, ctx.build_id, ctx.build_id_len);
    }
    if (ctx.executable && ctx.build_id_len)
        out->path_pending = true;
    else
        set_object_path(out, &ctx, ctx.build_id_len == 0);
}

void mcov_identity_complete(struct mcov_identity *id)
{
    if (!id->path_pending)
        return;
    char path[PATH_MAX];
    read_executable_path(path, sizeof path);
    set_path(id, path);
    id->path_pending = false;
}

void mcov_identity_adopt(struct mcov_identity *id, const mcov_module_entry *e)
{
    if (!id->path_pending)
        return;
    id->file_size = e->file_size;
    memcpy(id->path, e->path, sizeof id->path);
    id->path[sizeof id->path - 1] = 0;
    id->path_pending = false;
}

bool mcov_identity_matches(const struct mcov_identity *id, const mcov_module_entry *e)
{
    return e->id_kind == id->kind && e->id_len == id->len && id->len <= sizeof e->id &&
           memcmp(e->id, id->bytes, id->len) == 0 && e->edge_count == id->edge_count &&
           e->mode == id->mode && (id->kind != MCOV_ID_PATH || e->file_size == id->file_size);
}

bool mcov_identity_equal(const struct mcov_identity *a, const struct mcov_identity *b)
{
    return a->kind == b->kind && a->len == b->len && a->len <= sizeof a->bytes &&
           memcmp(a->bytes, b->bytes, a->len) == 0 && a->edge_count == b->edge_count &&
           a->mode == b->mode && (a->kind != MCOV_ID_PATH || a->file_size == b->file_size);
}

void mcov_identity_from_entry(const mcov_module_entry *e, struct mcov_identity *out)
{
    memset(out, 0, sizeof *out);
    out->kind = e->id_kind;
    out->len = e->id_len <= sizeof out->bytes ? e->id_len : sizeof out->bytes;
    memcpy(out->bytes, e->id, out->len);
    out->file_size = e->file_size;
    out->edge_count = e->edge_count;
    out->mode = e->mode;
    memcpy(out->path, e->path, sizeof out->path);
    out->path[sizeof out->path - 1] = 0;
}

void mcov_entry_of_identity(const struct mcov_identity *id, mcov_module_entry *e)
{
    memset(e, 0, sizeof *e);
    e->edge_count = id->edge_count;
    e->file_size = id->file_size;
    e->mode = id->mode;
    e->id_kind = id->kind;
    e->id_len = id->len;
    memcpy(e->id, id->bytes, id->len);
    memcpy(e->path, id->path, sizeof e->path);
    e->path[sizeof e->path - 1] = 0;
}

uint64_t mcov_identity_hash(const mcov_module_entry *e)
{
    uint64_t h = mcov_fnv1a(e->id, e->id_len <= sizeof e->id ? e->id_len : sizeof e->id,
                            MCOV_FNV_OFFSET);
    h = mcov_fnv1a(&e->edge_count, sizeof e->edge_count, h);
    h = mcov_fnv1a(&e->mode, sizeof e->mode, h);
    h = mcov_fnv1a(&e->id_kind, sizeof e->id_kind, h);
    if (e->id_kind == MCOV_ID_PATH)
        h = mcov_fnv1a(&e->file_size, sizeof e->file_size, h);
    return h;
}
