/* A set of 64-bit ids (stack ids, writer ids) for the prune passes: filled
 * from the rows of one map, sorted once, then asked about the keys of
 * another (kernel, shmem and growth -a drop the stacks no row refers to). */
#ifndef MEMLEAKBPF_ID_SET_H
#define MEMLEAKBPF_ID_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct id_set {
	__u64 *ids;
	size_t n, cap;
};

/* Appends id; a repeat of the last id added is skipped (rows often come
 * in runs of one id).  0 or -ENOMEM. */
int id_set_add(struct id_set *s, __u64 id);
/* Before the first id_set_has after adds. */
void id_set_sort(struct id_set *s);
bool id_set_has(const struct id_set *s, __u64 id);
/* Empties the set and keeps its memory. */
void id_set_clear(struct id_set *s);
void id_set_free(struct id_set *s);

#endif
