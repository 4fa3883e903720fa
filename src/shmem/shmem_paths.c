/* memleakbpf shmem: (dev, ino) -> a name a user recognises.
 *
 * Files on mounted tmpfs are found by walking the mount; what is left
 * (unlinked files, memfd, SysV segments, shared anonymous regions, all of
 * which live on the kernel's internal shm mount) is named from the
 * /proc/PID/fd links and /proc/PID/maps lines that still reference it, and
 * SysV segments nobody attaches from /proc/sysvipc/shm (the kernel gives a
 * segment's inode the shmid as its number). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/common.h"
#include "shmem/shmem_int.h"
#include "procfs/procfs.h"

dev_t sh_dev_from_kernel(__u32 kdev)
{
	return makedev(kdev >> 20, kdev & 0xfffff);
}

int sh_read_mounts(const char *mountinfo, struct sh_mount **out, size_t *n)
{
	struct sh_mount *m = NULL, *p;
	struct mountinfo mi;
	size_t cnt = 0, i, k;
	struct statvfs sv;
	struct stat st;
	bool hidden;
	int err;

	*out = NULL;
	*n = 0;
	err = procfs_read_mountinfo(mountinfo, &mi);
	if (err == -EINVAL)
		return 0; /* readable, no mount in it: no tmpfs */
	if (err)
		return err;
	for (k = 0; k < mi.n; k++) {
		const struct mount_entry *e = &mi.m[k];
		dev_t dev;

		if (strcmp(e->fstype, "tmpfs") != 0)
			continue;
		dev = makedev(e->major, e->minor);
		/* Another mount stacked on this one (or over a directory above
		 * it) hides it: its path then leads to the other filesystem,
		 * whose statvfs must not be reported as this one's. */
		hidden = stat(e->mountpoint, &st) != 0 || st.st_dev != dev;
		for (i = 0; i < cnt; i++)
			if (m[i].dev == dev)
				break;
		if (i < cnt && (hidden || !m[i].hidden))
			continue; /* a bind mount of a tmpfs already listed */
		if (i == cnt) {
			p = realloc(m, (cnt + 1) * sizeof(*m));
			if (!p) {
				err = -ENOMEM;
				break;
			}
			m = p;
			cnt++;
		}
		/* new, or a visible bind mount of one listed hidden */
		memset(&m[i], 0, sizeof(m[i]));
		snprintf(m[i].mountpoint, PATH_MAX, "%s", e->mountpoint);
		m[i].dev = dev;
		m[i].hidden = hidden;
		if (!hidden && statvfs(e->mountpoint, &sv) == 0)
			m[i].bytes_used = (unsigned long long)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	}
	mountinfo_free(&mi);
	if (err) {
		free(m);
		return err;
	}
	*out = m;
	*n = cnt;
	return 0;
}

/* ---- lookup of a report's inodes by (dev, ino) ---- */

static struct sh_inode **by_id;
static size_t nby_id;

static int cmp_id(const void *a, const void *b)
{
	const struct sh_inode *x = *(struct sh_inode *const *)a, *y = *(struct sh_inode *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static struct sh_inode *find_inode(dev_t dev, unsigned long long ino)
{
	struct sh_inode key = { .dev = dev, .ino = ino }, *kp = &key, **hit;

	hit = bsearch(&kp, by_id, nby_id, sizeof(*by_id), cmp_id);
	return hit ? *hit : NULL;
}

/* ---- walking mounted tmpfs ---- */

/* Inodes resident before tracing started, found by the walk. */
static struct sh_inode *extra;
static size_t nextra;
static dev_t walk_dev;
static const struct sh_report *walk_report;
/* Another namespace's mount is walked under /proc/PID/root: the paths
 * reported are the ones inside (the prefix is cut). */
static size_t walk_strip;
static pid_t walk_ns_pid;

static int cmp_dropped(const void *a, const void *b)
{
	const struct sh_dropped *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* What of `gap` (resident bytes no tracked page explains) was written
 * after tracing started but lost its add event: never "before tracing". */
static unsigned long long dropped_part(dev_t dev, unsigned long long ino, unsigned long long gap)
{
	struct sh_dropped key = { .dev = dev, .ino = ino }, *hit;

	if (!walk_report || !walk_report->ndropped_adds)
		return 0;
	hit = bsearch(&key, walk_report->dropped_adds, walk_report->ndropped_adds,
		      sizeof(key), cmp_dropped);
	return hit ? (hit->bytes < gap ? hit->bytes : gap) : 0;
}

void sh_sort_dropped(struct sh_dropped *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), cmp_dropped);
}

static int walk_one(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	unsigned long long resident;
	struct sh_inode *in, *p;

	if (type != FTW_F || st->st_dev != walk_dev)
		return 0;
	resident = (unsigned long long)st->st_blocks * 512;
	in = find_inode(st->st_dev, st->st_ino);
	if (in) {
		if (!in->resolved) {
			snprintf(in->path, sizeof(in->path), "%s", fpath + walk_strip);
			in->ns_pid = walk_ns_pid;
			in->resolved = true;
			in->kind = SH_TMPFS;
			in->uid = st->st_uid;
		}
		if (resident > in->bytes_tracked) {
			unsigned long long gap = resident - in->bytes_tracked;

			in->bytes_dropped = dropped_part(in->dev, in->ino, gap);
			in->bytes_before = gap - in->bytes_dropped;
		}
		return 0;
	}
	if (!resident)
		return 0;
	p = realloc(extra, (nextra + 1) * sizeof(*extra));
	if (!p)
		return 0;
	extra = p;
	in = &extra[nextra++];
	memset(in, 0, sizeof(*in));
	in->dev = st->st_dev;
	in->ino = st->st_ino;
	in->kind = SH_TMPFS;
	in->resolved = true;
	in->uid = st->st_uid;
	in->sysv_shmid = -1;
	in->bytes_dropped = dropped_part(in->dev, in->ino, resident);
	in->bytes_before = resident - in->bytes_dropped;
	in->ns_pid = walk_ns_pid;
	snprintf(in->path, sizeof(in->path), "%s", fpath + walk_strip);
	return 0;
}

/* ---- other mount namespaces ---- */

static bool dev_listed(const struct sh_report *r, dev_t dev)
{
	size_t i;

	for (i = 0; i < r->nmounts; i++)
		if (r->mounts[i].dev == dev)
			return true;
	return false;
}

/* The kernel's internal shm mount (memfd, SysV segments, shared anonymous
 * mappings): in no mount table, so never a reason to look for one.  Its
 * device, learned once from a memfd of our own; 0 when that fails. */
static dev_t internal_shm_dev(void)
{
	static dev_t dev;
	static bool known;
	struct stat st;
	int fd;

	if (!known) {
		known = true;
		fd = memfd_create("memleakbpf-probe", MFD_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0)
			dev = st.st_dev;
		if (fd >= 0)
			close(fd);
	}
	return dev;
}

/* Inodes on tmpfs mounts this namespace does not show (a container's
 * private /dev/shm): their mounts are read through a process of that
 * namespace.  /proc is walked only when such an inode exists, which is not
 * the case for memfd or SysV memory, however much of it there is. */
void sh_add_foreign_mounts(struct sh_report *r)
{
	struct stat self_ns, ns;
	unsigned long long *seen = NULL, *sp;
	size_t nseen = 0, i, k;
	char path[64];
	struct dirent *de;
	bool wanted = false;
	DIR *proc;

	for (i = 0; i < r->ninodes && !wanted; i++)
		wanted = !dev_listed(r, r->inodes[i].dev) && r->inodes[i].dev != internal_shm_dev();
	if (!wanted || stat("/proc/self/ns/mnt", &self_ns) != 0 || !(proc = opendir("/proc")))
		return;
	while ((de = readdir(proc))) {
		pid_t pid = procfs_pid_of(de->d_name);
		struct mountinfo mi;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
		if (stat(path, &ns) != 0 || ns.st_ino == self_ns.st_ino)
			continue;
		for (k = 0; k < nseen && seen[k] != ns.st_ino; k++)
			;
		if (k < nseen)
			continue; /* this namespace was read through another process */
		sp = realloc(seen, (nseen + 1) * sizeof(*seen));
		if (!sp)
			break;
		seen = sp;
		seen[nseen++] = ns.st_ino;
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
		if (procfs_read_mountinfo(path, &mi))
			continue;
		for (k = 0; k < mi.n; k++) {
			const struct mount_entry *e = &mi.m[k];
			dev_t dev = makedev(e->major, e->minor);
			struct sh_mount *m;
			char full[PATH_MAX + 64];
			struct statvfs sv;
			struct stat st;
			char *comm;
			size_t cl;
			bool held = false;

			if (strcmp(e->fstype, "tmpfs") != 0 || dev_listed(r, dev))
				continue;
			for (i = 0; i < r->ninodes && !held; i++)
				held = r->inodes[i].dev == dev;
			if (!held)
				continue;
			m = realloc(r->mounts, (r->nmounts + 1) * sizeof(*m));
			if (!m)
				break;
			r->mounts = m;
			m = &r->mounts[r->nmounts++];
			memset(m, 0, sizeof(*m));
			snprintf(m->mountpoint, sizeof(m->mountpoint), "%s", e->mountpoint);
			m->dev = dev;
			m->shown = true;
			m->ns_pid = pid;
			if (procfs_read_pid_file("/proc", pid, "comm", &comm, &cl) == 0) {
				snprintf(m->ns_comm, sizeof(m->ns_comm), "%.*s",
					 (int)strcspn(comm, "\n"), comm);
				free(comm);
			}
			/* which container: its memory cgroup */
			procfs_memcg_of("/proc", pid, m->ns_cgroup, sizeof(m->ns_cgroup));
			/* Its files and usage through the process's own root. */
			snprintf(full, sizeof(full), "/proc/%d/root%s", pid, e->mountpoint);
			m->hidden = stat(full, &st) != 0 || st.st_dev != dev;
			if (!m->hidden && statvfs(full, &sv) == 0)
				m->bytes_used = (unsigned long long)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
		}
		mountinfo_free(&mi);
	}
	free(seen);
	closedir(proc);
}

/* ---- /proc holders ---- */

static void add_holder(struct sh_inode *in, pid_t pid)
{
	int i;

	for (i = 0; i < in->nholders; i++)
		if (in->holders[i] == pid)
			return;
	if (in->nholders < SH_MAX_HOLDERS)
		in->holders[in->nholders++] = pid;
}

/* Name an internal-mount or unlinked inode from the text the kernel shows
 * for it: "/memfd:NAME (deleted)", "/SYSV0000abcd (deleted)",
 * "/dev/zero (deleted)" (shared anonymous), "/mnt/f (deleted)". */
static void name_from_link(struct sh_inode *in, const char *link, bool on_mount)
{
	char buf[PATH_MAX];
	size_t n;
	char *d;

	if (in->path[0] && in->resolved)
		return;
	snprintf(buf, sizeof(buf), "%s", link);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	d = strstr(buf, " (deleted)");
	if (d && d[10] == '\0')
		*d = '\0';
	in->deleted = d != NULL || !on_mount;
	in->resolved = true;
	if (!on_mount && strncmp(buf, "/memfd:", 7) == 0) {
		in->kind = SH_MEMFD;
		snprintf(in->path, sizeof(in->path), "%s", buf + 1);
		in->deleted = false;
	} else if (!on_mount && strncmp(buf, "/SYSV", 5) == 0) {
		in->kind = SH_SYSV;
		in->sysv_key = strtoull(buf + 5, NULL, 16);
		in->deleted = false;
	} else if (!on_mount && strcmp(buf, "/dev/zero") == 0) {
		in->kind = SH_SHARED_ANON;
		snprintf(in->path, sizeof(in->path), "shared-anon");
		in->deleted = false;
	} else {
		in->kind = on_mount ? SH_TMPFS : SH_MEMFD;
		snprintf(in->path, sizeof(in->path), "%s", buf);
	}
}

static bool dev_mounted(const struct sh_report *r, dev_t dev)
{
	size_t i;

	for (i = 0; i < r->nmounts; i++)
		if (r->mounts[i].dev == dev)
			return true;
	return false;
}

static void scan_proc(struct sh_report *r)
{
	char path[64], fdpath[400], link[PATH_MAX];
	const struct maps_entry *e;
	struct dirent *de, *fe;
	DIR *proc, *fds;
	struct sh_inode *in;
	struct maps maps;
	struct stat st;
	ssize_t n;
	size_t i;

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((de = readdir(proc))) {
		pid_t pid = procfs_pid_of(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		while (fds && (fe = readdir(fds))) {
			if (fe->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, fe->d_name);
			n = readlink(fdpath, link, sizeof(link) - 1);
			if (n <= 0 || link[0] != '/')
				continue;
			link[n] = '\0';
			if (stat(fdpath, &st) != 0 || !(in = find_inode(st.st_dev, st.st_ino)))
				continue;
			name_from_link(in, link, dev_mounted(r, in->dev));
			add_holder(in, pid);
		}
		if (fds)
			closedir(fds);
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
		if (procfs_read_maps(path, &maps))
			continue;
		for (i = 0; i < maps.n; i++) {
			e = &maps.e[i];
			if (!e->inode || !e->path[0])
				continue;
			in = find_inode(makedev(e->major, e->minor), e->inode);
			if (!in)
				continue;
			name_from_link(in, e->path, dev_mounted(r, in->dev));
			add_holder(in, pid);
		}
		maps_free(&maps);
	}
	closedir(proc);
}

void sh_name_sysv(struct sh_report *r, const struct sysv_shm *sh)
{
	size_t i, k;

	for (k = 0; k < sh->n; k++) {
		/* printed as a signed int: the same 32 bits as /SYSV%08x */
		unsigned long long key = (unsigned int)sh->s[k].key;
		int shmid = sh->s[k].shmid;

		for (i = 0; i < r->ninodes; i++) {
			struct sh_inode *in = &r->inodes[i];

			if (dev_mounted(r, in->dev) || in->ino != (unsigned long long)shmid ||
			    (in->resolved && in->kind != SH_SYSV))
				continue;
			in->kind = SH_SYSV;
			in->resolved = true;
			in->sysv_key = key;
			in->sysv_shmid = shmid;
		}
	}
	for (i = 0; i < r->ninodes; i++) {
		struct sh_inode *in = &r->inodes[i];

		if (in->kind != SH_SYSV)
			continue;
		if (in->sysv_shmid >= 0)
			snprintf(in->path, sizeof(in->path), "SYSV key=0x%08llx shmid=%lld",
				 in->sysv_key, in->sysv_shmid);
		else
			snprintf(in->path, sizeof(in->path), "SYSV key=0x%08llx shmid=?",
				 in->sysv_key);
	}
}

static void scan_sysv(struct sh_report *r)
{
	struct sysv_shm sh = {};
	size_t len;
	char *buf;

	/* unreadable or malformed: no segment is named from it */
	if (procfs_read_file("/proc/sysvipc/shm", 64 << 20, &buf, &len, NULL) == 0) {
		procfs_parse_sysvipc_shm(buf, len, &sh);
		free(buf);
	}
	sh_name_sysv(r, &sh);
	sysv_shm_free(&sh);
}

void sh_resolve_paths(struct sh_report *r)
{
	struct sh_inode *p;
	size_t i;

	by_id = calloc(r->ninodes ? r->ninodes : 1, sizeof(*by_id));
	if (!by_id)
		return;
	for (i = 0; i < r->ninodes; i++) {
		by_id[i] = &r->inodes[i];
		r->inodes[i].sysv_shmid = -1;
	}
	nby_id = r->ninodes;
	qsort(by_id, nby_id, sizeof(*by_id), cmp_id);
	walk_report = r;

	for (i = 0; i < r->nmounts; i++) {
		char root[PATH_MAX + 64];

		if (!r->mounts[i].shown || r->mounts[i].hidden)
			continue;
		walk_dev = r->mounts[i].dev;
		walk_ns_pid = r->mounts[i].ns_pid;
		walk_strip = 0;
		if (walk_ns_pid)
			walk_strip = (size_t)snprintf(root, sizeof(root), "/proc/%d/root", walk_ns_pid);
		snprintf(root + walk_strip, sizeof(root) - walk_strip, "%s", r->mounts[i].mountpoint);
		nftw(root, walk_one, 32, FTW_PHYS | FTW_MOUNT);
	}
	walk_strip = 0;
	walk_ns_pid = 0;
	for (i = 0; i < r->ninodes; i++)
		if (!r->inodes[i].resolved)
			break;
	if (i < r->ninodes)
		scan_proc(r);
	scan_sysv(r);
	for (i = 0; i < r->ninodes; i++) {
		struct sh_inode *in = &r->inodes[i];
		const struct sh_mount *hid = NULL;
		size_t k;

		/* On another namespace's mount, however it was named. */
		for (k = 0; k < r->nmounts; k++)
			if (r->mounts[k].dev == in->dev && r->mounts[k].ns_pid)
				in->ns_pid = r->mounts[k].ns_pid;
		if (in->resolved)
			continue;
		in->kind = SH_TMPFS;
		for (k = 0; k < r->nmounts && !hid; k++)
			if (r->mounts[k].dev == in->dev && r->mounts[k].hidden)
				hid = &r->mounts[k];
		if (hid) {
			/* Not walkable, so not known to be deleted either. */
			snprintf(in->path, sizeof(in->path), "(on the hidden mount %s: ino %llu)",
				 hid->mountpoint, in->ino);
			continue;
		}
		in->deleted = true;
		snprintf(in->path, sizeof(in->path), "(no name: dev %u:%u ino %llu)",
			 major(in->dev), minor(in->dev), in->ino);
	}
	free(by_id);
	by_id = NULL;
	nby_id = 0;
	walk_report = NULL;

	if (nextra) {
		p = realloc(r->inodes, (r->ninodes + nextra) * sizeof(*p));
		if (p) {
			memcpy(p + r->ninodes, extra, nextra * sizeof(*p));
			r->inodes = p;
			r->ninodes += nextra;
		}
	}
	free(extra);
	extra = NULL;
	nextra = 0;
}
