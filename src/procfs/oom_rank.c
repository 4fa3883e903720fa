/* OOM kill order from /proc (see oom_rank.h for the kernel's rule). */
#include "procfs/oom_rank.h"
#include "procfs/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OOM_SCORE_ADJ_MIN (-1000)

static bool read_int(const char *root, int pid, const char *name, int *out)
{
	char *buf, *end;
	size_t len;
	long v;

	if (procfs_read_pid_file(root, pid, name, &buf, &len))
		return false;
	errno = 0;
	v = strtol(buf, &end, 10);
	free(buf);
	if (errno || end == buf || v < INT_MIN || v > INT_MAX)
		return false;
	*out = (int)v;
	return true;
}

void procfs_memcg_of(const char *root, int pid, char *out, size_t outlen)
{
	char *buf, *line, *save = NULL, *c1, *c2;
	size_t len;

	out[0] = '\0';
	if (procfs_read_pid_file(root, pid, "cgroup", &buf, &len))
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if (strcmp(c1 + 1, "memory") == 0) {
			snprintf(out, outlen, "%s", c2 + 1);
			break;
		}
		if (c1 == line + 1 && line[0] == '0' && c1[1] == '\0' && !out[0])
			snprintf(out, outlen, "%s", c2 + 1);
	}
	free(buf);
}

static int cmp_rank(const void *a, const void *b)
{
	const struct oom_rank *x = a, *y = b;

	if (x->killable != y->killable)
		return x->killable ? -1 : 1;
	if (x->badness != y->badness)
		return x->badness > y->badness ? -1 : 1;
	if (x->proc.start_time != y->proc.start_time)
		return x->proc.start_time > y->proc.start_time ? -1 : 1;
	return (x->proc.pid < y->proc.pid) - (x->proc.pid > y->proc.pid);
}

void oom_rank_sort(struct oom_rank *v, size_t n, unsigned long long totalpages,
		   unsigned long page_size)
{
	size_t i;

	if (!page_size)
		page_size = 4096;
	for (i = 0; i < n; i++) {
		struct oom_rank *r = &v[i];

		r->badness = (long long)((r->proc.rss + r->proc.swap) / page_size +
					 r->proc.pgtables / page_size) +
			     (long long)r->oom_score_adj * (long long)(totalpages / 1000);
		if (r->oom_score_adj <= OOM_SCORE_ADJ_MIN)
			r->killable = false;
	}
	qsort(v, n, sizeof(*v), cmp_rank);
}

static int total_pages(const char *root, unsigned long page_size, unsigned long long *out)
{
	char path[PATH_MAX], *buf;
	struct meminfo mi;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "%s/meminfo", root);
	err = procfs_read_file(path, 1 << 20, &buf, &len, NULL);
	if (err)
		return err;
	err = procfs_parse_meminfo(buf, len, &mi);
	free(buf);
	if (err)
		return err;
	*out = (meminfo_val(&mi, "MemTotal") + meminfo_val(&mi, "SwapTotal")) / page_size;
	meminfo_free(&mi);
	return 0;
}

/* Fills one entry; false when the process is gone or unreadable. */
static bool collect_one(const char *root, int pid, struct oom_rank *r)
{
	memset(r, 0, sizeof(*r));
	if (procfs_read_proc_record(root, pid, &r->proc))
		return false;
	/* pid 1 of this namespace stands in for global init (is_global_init). */
	r->killable = r->proc.has_mm && !r->proc.kthread && pid != 1;
	if (!read_int(root, pid, "oom_score", &r->oom_score))
		r->oom_score = -1;
	if (!read_int(root, pid, "oom_score_adj", &r->oom_score_adj))
		r->oom_score_adj = 0;
	procfs_memcg_of(root, pid, r->cgroup, sizeof(r->cgroup));
	return true;
}

int oom_rank_collect_at(const char *root, struct oom_rank **out, size_t *n)
{
	unsigned long page_size = sysconf(_SC_PAGESIZE);
	unsigned long long totalpages = 0;
	struct oom_rank *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int pid, err;

	*out = NULL;
	*n = 0;
	dir = opendir(root);
	if (!dir)
		return -errno;
	err = total_pages(root, page_size, &totalpages);
	if (err)
		goto cleanup;
	while ((de = readdir(dir))) {
		pid = procfs_pid_of(de->d_name);
		if (pid < 0)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto cleanup;
			}
			v = nv;
		}
		if (collect_one(root, pid, &v[cnt]))
			cnt++;
	}
	oom_rank_sort(v, cnt, totalpages, page_size);
	*out = v;
	*n = cnt;
	v = NULL;
cleanup:
	free(v);
	closedir(dir);
	return err;
}

int oom_rank_collect(struct oom_rank **out, size_t *n)
{
	return oom_rank_collect_at("/proc", out, n);
}

void oom_rank_free(struct oom_rank *v)
{
	free(v);
}
