/* /proc/PID/status and the start time from /proc/PID/stat, and the
 * process record read from both. */
#include "procfs/procfs.h"
#include "procfs/procfs_util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *key;
	size_t off;
} kb_fields[] = {
	{ "VmSize", offsetof(struct proc_status, vm_size) },
	{ "VmRSS", offsetof(struct proc_status, vm_rss) },
	{ "RssAnon", offsetof(struct proc_status, rss_anon) },
	{ "RssFile", offsetof(struct proc_status, rss_file) },
	{ "RssShmem", offsetof(struct proc_status, rss_shmem) },
	{ "VmSwap", offsetof(struct proc_status, vm_swap) },
	{ "VmPTE", offsetof(struct proc_status, vm_pte) },
	{ "VmData", offsetof(struct proc_status, vm_data) },
};

static bool int_field(const char *p, const char *end, int *out)
{
	long long v;

	pf_skip_blank(&p, end);
	if (!pf_i64(&p, end, &v) || v < -2147483648LL || v > 2147483647LL)
		return false;
	*out = (int)v;
	return true;
}

int procfs_parse_status(const char *buf, size_t len, struct proc_status *ps)
{
	struct pf_cursor c = { buf, buf + len };
	const char *line, *val, *end;
	bool seen_name = false, kthread_known = false;
	unsigned long long v;
	size_t n, i;
	int ival;

	memset(ps, 0, sizeof(*ps));
	ps->tgid = ps->ppid = ps->uid = -1;
	while (pf_next_line(&c, &line, &n)) {
		end = line + n;
		/* The kernel escapes Name (\n, \\), so one line holds it all;
		 * only the first Name line counts. */
		if (!seen_name && pf_key(line, n, "Name", &val)) {
			pf_skip_blank(&val, end);
			pf_copy(ps->name, sizeof(ps->name), val, end - val);
			seen_name = true;
			continue;
		}
		if (pf_key(line, n, "Tgid", &val)) {
			if (!int_field(val, end, &ps->tgid))
				ps->bad_lines++;
			continue;
		}
		if (pf_key(line, n, "PPid", &val)) {
			if (!int_field(val, end, &ps->ppid))
				ps->bad_lines++;
			continue;
		}
		if (pf_key(line, n, "Uid", &val)) {
			if (!int_field(val, end, &ps->uid))
				ps->bad_lines++;
			continue;
		}
		if (pf_key(line, n, "Kthread", &val)) {
			if (int_field(val, end, &ival)) {
				ps->kthread = ival != 0;
				kthread_known = true;
			} else {
				ps->bad_lines++;
			}
			continue;
		}
		for (i = 0; i < sizeof(kb_fields) / sizeof(kb_fields[0]); i++) {
			if (!pf_key(line, n, kb_fields[i].key, &val))
				continue;
			if (pf_kb_value(val, end, &v)) {
				*(unsigned long long *)((char *)ps + kb_fields[i].off) = v;
				if (i == 0)
					ps->has_mm = true;
				if (i >= 2 && i <= 4)
					ps->has_rss_split = true;
			} else {
				ps->bad_lines++;
			}
			break;
		}
	}
	if (!kthread_known && !ps->has_mm && ps->ppid == 2)
		ps->kthread = true;
	return seen_name || ps->tgid >= 0 ? 0 : -EINVAL;
}

int procfs_parse_stat_starttime(const char *buf, size_t len, unsigned long long *start)
{
	const char *p = NULL, *end = buf + len, *tok;
	size_t i, tl;

	for (i = len; i > 0; i--)
		if (buf[i - 1] == ')') {
			p = buf + i;
			break;
		}
	if (!p)
		return -EINVAL;
	/* After "pid (comm)": state is field 3, starttime field 22. */
	for (i = 3; i < 22; i++)
		if (!pf_token(&p, end, &tok, &tl))
			return -EINVAL;
	pf_skip_blank(&p, end);
	return pf_u64(&p, end, start) ? 0 : -EINVAL;
}

int procfs_pid_of(const char *name)
{
	const char *p = name, *end = name + strlen(name);
	unsigned long long v;

	if (!pf_u64(&p, end, &v) || p != end || v == 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

int procfs_read_pid_file(const char *proc_root, int pid, const char *name, char **buf, size_t *len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d/%s", proc_root, pid, name);
	return procfs_read_file(path, 1 << 16, buf, len, NULL);
}

int procfs_read_proc_record(const char *proc_root, int pid, struct proc_record *rec)
{
	struct proc_status ps;
	size_t len;
	char *buf;
	int err;

	memset(rec, 0, sizeof(*rec));
	rec->pid = pid;
	err = procfs_read_pid_file(proc_root, pid, "status", &buf, &len);
	if (err)
		return err;
	err = procfs_parse_status(buf, len, &ps);
	free(buf);
	if (err)
		return err;
	snprintf(rec->comm, sizeof(rec->comm), "%s", ps.name);
	rec->uid = ps.uid;
	rec->has_mm = ps.has_mm;
	rec->kthread = ps.kthread;
	rec->has_rss_split = ps.has_rss_split;
	rec->vm_size = ps.vm_size;
	rec->rss = ps.vm_rss;
	rec->rss_anon = ps.rss_anon;
	rec->rss_file = ps.rss_file;
	rec->rss_shmem = ps.rss_shmem;
	rec->swap = ps.vm_swap;
	rec->pgtables = ps.vm_pte;
	if (procfs_read_pid_file(proc_root, pid, "stat", &buf, &len) == 0) {
		if (procfs_parse_stat_starttime(buf, len, &rec->start_time))
			rec->start_time = 0;
		free(buf);
	}
	return 0;
}
