/* cgroup id -> path, for cgroup v2 and the v1 memory hierarchy.
 *
 * BPF reports cgroups by id: the kernfs inode number of the cgroup's
 * directory (bpf_get_current_cgroup_id() for v2, kn->id for v1).  These
 * helpers map an id back to a path relative to its hierarchy's root
 * ("/system.slice/foo.service"), scanning the mounted hierarchy once and
 * again on a miss (at most once a second).  Not thread-safe. */
#ifndef MEMLEAKBPF_CGROUP_H
#define MEMLEAKBPF_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

enum cgroup_hier {
	CGROUP_V2,		/* the unified (default) hierarchy */
	CGROUP_V1_MEMORY,	/* the legacy memory controller hierarchy */
	CGROUP_NR_HIER,
};

/* Path of cgroup `id` in hierarchy `h`, or NULL when that hierarchy is not
 * mounted or has no such cgroup (any more).  The string lives until
 * cgroup_cache_free(). */
const char *cgroup_path(enum cgroup_hier h, unsigned long long id);

/* Normalise a user's --cgroup argument: an absolute path under a mounted
 * hierarchy ("/sys/fs/cgroup/memory/foo") or a path relative to a
 * hierarchy root ("/foo") becomes the root-relative form in `rel`.
 * Returns 0, or -ENOENT when no mounted hierarchy has such a cgroup. */
int cgroup_normalize(const char *arg, char *rel, size_t len);

/* The directory of a user's --cgroup argument, as cgroup_normalize reads
 * it (the first mounted hierarchy that has it).  0, or -ENOENT. */
int cgroup_dir(const char *arg, char *dir, size_t len);

/* A cgroup.procs file's pids (one decimal per line; others are skipped)
 * appended to *pids (*n of them, grown with realloc).  0 or -ENOMEM. */
int cgroup_parse_procs(const char *buf, size_t len, int **pids, size_t *n);

/* The pids of cgroup directory `dir` and of every cgroup below it, sorted,
 * each once.  0, or a negative errno when `dir` cannot be read. */
int cgroup_pids(const char *dir, int **pids, size_t *n);

/* True when root-relative path `path` is `rel` or lies below it. */
bool cgroup_path_within(const char *path, const char *rel);

/* Mount point of hierarchy `h`, or NULL when it is not mounted. */
const char *cgroup_root(enum cgroup_hier h);

void cgroup_cache_free(void);

#endif
