/* Test support for hit counts: the counts fixture (fixtures/sample_counts.c, built in no-call
 * and in callback mode), AFL++'s class of a count, and hit-count regions. */
#ifndef MEMCOV_TEST_COUNTS_H
#define MEMCOV_TEST_COUNTS_H

#include <stdint.h>

typedef int64_t (*t_count_fn)(int64_t);

/* Function SYM of the counts fixture build LIB (loaded once by the dynamic loader). */
t_count_fn t_counts_sym(const char *lib, const char *sym);
/* The class a region holds for an edge hit COUNT times: counts are NeverZero (256 reads 1). */
uint8_t t_class_of(uint64_t count);
/* Byte AT of region NAME's map, its lanes folded as a reader folds them. */
uint8_t t_region_byte(const char *name, int64_t at);
/* A new hit-count region this process is not attached to. */
const char *t_counts_region(const char *tag);
/* The slot of counts_hit's one edge in a region where LIB's module is the only one. */
int64_t t_counts_hit_edge(const char *lib);

#endif
