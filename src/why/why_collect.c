/* Reads everything `why` reports from /proc and the tmpfs mounts.  What
 * cannot be read (not root, a process that exits, an old kernel) is noted
 * in r->unreadable and the rest goes on. */
#define _GNU_SOURCE
#include "why/why.h"
#include "lib/common.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define MAX_HOLDERS 16
/* A tmpfs with millions of files is walked only this far. */
#define WALK_MAX_ENTRIES 200000

void why_note_unreadable(struct why_report *r, const char *what, const char *fmt, ...)
{
	struct why_unreadable *nu;
	va_list ap;

	nu = realloc(r->unreadable, (r->nunreadable + 1) * sizeof(*nu));
	if (!nu)
		return;
	r->unreadable = nu;
	nu = &r->unreadable[r->nunreadable++];
	snprintf(nu->what, sizeof(nu->what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(nu->detail, sizeof(nu->detail), fmt, ap);
	va_end(ap);
	vlog(1, "could not read %s: %s", nu->what, nu->detail);
}

static int read_proc(const struct why_opts *o, const char *rel, size_t max, char **buf, size_t *len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", o->proc_root, rel);
	return procfs_read_file(path, max, buf, len, NULL);
}

/* ---- tmpfs mounts ---- */

static struct {
	struct why_tmpfs *m;
	int top;
	dev_t dev;
	unsigned long long entries;
} walk;

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct why_tmpfs *m = walk.m;
	struct why_tmpfs_file f, tmp;
	size_t i;

	if (++walk.entries > WALK_MAX_ENTRIES) {
		m->walk_incomplete = true;
		return 1;
	}
	if (flag == FTW_DNR || flag == FTW_NS) {
		m->walk_incomplete = true;
		return 0;
	}
	if (flag != FTW_F || !S_ISREG(st->st_mode) || st->st_dev != walk.dev)
		return 0;
	m->files_seen++;
	f.bytes = (unsigned long long)st->st_blocks * 512;
	m->files_bytes += f.bytes;
	if (!walk.top || (m->ntop == (size_t)walk.top && f.bytes <= m->top[m->ntop - 1].bytes))
		return 0;
	f.path = strdup(path);
	if (!f.path)
		return 0;
	if (m->ntop == (size_t)walk.top) {
		free(m->top[m->ntop - 1].path);
		m->ntop--;
	}
	m->top[m->ntop++] = f;
	for (i = m->ntop - 1; i > 0 && m->top[i].bytes > m->top[i - 1].bytes; i--) {
		tmp = m->top[i];
		m->top[i] = m->top[i - 1];
		m->top[i - 1] = tmp;
	}
	return 0;
}

static void collect_tmpfs(struct why_report *r, const struct why_opts *o)
{
	struct mountinfo mi = {};
	struct why_tmpfs *m;
	struct stat st;
	size_t len, i, j;
	char *buf;
	bool dup;
	int err;

	err = read_proc(o, "self/mountinfo", 16 << 20, &buf, &len);
	if (err) {
		why_note_unreadable(r, "mountinfo", "%s/self/mountinfo: %s", o->proc_root, strerror(-err));
		return;
	}
	err = procfs_parse_mountinfo(buf, len, &mi);
	free(buf);
	if (err) {
		why_note_unreadable(r, "mountinfo", "no mount parsed");
		return;
	}
	r->tmpfs = calloc(mi.n ? mi.n : 1, sizeof(*r->tmpfs));
	if (!r->tmpfs)
		goto cleanup;
	for (i = 0; i < mi.n; i++) {
		struct mount_entry *e = &mi.m[i];

		if (strcmp(e->fstype, "tmpfs") && strcmp(e->fstype, "devtmpfs"))
			continue;
		/* Bind mounts and repeated mounts share one superblock. */
		dup = false;
		for (j = 0; j < r->ntmpfs && !dup; j++)
			dup = r->tmpfs[j].major == e->major && r->tmpfs[j].minor == e->minor;
		if (dup)
			continue;
		/* A mount hidden under another one cannot be measured. */
		if (stat(e->mountpoint, &st) || st.st_dev != makedev(e->major, e->minor)) {
			why_note_unreadable(r, "tmpfs", "%s: mount is hidden or gone", e->mountpoint);
			continue;
		}
		m = &r->tmpfs[r->ntmpfs];
		m->mountpoint = strdup(e->mountpoint);
		m->fstype = strdup(e->fstype);
		m->top = calloc(o->top_files ? o->top_files : 1, sizeof(*m->top));
		if (!m->mountpoint || !m->fstype || !m->top) {
			free(m->mountpoint);
			free(m->fstype);
			free(m->top);
			continue;
		}
		m->major = e->major;
		m->minor = e->minor;
		r->ntmpfs++;
	}
cleanup:
	mountinfo_free(&mi);
}

/* tmpfs counts used blocks even without a size limit, but statvfs only
 * reports them with one: then the walk's sum stands in. */
static void statvfs_tmpfs(struct why_report *r)
{
	struct statvfs sv;
	size_t i;

	for (i = 0; i < r->ntmpfs; i++) {
		struct why_tmpfs *m = &r->tmpfs[i];

		if (statvfs(m->mountpoint, &sv) == 0 && sv.f_blocks) {
			m->size_known = true;
			m->size = (unsigned long long)sv.f_blocks * sv.f_frsize;
			m->used = (unsigned long long)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
		} else {
			m->size_known = false;
			m->size = 0;
			m->used = m->files_bytes;
		}
	}
}

/* Walks every file.  Besides finding the largest, stat() makes tmpfs
 * settle its lazy block count (shmem_getattr -> shmem_recalc_inode): after
 * pages left the page cache behind its back, statvfs overstates "used"
 * until then. */
static void walk_tmpfs(struct why_report *r, const struct why_opts *o)
{
	struct why_tmpfs *m;
	struct statvfs sv;
	struct stat st;
	size_t i;

	for (i = 0; i < r->ntmpfs; i++) {
		m = &r->tmpfs[i];
		if (stat(m->mountpoint, &st) || st.st_dev != makedev(m->major, m->minor))
			continue;
		walk.m = m;
		walk.top = o->top_files;
		walk.dev = st.st_dev;
		walk.entries = 0;
		nftw(m->mountpoint, walk_one, 32, FTW_PHYS | FTW_MOUNT);
		if (m->walk_incomplete)
			why_note_unreadable(r, "tmpfs files",
					    "%s: some directories unreadable or more than %d entries",
					    m->mountpoint, WALK_MAX_ENTRIES);
		if (statvfs(m->mountpoint, &sv) == 0 && !sv.f_blocks)
			why_note_unreadable(r, "tmpfs size",
					    "%s: no size limit, so no used count: the sum of its files stands in%s",
					    m->mountpoint, m->walk_incomplete ? " (incomplete)" : "");
	}
}

/* ---- processes ---- */

static int cmp_proc(const void *a, const void *b)
{
	const struct why_proc *x = a, *y = b;
	unsigned long long sx = x->proc.rss + x->proc.swap, sy = y->proc.rss + y->proc.swap;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return (x->proc.pid > y->proc.pid) - (x->proc.pid < y->proc.pid);
}

static struct why_open_file *find_file(struct why_report *r, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].dev == dev && r->files[i].ino == ino)
			return &r->files[i];
	return NULL;
}

static void add_holder(struct why_open_file *f, const struct why_proc *p)
{
	size_t i;

	for (i = 0; i < f->nholders; i++)
		if (f->holders[i].pid == p->proc.pid)
			return;
	f->holders_total++;
	if (f->nholders == MAX_HOLDERS)
		return;
	f->holders[f->nholders].pid = p->proc.pid;
	snprintf(f->holders[f->nholders].comm, sizeof(f->holders[0].comm), "%s", p->proc.comm);
	f->nholders++;
}

/* Open fds that point at deleted tmpfs files or memfds.  Returns false when
 * the fd directory is unreadable. */
static bool scan_fds(struct why_report *r, const struct why_opts *o, const struct why_proc *p)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], link[PATH_MAX];
	struct why_open_file *f, *nf;
	struct statfs sfs;
	struct dirent *de;
	struct stat st;
	ssize_t n;
	bool memfd;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%d/fd", o->proc_root, p->proc.pid);
	d = opendir(dir);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		memfd = !strncmp(link, "/memfd:", 7);
		if (!memfd && (n < 10 || strcmp(link + n - 10, " (deleted)")))
			continue;
		if (stat(path, &st) || !S_ISREG(st.st_mode) || statfs(path, &sfs) ||
		    sfs.f_type != TMPFS_MAGIC)
			continue;
		if (!memfd && st.st_nlink)
			continue;
		f = find_file(r, st.st_dev, st.st_ino);
		if (!f) {
			nf = realloc(r->files, (r->nfiles + 1) * sizeof(*nf));
			if (!nf)
				break;
			r->files = nf;
			f = &r->files[r->nfiles];
			memset(f, 0, sizeof(*f));
			f->path = strdup(link);
			f->holders = calloc(MAX_HOLDERS, sizeof(*f->holders));
			if (!f->path || !f->holders) {
				free(f->path);
				free(f->holders);
				break;
			}
			f->dev = st.st_dev;
			f->ino = st.st_ino;
			f->bytes = (unsigned long long)st.st_blocks * 512;
			f->memfd = memfd;
			r->nfiles++;
		}
		add_holder(f, p);
	}
	closedir(d);
	return true;
}

static void read_smaps(struct why_report *r, const struct why_opts *o, struct why_proc *p)
{
	struct smaps_totals st;
	char rel[64], *buf;
	size_t len;

	/* Full smaps, not smaps_rollup: the private/shared file split needs
	 * each mapping's type, and rollup merges them. */
	snprintf(rel, sizeof(rel), "%d/smaps", p->proc.pid);
	if (read_proc(o, rel, 64 << 20, &buf, &len))
		return;
	if (procfs_parse_smaps(buf, len, &st) == 0 && st.vmas) {
		p->smaps_ok = true;
		p->pss = st.pss;
		p->private_file = st.rss_private_file;
		p->shared_file = st.rss_shared_map > p->proc.rss_shmem ?
					 st.rss_shared_map - p->proc.rss_shmem : 0;
	}
	free(buf);
}

static void collect_procs(struct why_report *r, const struct why_opts *o)
{
	unsigned no_fds = 0, no_smaps = 0, seen = 0;
	struct why_proc *np, *p;
	struct proc_record rec;
	struct dirent *de;
	size_t cap = 0, i;
	DIR *d;
	int pid;

	d = opendir(o->proc_root);
	if (!d) {
		why_note_unreadable(r, "processes", "%s: %s", o->proc_root, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		pid = procfs_pid_of(de->d_name);
		if (pid < 0 || procfs_read_proc_record(o->proc_root, pid, &rec) || !rec.has_mm ||
		    rec.kthread)
			continue;
		if (r->nprocs == cap) {
			cap = cap ? cap * 2 : 256;
			np = realloc(r->procs, cap * sizeof(*np));
			if (!np)
				break;
			r->procs = np;
		}
		p = &r->procs[r->nprocs++];
		memset(p, 0, sizeof(*p));
		p->proc = rec;
		seen++;
		if (!scan_fds(r, o, p))
			no_fds++;
	}
	closedir(d);
	if (no_fds)
		why_note_unreadable(r, "process fds",
				    "%u of %u processes (deleted-open files and memfds they hold are not seen)",
				    no_fds, seen);
	qsort(r->procs, r->nprocs, sizeof(*r->procs), cmp_proc);
	for (i = 0; i < r->nprocs && i < (size_t)o->top; i++) {
		read_smaps(r, o, &r->procs[i]);
		if (!r->procs[i].smaps_ok)
			no_smaps++;
	}
	if (no_smaps)
		why_note_unreadable(r, "smaps", "%u of the top %zu processes (private/shared file split, Pss)",
				    no_smaps, i);
}

static void collect_kernel(struct why_report *r, const struct why_opts *o)
{
	char *buf;
	size_t len;
	int err;

	err = read_proc(o, "slabinfo", 64 << 20, &buf, &len);
	if (err) {
		why_note_unreadable(r, "slabinfo", "%s/slabinfo: %s (top slab caches need root)",
				    o->proc_root, strerror(-err));
	} else {
		r->slab_ok = procfs_parse_slabinfo(buf, len, r->page_size, &r->slab) == 0;
		free(buf);
		if (!r->slab_ok)
			why_note_unreadable(r, "slabinfo", "unknown format");
	}
	err = read_proc(o, "vmallocinfo", 256 << 20, &buf, &len);
	if (err) {
		why_note_unreadable(r, "vmallocinfo", "%s/vmallocinfo: %s (top vmalloc callers need root)",
				    o->proc_root, strerror(-err));
	} else {
		r->vmalloc_ok = procfs_parse_vmallocinfo(buf, len, r->page_size, &r->vmalloc) == 0;
		free(buf);
		/* Non-root reads an empty file rather than EACCES on some kernels. */
		if (r->vmalloc_ok && !r->vmalloc.areas) {
			r->vmalloc_ok = false;
			why_note_unreadable(r, "vmallocinfo", "empty (top vmalloc callers need root)");
		}
	}
}

static int read_meminfo(const struct why_opts *o, struct meminfo *mi)
{
	char *buf;
	size_t len;
	int err;

	err = read_proc(o, "meminfo", 1 << 20, &buf, &len);
	if (err)
		return err;
	err = procfs_parse_meminfo(buf, len, mi);
	free(buf);
	return err;
}

int why_collect(struct why_report *r, const struct why_opts *o)
{
	unsigned long long a, b;
	struct meminfo before;
	char *buf;
	size_t len;
	int err, try;

	memset(r, 0, sizeof(*r));
	r->timestamp = time(NULL);
	r->root = geteuid() == 0;
	r->page_size = sysconf(_SC_PAGESIZE);
	collect_tmpfs(r, o);
	walk_tmpfs(r, o);
	collect_procs(r, o);
	/* The tree splits Shmem into tmpfs mounts and SysV segments, so those
	 * and meminfo must come from one instant: read Shmem before and after
	 * them, and again while it moved (a busy tmpfs). */
	for (try = 0;; try++) {
		err = read_meminfo(o, &before);
		if (err)
			return err;
		statvfs_tmpfs(r);
		sysv_shm_free(&r->sysv);
		err = read_proc(o, "sysvipc/shm", 64 << 20, &buf, &len);
		if (err) {
			r->sysv_ok = false;
			if (try == 0)
				why_note_unreadable(r, "sysvipc", "%s/sysvipc/shm: %s", o->proc_root,
						    strerror(-err));
		} else {
			r->sysv_ok = procfs_parse_sysvipc_shm(buf, len, &r->sysv) == 0;
			free(buf);
		}
		meminfo_free(&r->mi);
		err = read_meminfo(o, &r->mi);
		a = meminfo_val(&before, "Shmem");
		meminfo_free(&before);
		if (err)
			return err;
		b = meminfo_val(&r->mi, "Shmem");
		if ((a > b ? a - b : b - a) <= (b / 100 > (1 << 20) ? b / 100 : 1 << 20))
			break;
		if (try == 4) {
			why_note_unreadable(r, "shmem snapshot",
					    "Shmem kept changing while tmpfs mounts were read: their shares are approximate");
			break;
		}
	}
	collect_kernel(r, o);
	err = oom_rank_collect_at(o->proc_root, &r->oom, &r->noom);
	if (err)
		why_note_unreadable(r, "oom rank", "%s", strerror(-err));
	vlog(1, "read: meminfo %zu counters, %zu tmpfs mounts, %zu SysV segments, %zu processes, "
		"%zu deleted-open files and memfds, slabinfo %s, vmallocinfo %s, OOM rank of %zu",
	     r->mi.n, r->ntmpfs, r->sysv.n, r->nprocs, r->nfiles, r->slab_ok ? "yes" : "no",
	     r->vmalloc_ok ? "yes" : "no", r->noom);
	return 0;
}

void why_report_free(struct why_report *r)
{
	size_t i, j;

	meminfo_free(&r->mi);
	why_tree_free(&r->tree);
	for (i = 0; i < r->ntmpfs; i++) {
		for (j = 0; j < r->tmpfs[i].ntop; j++)
			free(r->tmpfs[i].top[j].path);
		free(r->tmpfs[i].top);
		free(r->tmpfs[i].mountpoint);
		free(r->tmpfs[i].fstype);
	}
	free(r->tmpfs);
	sysv_shm_free(&r->sysv);
	for (i = 0; i < r->nfiles; i++) {
		free(r->files[i].path);
		free(r->files[i].holders);
	}
	free(r->files);
	free(r->procs);
	slabinfo_free(&r->slab);
	vmallocinfo_free(&r->vmalloc);
	oom_rank_free(r->oom);
	free(r->unreadable);
	free(r->findings);
	free(r->growth);
	memset(r, 0, sizeof(*r));
}
