/* Frames of any process's user stacks, named from copied mappings and
 * held files (see procsyms.h).
 *
 * A process's mappings come from /proc/PID/maps while it lives, or from
 * BPF (bpf_find_vma at the event) when it may be gone first.  Each mapped
 * file is held open through /proc/PID/map_files (the kernel's reference,
 * right in any mount namespace) and symbolized later by elfutils
 * (symbolize.c), whatever became of the process and of the file's path. */
#define _GNU_SOURCE
#include "sym/procsyms.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/types.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "procfs/procfs.h"
#include "sym/symbolize.h"

/* A mapped file, held open from a process that mapped it. */
struct held_file {
	__u32 dev;	/* kernel dev_t (major << 20 | minor) */
	__u64 ino;
	char *path;	/* as the process knew it (display, .gnu_debuglink) */
	int fd;		/* -1: could not be opened */
	struct sym_module *sm;	/* opened at the first report that needs it */
	bool sm_tried;
	bool overlay;	/* the held file is on overlayfs (see same_file) */
};

struct xmap {
	unsigned long long start, end, off;
	int file;	/* index in files, or -1: not found */
	char name[48];	/* the file's name, for files found nowhere */
};

struct proc_maps {
	pid_t tgid;
	struct xmap *m;
	size_t n;
};

/* Held files beyond this are not opened: their frames keep a path. */
#define MAX_HELD_FDS 512
/* A missing file sends the caller through every process's maps at most
 * this often (seconds): a scan of a busy machine takes a while. */
#define SCAN_INTERVAL 5

/* Filled by one thread (shmem's writer thread), read by another (the
 * report): under lock.  A file, once held, stays until procsyms_free. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct proc_maps *procs;
static size_t nprocs;
static struct held_file *files;
static size_t nfiles, nfds;
static time_t last_scan;

static __u32 kdev(unsigned major, unsigned minor)
{
	return (major << 20) | minor;
}

static int find_file(__u32 dev, __u64 ino)
{
	size_t i;

	for (i = 0; i < nfiles; i++)
		if (files[i].dev == dev && files[i].ino == ino)
			return (int)i;
	return -1;
}

/* Whether the last component of path is name (BPF's copy of it, cut to
 * sizeof(xmap.name) - 1 bytes). */
static bool base_is(const char *path, size_t path_len, const char *name)
{
	const char *base = memrchr(path, '/', path_len);
	size_t n = strlen(name);

	base = base ? base + 1 : path;
	path_len -= (size_t)(base - path);
	if (!n || n > path_len || memcmp(base, name, n) != 0)
		return false;
	return n == path_len || n == sizeof(((struct xmap *)0)->name) - 1;
}

/* A container's file as BPF sees it and as /proc shows it.  Since 6.8 a
 * mapping of an overlayfs file is its layer's file (vm_file is a backing
 * file, what BPF reads), while /proc/PID/maps shows the overlay's: the
 * overlay's device, and the layer file's inode number when the layers
 * share a filesystem (Docker's overlay2; Documentation/filesystems/
 * overlayfs.rst).  So a file held from /proc is v's file when (dev, ino)
 * are equal, or when it is on overlayfs with v's inode number and name. */
static bool same_file(const struct held_file *f, const struct procsyms_vma *v)
{
	if (f->ino != v->ino)
		return false;
	return f->dev == v->dev ||
	       (f->overlay && v->name && base_is(f->path, strlen(f->path), v->name));
}

static int find_vma_file(const struct procsyms_vma *v)
{
	size_t i;

	for (i = 0; i < nfiles; i++)
		if (same_file(&files[i], v))
			return (int)i;
	return -1;
}

/* Holds the file of mapping e of process pid (under lock); its index or -1. */
static int hold_file(pid_t pid, const struct maps_entry *e)
{
	struct held_file *nf;
	struct statfs sfs;
	char p[PATH_MAX];
	int i = find_file(kdev(e->major, e->minor), e->inode), fd = -1;

	if (i >= 0)
		return i;
	nf = realloc(files, (nfiles + 1) * sizeof(*files));
	if (!nf)
		return -1;
	files = nf;
	if (nfds < MAX_HELD_FDS) {
		/* The kernel's own reference first: right in any namespace. */
		snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", pid, e->start, e->end);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && snprintf(p, sizeof(p), "/proc/%d/root%.*s", pid, (int)e->name_len,
				       e->path) < (int)sizeof(p))
			fd = open(p, O_RDONLY | O_CLOEXEC);
	}
	files[nfiles] = (struct held_file){ .dev = kdev(e->major, e->minor), .ino = e->inode,
					    .path = strndup(e->path, e->name_len), .fd = fd };
	if (fd >= 0 && fstatfs(fd, &sfs) == 0)
		files[nfiles].overlay = sfs.f_type == OVERLAYFS_SUPER_MAGIC;
	if (!files[nfiles].path) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	nfds += fd >= 0;
	return (int)nfiles++;
}

static struct proc_maps *proc_of(pid_t tgid)
{
	size_t i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].tgid == tgid)
			return &procs[i];
	return NULL;
}

static void add_xmap(struct proc_maps *p, const struct xmap *x)
{
	struct xmap *m;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (x->start < p->m[i].end && p->m[i].start < x->end) {
			p->m[i] = *x; /* pid reuse: the newer mapping wins */
			return;
		}
	m = realloc(p->m, (p->n + 1) * sizeof(*p->m));
	if (!m)
		return;
	p->m = m;
	p->m[p->n++] = *x;
}

/* A file no process of ours holds: look for it in every process's
 * mappings (same_file); its index or -1. */
static int scan_for(const struct procsyms_vma *v)
{
	struct dirent *d;
	struct maps maps;
	char file[64];
	DIR *dir;
	int found = -1;
	size_t i;

	if (time(NULL) - last_scan < SCAN_INTERVAL || !(dir = opendir("/proc")))
		return -1;
	while (found < 0 && (d = readdir(dir))) {
		pid_t pid = (pid_t)atoi(d->d_name);

		if (pid <= 0)
			continue;
		snprintf(file, sizeof(file), "/proc/%d/maps", pid);
		if (procfs_read_maps(file, &maps) != 0)
			continue;
		for (i = 0; i < maps.n && found < 0; i++) {
			const struct maps_entry *e = &maps.e[i];
			int k;

			if (e->path[0] != '/' || e->inode != v->ino ||
			    (kdev(e->major, e->minor) != v->dev &&
			     !(v->name && base_is(e->path, e->name_len, v->name))))
				continue;
			k = hold_file(pid, e);
			if (k >= 0 && same_file(&files[k], v))
				found = k;
		}
		maps_free(&maps);
	}
	closedir(dir);
	if (found < 0)
		last_scan = time(NULL);
	return found;
}


static struct proc_maps *proc_new(pid_t tgid)
{
	struct proc_maps *np = realloc(procs, (nprocs + 1) * sizeof(*procs));

	if (!np)
		return NULL;
	procs = np;
	procs[nprocs] = (struct proc_maps){ .tgid = tgid };
	return &procs[nprocs++];
}

int procsyms_note(pid_t tgid, bool reread)
{
	struct proc_maps *p;
	struct maps maps;
	char file[64];
	size_t j;
	int err;

	pthread_mutex_lock(&lock);
	p = proc_of(tgid);
	if (p && !reread) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	snprintf(file, sizeof(file), "/proc/%d/maps", tgid);
	err = procfs_read_maps(file, &maps);
	/* an empty maps: a zombie, or a process past exit_mm */
	if (!err && maps.n == 0) {
		maps_free(&maps);
		err = -ESRCH;
	}
	if (err) {
		pthread_mutex_unlock(&lock);
		return err == -EINVAL ? -ESRCH : err;
	}
	if (!p)
		p = proc_new(tgid);
	if (p)
		p->n = 0;
	for (j = 0; p && j < maps.n; j++) {
		const struct maps_entry *me = &maps.e[j];
		struct xmap x = { .start = me->start, .end = me->end, .off = me->offset };

		if (me->perms[2] != 'x' || me->path[0] != '/')
			continue;
		x.file = hold_file(tgid, me);
		add_xmap(p, &x);
	}
	maps_free(&maps);
	pthread_mutex_unlock(&lock);
	return p ? 0 : -ENOMEM;
}

bool procsyms_known(pid_t tgid)
{
	bool known;

	pthread_mutex_lock(&lock);
	known = proc_of(tgid) != NULL;
	pthread_mutex_unlock(&lock);
	return known;
}

bool procsyms_add_vma(pid_t tgid, const struct procsyms_vma *v)
{
	struct xmap x = { .start = v->start, .end = v->end, .off = v->off };
	struct proc_maps *p;
	size_t j;

	pthread_mutex_lock(&lock);
	p = proc_of(tgid);
	if (!p)
		p = proc_new(tgid);
	if (!p) {
		pthread_mutex_unlock(&lock);
		return false;
	}
	for (j = 0; j < p->n; j++)
		if (p->m[j].start == v->start && p->m[j].end == v->end && p->m[j].file >= 0) {
			pthread_mutex_unlock(&lock);
			return true;
		}
	x.file = find_vma_file(v);
	if (x.file < 0)
		x.file = scan_for(v);
	snprintf(x.name, sizeof(x.name), "%s", v->name ? v->name : "");
	add_xmap(p, &x);
	pthread_mutex_unlock(&lock);
	return x.file >= 0;
}

void procsyms_forget(pid_t tgid)
{
	struct proc_maps *p;

	pthread_mutex_lock(&lock);
	p = proc_of(tgid);
	if (p) {
		free(p->m);
		*p = procs[--nprocs];
	}
	pthread_mutex_unlock(&lock);
}

bool procsyms_frame_name(pid_t tgid, unsigned long long ip, bool is_return, char *buf,
			 size_t len)
{
	struct sym_frame fr[SYM_MAX_INLINE];
	struct sym_module *sm = NULL;
	unsigned long long vaddr, off;
	const struct xmap *x = NULL;
	struct proc_maps *p;
	const char *path = NULL, *base;
	char name[48];
	bool open_it = false;
	int fd = -1, n = 0;
	size_t j;

	pthread_mutex_lock(&lock);
	p = proc_of(tgid);
	for (j = 0; p && j < p->n && !x; j++)
		if (ip >= p->m[j].start && ip < p->m[j].end)
			x = &p->m[j];
	if (!x) {
		pthread_mutex_unlock(&lock);
		snprintf(buf, len, "0x%llx", ip);
		return false;
	}
	off = ip - x->start + x->off;
	snprintf(name, sizeof(name), "%s", x->name[0] ? x->name : "?");
	if (x->file >= 0) {
		/* By index: files may move once unlocked. */
		j = (size_t)x->file;
		path = files[j].path; /* lives until sh_stacks_free */
		sm = files[j].sm;
		fd = files[j].fd;
		open_it = !files[j].sm_tried;
		files[j].sm_tried = true;
	}
	pthread_mutex_unlock(&lock);

	/* Only the report opens modules, and outside the lock: the writer
	 * thread must not wait on DWARF being read. */
	if (open_it) {
		sm = fd >= 0 ? sym_module_open_fd(fd, path) : sym_module_open(path);
		pthread_mutex_lock(&lock);
		files[j].sm = sm;
		pthread_mutex_unlock(&lock);
	}
	if (path) {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
	} else {
		base = name;
	}
	vaddr = sm ? sym_module_vaddr(sm, off) : 0;
	n = vaddr ? sym_module_lookup(sm, vaddr, is_return, fr, SYM_MAX_INLINE) : 0;
	/* The innermost (possibly inlined) function is the most precise. */
	if (n > 0 && fr[0].function) {
		if (fr[0].file)
			snprintf(buf, len, "%s (%s:%d) [%s]", fr[0].function, fr[0].file, fr[0].line,
				 base);
		else
			snprintf(buf, len, "%s [%s]", fr[0].function, base);
	} else {
		snprintf(buf, len, "0x%llx [%s+0x%llx]", ip, base, off);
	}
	return true;
}

void procsyms_free(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	last_scan = 0;
	for (i = 0; i < nprocs; i++)
		free(procs[i].m);
	free(procs);
	procs = NULL;
	nprocs = 0;
	for (i = 0; i < nfiles; i++) {
		sym_module_close(files[i].sm);
		if (files[i].fd >= 0)
			close(files[i].fd);
		free(files[i].path);
	}
	free(files);
	files = NULL;
	nfiles = nfds = 0;
	pthread_mutex_unlock(&lock);
}
