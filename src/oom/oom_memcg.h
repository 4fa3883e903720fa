/* Memory cgroup hierarchies as mounted here: v1 ("cgroup" with the memory
 * controller) and/or v2 ("cgroup2" whose root lists memory in
 * cgroup.controllers).  A memcg's kernfs id is its directory's inode number
 * in that mount, so a BPF-recorded id resolves to a path by walking it. */
#ifndef MEMLEAKBPF_OOM_MEMCG_H
#define MEMLEAKBPF_OOM_MEMCG_H

#include <stdbool.h>
#include <stddef.h>

#define MEMCG_PATH_MAX 256

struct memcg_mounts {
	char v1[256];	/* mount point of the v1 memory hierarchy, "" if none */
	char v2[256];	/* cgroup2 mount with the memory controller, "" if none */
};

/* Reads /proc/self/mountinfo (or `mountinfo` for tests). */
int memcg_find_mounts(struct memcg_mounts *m, const char *mountinfo);
/* Path of the memcg with kernfs id `id`, relative to its hierarchy root
 * ("/" for the root, "/a/b" below).  False when no directory has it. */
bool memcg_path_by_id(const struct memcg_mounts *m, unsigned long long id, char *out,
		      size_t len);
/* Resolves n ids in one walk; out[i] is "" for an id not found (or 0).
 * Returns how many were found. */
size_t memcg_paths_by_ids(const struct memcg_mounts *m, const unsigned long long *ids, size_t n,
			  char (*out)[MEMCG_PATH_MAX]);
/* The mount holding memory controller files: v1 first (the kernel prints
 * v1 paths for v1 memcgs), else v2.  NULL if neither. */
const char *memcg_root(const struct memcg_mounts *m, bool *v2);
/* Limit and usage of memcg `path` from its control files, in kB; limit 0
 * means unlimited ("max" or the kernel's PAGE_COUNTER_MAX). */
bool memcg_read_limit(const struct memcg_mounts *m, const char *path,
		      unsigned long long *limit_kb, unsigned long long *usage_kb);
/* True when `path` is `domain` or below it. */
bool memcg_within(const char *path, const char *domain);

#endif
