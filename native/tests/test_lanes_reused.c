/* A process that ends in a flag region leaves its lane to readers, and the next process to take a
 * lane takes that dead owner's: it folds the lane into the map first, and clears it, so that it
 * starts from zero (through its own mapping where its modules map the lane, through the file
 * beyond them). Two workers that count with the counters sample one after the other (the first
 * ending with _exit, the second with exit) leave one owned lane, the second's; the map then holds
 * the first's edges, and a reader's count is the union of both, as one process doing both counts.
 * The first also runs the no-call sample A, so its lane reaches further than the second's: once a
 * reader has freed the lane, the lanes file holds no page of it. A second worker in an own view
 * finds it empty, although its lane held the first's counts; one that loaded two copies of the
 * counters sample keeps its own view as the lane is folded for the first copy. In a hit-count
 * region, two workers that each count once and end without destructors (_exit, so that neither
 * folds its own lane) leave the classes of one count, not of two: the second worker's counts did
 * not start from the first's. */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <link.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct work {
    const char *name;
    int once;       /* run counts_once */
    int loop_times; /* run counts_loop this many times */
    int quick;      /* end with _exit: no destructor folds the lane */
    int sample_a;   /* load the no-call sample A too, after the counters sample */
};

/* Attach, count, and end with exit (destructors run), as a worker that returns from main, or
 * with _exit. */
static void worker(void *arg)
{
    const struct work *w = arg;
    if (mcov_attach(w->name) != 0)
        _exit(3);
    void *lib = t_load("libmcov_sample_counts_inline.so");
    int64_t (*once)(void) = (int64_t (*)(void))dlsym(lib, "counts_once");
    int64_t (*loop)(int64_t) = (int64_t (*)(int64_t))dlsym(lib, "counts_loop");
    if (!once || !loop)
        _exit(4);
    if (w->sample_a)
        t_sym(t_load("libmcov_sample_a_inline.so"), "sample_a_run")("1+2*3");
    if (w->once)
        once();
    if (w->loop_times)
        loop(w->loop_times);
    if (w->quick)
        _exit(0);
    exit(0);
}

/* The lanes of region name that are owned, how many; the first one's owner and number in *owner
 * and *lane (NULL: not wanted). */
static int owned_lanes(const char *name, pid_t *owner, uint32_t *lane)
{
    int fd = t_open_lanes(name, NULL);
    int n = 0;
    for (uint32_t k = 0; k < MCOV_LANE_COUNT; k++) {
        mcov_lane_entry e = t_lane_entry(fd, k);
        if (e.state == MCOV_LANE_FREE)
            continue;
        CHECK(e.extent > 0, "owned lane %u holds nothing", k);
        if (n++ == 0 && owner && lane) {
            *owner = (pid_t)e.owner_pid;
            *lane = k;
        }
    }
    close(fd);
    return n;
}

static uint64_t lane_extent(const char *name, uint32_t k)
{
    int fd = t_open_lanes(name, NULL);
    uint64_t extent = t_lane_entry(fd, k).extent;
    close(fd);
    return extent;
}

/* Runs worker w to its end; the number of the one lane its region then has owned, CHECKed to be
 * the worker's. */
static uint32_t lane_left_by(const struct work *w)
{
    pid_t pid = t_fork(worker, (void *)w);
    t_wait_ok(pid);
    pid_t owner = 0;
    uint32_t lane = 0;
    CHECK_EQ_U64(owned_lanes(w->name, &owner, &lane), 1);
    CHECK(owner == pid, "the lane left is pid %d's, not the worker's (%d)", (int)owner, (int)pid);
    return lane;
}

/* The edges region name's map holds, read from its file as it is: no lane folded first. */
static uint64_t map_edges(const char *name)
{
    char path[4096];
    t_region_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    struct stat st;
    CHECK(fd >= 0 && fstat(fd, &st) == 0, "open %s", path);
    uint8_t *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(base != MAP_FAILED, "mmap %s", path);
    const mcov_region_header *h = (const mcov_region_header *)base;
    CHECK(h->map_offset + h->alloc_cursor <= (uint64_t)st.st_size, "size of %s", path);
    uint64_t n = t_count(base + h->map_offset, h->alloc_cursor);
    munmap(base, (size_t)st.st_size);
    close(fd);
    return n;
}

static uint64_t count_as_reader(const char *name)
{
    CHECK(mcov_attach(name) == 0, "attach: %s", mcov_last_error());
    uint64_t edges = mcov_get_now64();
    mcov_detach();
    return edges;
}

/* A region made by this process, which then lets go of it. */
static const char *new_region(const char *tag, int counts)
{
    const char *name = t_region_name(tag);
    CHECK((counts ? mcov_region_create_counts(name, 1 << 16) : mcov_region_create(name, 1 << 16)) ==
              0,
          "create: %s", mcov_last_error());
    mcov_detach();
    return name;
}

/* What a process doing the first worker's work (the counters sample once, sample A) leaves in a
 * flag region of its own. */
static uint64_t first_work_edges(const char *tag)
{
    const char *once = new_region(tag, 0);
    struct work first_only = {once, 1, 0, 0, 1};
    t_wait_ok(t_fork(worker, &first_only));
    return count_as_reader(once);
}

static void flags(void)
{
    /* References: one process doing the first's work, one doing both workers'. */
    uint64_t once_edges = first_work_edges("once");
    const char *one = new_region("one", 0);
    struct work both = {one, 1, 5, 0, 1};
    t_wait_ok(t_fork(worker, &both));
    uint64_t reference = count_as_reader(one);
    CHECK(once_edges > 0 && reference > once_edges,
          "the counters sample reached %llu, then %llu edges", (unsigned long long)once_edges,
          (unsigned long long)reference);
    CHECK_EQ_U64(owned_lanes(one, NULL, NULL), 0);

    const char *name = new_region("two", 0);
    struct work first = {name, 1, 0, 1, 1}, second = {name, 0, 5, 0, 0};
    uint32_t lane = lane_left_by(&first);
    CHECK_EQ_U64(map_edges(name), 0); /* left to readers */
    CHECK_EQ_U64(lane_left_by(&second), lane);
    CHECK_EQ_U64(map_edges(name), once_edges); /* the first's, folded by the second */
    CHECK_EQ_U64(count_as_reader(name), reference);
    CHECK_EQ_U64(owned_lanes(name, NULL, NULL), 0);
    /* Freed, the lane holds no page: neither the second's nor those the first's reached beyond. */
    mcov_lanes_header lh;
    int fd = t_open_lanes(name, &lh);
    t_check_lanes_hold_no_page(fd, &lh);
    close(fd);
}

/* Attach, open an own view, load the counters sample (its lane is taken now): the own view is
 * empty; after one count it holds edges. */
static void own_view_worker(void *arg)
{
    if (mcov_attach((const char *)arg) != 0)
        _exit(3);
    mcov_reset();
    void *lib = t_load("libmcov_sample_counts_inline.so");
    int64_t (*once)(void) = (int64_t (*)(void))dlsym(lib, "counts_once");
    if (!once)
        _exit(4);
    CHECK_EQ_U64(mcov_get_now(), 0);
    once();
    CHECK(mcov_get_now() > 0, "the own view holds nothing after a count");
    exit(0);
}

static void own_view(void)
{
    uint64_t once_edges = first_work_edges("own-once");

    const char *name = new_region("own", 0);
    struct work first = {name, 1, 0, 1, 1};
    uint32_t lane = lane_left_by(&first);
    uint64_t extent = lane_extent(name, lane);
    pid_t second = t_fork(own_view_worker, (void *)name);
    t_wait_ok(second);
    pid_t owner = 0;
    uint32_t left = 0;
    CHECK_EQ_U64(owned_lanes(name, &owner, &left), 1);
    CHECK(owner == second && left == lane, "lane %u of pid %d left, not %u of %d", left, (int)owner,
          lane, (int)second);
    /* Taken with the first's bytes, whose extent (sample A's range beyond the counters') it
     * keeps, rather than freed and reserved again. */
    CHECK_EQ_U64(lane_extent(name, lane), extent);
    CHECK_EQ_U64(map_edges(name), once_edges); /* the first's, folded by the second */
    CHECK_EQ_U64(count_as_reader(name), once_edges);
}

/* The counters sample loaded twice (a copy of the file: the same identity, two sections sharing
 * one range), counted once through the first copy in an own view while detached, then attached
 * to a region with a dead owner's lane: the lane the own view moves into is folded and cleared
 * once, so the own view keeps the count. */
static void second_copy_worker(void *arg)
{
    mcov_reset();
    void *first = t_load("libmcov_sample_counts_inline.so");
    struct link_map *map = NULL;
    CHECK(dlinfo(first, RTLD_DI_LINKMAP, &map) == 0, "dlinfo: %s", dlerror());
    char dir[] = "/tmp/memcov-copy-XXXXXX", copy[4096], cmd[8192];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(copy, sizeof copy, "%s/copy.so", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", map->l_name, copy);
    CHECK(system(cmd) == 0, "%s", cmd);
    void *second = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    unlink(copy);
    rmdir(dir);
    CHECK(second != NULL, "dlopen %s: %s", copy, dlerror());
    int64_t (*once)(void) = (int64_t (*)(void))dlsym(first, "counts_once");
    CHECK(once != NULL, "counts_once");
    once();
    uint32_t own = mcov_get_now();
    CHECK(own > 0, "the own view holds nothing after a count");
    CHECK(mcov_attach((const char *)arg) == 0, "attach: %s", mcov_last_error());
    /* In the lane both copies map the range, and each counts it. */
    CHECK(mcov_get_now() >= own, "the own view went from %u to %u edges", own, mcov_get_now());
    _exit(0);
}

static void second_copy(void)
{
    const char *name = new_region("copies", 0);
    struct work first = {name, 1, 0, 1, 1};
    uint32_t lane = lane_left_by(&first);
    t_wait_ok(t_fork(second_copy_worker, (void *)name));
    pid_t owner = 0;
    uint32_t left = 0;
    CHECK_EQ_U64(owned_lanes(name, &owner, &left), 1);
    CHECK_EQ_U64(left, lane); /* the second worker took the first's lane */
}

static void counts(void)
{
    const char *one = new_region("counts-one", 1);
    struct work once = {one, 1, 0, 1, 0};
    t_wait_ok(t_fork(worker, &once));
    CHECK(count_as_reader(one) > 0, "the counters sample reached no edges");
    t_region_copy reference = t_read_region(one);

    const char *name = new_region("counts-two", 1);
    struct work each = {name, 1, 0, 1, 0};
    uint32_t lane = lane_left_by(&each);
    CHECK_EQ_U64(lane_left_by(&each), lane);
    count_as_reader(name);
    t_check_region_matches(name, &reference);
    t_free_region(&reference);
}

int main(void)
{
    flags();
    own_view();
    second_copy();
    counts();
    t_cleanup();
    return 0;
}
