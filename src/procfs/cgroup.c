/* cgroup id -> path (see cgroup.h). */
#define _GNU_SOURCE
#include "procfs/cgroup.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/common.h"
#include "procfs/procfs.h"

struct cg_entry {
	unsigned long long id;
	char *path;
};

struct cg_hier {
	char root[PATH_MAX];	/* mount point, "" when not mounted */
	struct cg_entry *ents;
	size_t n, cap;
	unsigned long long scanned_ns;
	bool found_root;
};

static struct cg_hier hiers[CGROUP_NR_HIER];
static bool roots_known;

static bool has_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	const char *p = opts;

	while ((p = strstr(p, opt))) {
		if ((p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static void find_roots(void)
{
	struct mountinfo mi;
	size_t i;

	if (roots_known)
		return;
	roots_known = true;
	if (procfs_read_mountinfo("/proc/self/mountinfo", &mi))
		return;
	for (i = 0; i < mi.n; i++) {
		const struct mount_entry *e = &mi.m[i];

		if (strcmp(e->fstype, "cgroup2") == 0 && !hiers[CGROUP_V2].root[0])
			snprintf(hiers[CGROUP_V2].root, PATH_MAX, "%s", e->mountpoint);
		else if (strcmp(e->fstype, "cgroup") == 0 && has_option(e->super_opts, "memory") &&
			 !hiers[CGROUP_V1_MEMORY].root[0])
			snprintf(hiers[CGROUP_V1_MEMORY].root, PATH_MAX, "%s", e->mountpoint);
	}
	mountinfo_free(&mi);
}

static struct cg_hier *walking;

static int walk_one(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	struct cg_hier *h = walking;
	const char *rel;
	struct cg_entry *e;

	if (type != FTW_D)
		return 0;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		void *p = realloc(h->ents, cap * sizeof(*h->ents));

		if (!p)
			return -1;
		h->ents = p;
		h->cap = cap;
	}
	rel = fpath + strlen(h->root);
	e = &h->ents[h->n];
	e->id = st->st_ino;
	e->path = strdup(*rel ? rel : "/");
	if (!e->path)
		return -1;
	h->n++;
	return 0;
}

static void rescan(struct cg_hier *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->ents[i].path);
	h->n = 0;
	h->scanned_ns = now_ns();
	walking = h;
	/* FTW_PHYS: never follow links out of the hierarchy. */
	nftw(h->root, walk_one, 16, FTW_PHYS | FTW_MOUNT);
	walking = NULL;
}

const char *cgroup_path(enum cgroup_hier which, unsigned long long id)
{
	struct cg_hier *h;
	size_t i;
	int pass;

	if (which >= CGROUP_NR_HIER || !id)
		return NULL;
	find_roots();
	h = &hiers[which];
	if (!h->root[0])
		return NULL;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < h->n; i++)
			if (h->ents[i].id == id)
				return h->ents[i].path;
		/* A new cgroup since the last scan; an exited one stays a miss,
		 * so rescan at most once a second. */
		if (pass == 0 && (!h->scanned_ns || now_ns() - h->scanned_ns > 1000000000ULL))
			rescan(h);
		else
			break;
	}
	return NULL;
}

int cgroup_normalize(const char *arg, char *rel, size_t len)
{
	char full[PATH_MAX * 2];
	struct stat st;
	int i;

	find_roots();
	for (i = 0; i < CGROUP_NR_HIER; i++) {
		const char *root = hiers[i].root;
		size_t n = strlen(root);

		if (!n)
			continue;
		if (strncmp(arg, root, n) == 0 && (arg[n] == '/' || arg[n] == '\0')) {
			if (stat(arg, &st) != 0 || !S_ISDIR(st.st_mode))
				return -ENOENT;
			snprintf(rel, len, "%s", arg[n] ? arg + n : "/");
			goto trim;
		}
	}
	for (i = 0; i < CGROUP_NR_HIER; i++) {
		if (!hiers[i].root[0])
			continue;
		if (snprintf(full, sizeof(full), "%s/%s", hiers[i].root,
			     arg[0] == '/' ? arg + 1 : arg) >= (int)sizeof(full))
			continue;
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(rel, len, "%s%s", arg[0] == '/' ? "" : "/", arg);
			goto trim;
		}
	}
	return -ENOENT;
trim:
	/* "/foo/" and "/foo" name the same cgroup. */
	for (size_t n = strlen(rel); n > 1 && rel[n - 1] == '/'; n--)
		rel[n - 1] = '\0';
	return 0;
}

int cgroup_dir(const char *arg, char *dir, size_t len)
{
	char rel[PATH_MAX];
	struct stat st;
	int i;

	if (cgroup_normalize(arg, rel, sizeof(rel)))
		return -ENOENT;
	for (i = 0; i < CGROUP_NR_HIER; i++) {
		if (!hiers[i].root[0])
			continue;
		if (snprintf(dir, len, "%s%s", hiers[i].root, strcmp(rel, "/") ? rel : "") >= (int)len)
			continue;
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
	}
	return -ENOENT;
}

int cgroup_parse_procs(const char *buf, size_t len, int **pids, size_t *n)
{
	const char *p = buf, *end = buf + len, *nl;
	unsigned long long v;
	char word[24];
	int *grown;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		if ((size_t)(nl - p) >= sizeof(word))
			continue;
		memcpy(word, p, nl - p);
		word[nl - p] = '\0';
		if (!parse_u64(word, &v) || v == 0 || v > 2147483647)
			continue;
		grown = realloc(*pids, (*n + 1) * sizeof(**pids));
		if (!grown)
			return -ENOMEM;
		*pids = grown;
		(*pids)[(*n)++] = (int)v;
	}
	return 0;
}

/* nftw has no context argument: the walk under way. */
static struct {
	int **pids;
	size_t *n;
	int err;
} procs_walk;

static int procs_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char file[PATH_MAX + 16], *buf = NULL;
	size_t len = 0;
	bool truncated;
	int err;

	(void)st;
	(void)ftw;
	if (flag != FTW_D)
		return 0;
	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	/* a cgroup removed under the walk has no procs any more */
	if (procfs_read_file(file, 1 << 24, &buf, &len, &truncated))
		return 0;
	err = cgroup_parse_procs(buf, len, procs_walk.pids, procs_walk.n);
	free(buf);
	if (err)
		procs_walk.err = err;
	return err ? 1 : 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int cgroup_pids(const char *dir, int **pids, size_t *n)
{
	struct stat st;
	size_t i, k;

	*pids = NULL;
	*n = 0;
	if (stat(dir, &st) != 0)
		return -errno;
	procs_walk.pids = pids;
	procs_walk.n = n;
	procs_walk.err = 0;
	nftw(dir, procs_one, 16, FTW_PHYS | FTW_MOUNT);
	if (procs_walk.err)
		return procs_walk.err;
	if (*n)
		qsort(*pids, *n, sizeof(**pids), cmp_int);
	for (i = k = 0; i < *n; i++) /* a process moved under the walk: once */
		if (!k || (*pids)[k - 1] != (*pids)[i])
			(*pids)[k++] = (*pids)[i];
	*n = k;
	return 0;
}

bool cgroup_path_within(const char *path, const char *rel)
{
	size_t n = strlen(rel);

	if (!path)
		return false;
	if (strcmp(rel, "/") == 0)
		return true;
	return strncmp(path, rel, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *cgroup_root(enum cgroup_hier h)
{
	if (h >= CGROUP_NR_HIER)
		return NULL;
	find_roots();
	return hiers[h].root[0] ? hiers[h].root : NULL;
}

void cgroup_cache_free(void)
{
	size_t i;
	int h;

	for (h = 0; h < CGROUP_NR_HIER; h++) {
		for (i = 0; i < hiers[h].n; i++)
			free(hiers[h].ents[i].path);
		free(hiers[h].ents);
		memset(&hiers[h], 0, sizeof(hiers[h]));
	}
	roots_known = false;
}
