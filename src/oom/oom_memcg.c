/* Memory cgroup mounts and id -> path resolution (see oom_memcg.h). */
#define _GNU_SOURCE
#include "oom/oom_memcg.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "procfs/procfs.h"

static bool has_word(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);
	const char *p = list;

	while (p && *p) {
		if (strncmp(p, word, n) == 0 && (p[n] == sep || p[n] == '\0' || p[n] == ' ' ||
						 p[n] == '\n'))
			return true;
		p = strchr(p, sep);
		if (p)
			p++;
	}
	return false;
}

static bool v2_has_memory(const char *mnt)
{
	char path[300], *buf = NULL;
	size_t len;
	bool ok;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
	if (procfs_read_file(path, 4096, &buf, &len, NULL))
		return false;
	ok = has_word(buf, "memory", ' ');
	free(buf);
	return ok;
}

int memcg_find_mounts(struct memcg_mounts *m, const char *mountinfo)
{
	struct mountinfo mi;
	size_t i;
	int err;

	memset(m, 0, sizeof(*m));
	err = procfs_read_mountinfo(mountinfo ? mountinfo : "/proc/self/mountinfo", &mi);
	if (err)
		return err;
	for (i = 0; i < mi.n; i++) {
		const struct mount_entry *e = &mi.m[i];

		/* Only a mount of the hierarchy's root maps ids to full paths. */
		if (!e->root || strcmp(e->root, "/") != 0)
			continue;
		if (!m->v1[0] && strcmp(e->fstype, "cgroup") == 0 &&
		    has_word(e->super_opts, "memory", ','))
			snprintf(m->v1, sizeof(m->v1), "%s", e->mountpoint);
		else if (!m->v2[0] && strcmp(e->fstype, "cgroup2") == 0 &&
			 (mountinfo || v2_has_memory(e->mountpoint)))
			snprintf(m->v2, sizeof(m->v2), "%s", e->mountpoint);
	}
	mountinfo_free(&mi);
	return 0;
}

const char *memcg_root(const struct memcg_mounts *m, bool *v2)
{
	if (m->v1[0]) {
		if (v2)
			*v2 = false;
		return m->v1;
	}
	if (m->v2[0]) {
		if (v2)
			*v2 = true;
		return m->v2;
	}
	return NULL;
}

/* nftw has no user pointer: the walk's state lives here (one walk at a
 * time; the tool is single-threaded). */
static const unsigned long long *walk_ids;
static char (*walk_out)[MEMCG_PATH_MAX];
static size_t walk_n, walk_left, walk_root_len;

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t i;

	if (type != FTW_D)
		return 0;
	for (i = 0; i < walk_n; i++) {
		if (walk_out[i][0] || walk_ids[i] != (unsigned long long)st->st_ino)
			continue;
		snprintf(walk_out[i], MEMCG_PATH_MAX, "%s",
			 path[walk_root_len] ? path + walk_root_len : "/");
		if (--walk_left == 0)
			return 1;
	}
	return 0;
}

static void find_in(const char *mnt)
{
	if (!mnt[0] || !walk_left)
		return;
	walk_root_len = strlen(mnt);
	nftw(mnt, walk_cb, 16, FTW_PHYS | FTW_MOUNT);
}

size_t memcg_paths_by_ids(const struct memcg_mounts *m, const unsigned long long *ids, size_t n,
			  char (*out)[MEMCG_PATH_MAX])
{
	size_t i, found = 0;

	walk_ids = ids;
	walk_out = out;
	walk_n = n;
	walk_left = 0;
	for (i = 0; i < n; i++) {
		out[i][0] = '\0';
		walk_left += ids[i] != 0; /* an id of 0 matches nothing */
	}
	find_in(m->v1);
	find_in(m->v2);
	for (i = 0; i < n; i++)
		found += out[i][0] != '\0';
	return found;
}

bool memcg_path_by_id(const struct memcg_mounts *m, unsigned long long id, char *out,
		      size_t len)
{
	char buf[1][MEMCG_PATH_MAX];

	if (!id || memcg_paths_by_ids(m, &id, 1, buf) != 1)
		return false;
	snprintf(out, len, "%s", buf[0]);
	return true;
}

static bool read_counter(const char *dir, const char *path, const char *file,
			 unsigned long long *bytes, bool *max)
{
	char p[600], *buf = NULL;
	size_t len;
	bool ok;

	snprintf(p, sizeof(p), "%s%s/%s", dir, strcmp(path, "/") ? path : "", file);
	if (procfs_read_file(p, 256, &buf, &len, NULL))
		return false;
	*max = strncmp(buf, "max", 3) == 0;
	ok = *max || sscanf(buf, "%llu", bytes) == 1;
	free(buf);
	return ok;
}

bool memcg_read_limit(const struct memcg_mounts *m, const char *path,
		      unsigned long long *limit_kb, unsigned long long *usage_kb)
{
	unsigned long long lim = 0, use = 0;
	bool v2, max = false, dummy;
	const char *root = memcg_root(m, &v2);

	if (!root)
		return false;
	if (!read_counter(root, path, v2 ? "memory.max" : "memory.limit_in_bytes", &lim, &max) ||
	    !read_counter(root, path, v2 ? "memory.current" : "memory.usage_in_bytes", &use, &dummy))
		return false;
	/* v1 prints PAGE_COUNTER_MAX pages in bytes for "unlimited" */
	*limit_kb = (max || lim >= (1ULL << 62)) ? 0 : lim / 1024;
	*usage_kb = use / 1024;
	return true;
}

bool memcg_within(const char *path, const char *domain)
{
	size_t n = strlen(domain);

	if (strcmp(domain, "/") == 0)
		return path[0] == '/';
	return strncmp(path, domain, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
