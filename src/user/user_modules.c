/* Module registry of the traced process (see user_modules.h). */
#define _GNU_SOURCE /* O_PATH */
#include "user/user_modules.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/common.h"
#include "memleak.skel.h"
#include "procfs/procfs.h"
#include "sym/unwind_table.h"
#include "user/user_hooks.h"

__u64 kernel_dev(dev_t d)
{
	/* The kernel's MKDEV: 12-bit major above a 20-bit minor. */
	return ((__u64)major(d) << 20) | minor(d);
}

int umodules_init(struct umodules *ms, struct memleak_bpf *skel, pid_t pid)
{
	struct rlimit rl;
	size_t sz;
	void *p;

	memset(ms, 0, sizeof(*ms));
	/* Modules keep their files open (up to UMODULE_MAX_FDS, plus two per
	 * symbolized one): the soft 1024 is too tight; the hard limit is
	 * ours to use. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ms->skel = skel;
	ms->pid = pid;
	ms->root_fd = -1;
	ms->mntns_fd = -1;
	ms->rows_cap = bpf_map__max_entries(skel->maps.rows);
	sz = ms->rows_cap * sizeof(struct ml_unwind_row);
	sz = (sz + 4095) & ~4095UL;
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel->maps.rows), 0);
	if (p == MAP_FAILED) {
		int e = errno; /* err_msg may change errno */
		err_msg("cannot map the unwind rows: %s", strerror(e));
		return -e;
	}
	ms->rows = p;
	return 0;
}

static void free_maps(struct map_range *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].path);
		if (v[i].fd >= 0)
			close(v[i].fd);
	}
	free(v);
}

void umodules_free(struct umodules *ms)
{
	size_t i, sz;

	for (i = 0; i < ms->n; i++) {
		free(ms->v[i].path);
		sym_module_close(ms->v[i].sym);
		if (ms->v[i].fd >= 0)
			close(ms->v[i].fd);
	}
	free(ms->v);
	free_maps(ms->maps, ms->nmaps);
	if (ms->mounts)
		mountinfo_free(ms->mounts);
	free(ms->mounts);
	if (ms->root_fd >= 0)
		close(ms->root_fd);
	if (ms->mntns_fd >= 0)
		close(ms->mntns_fd);
	if (ms->rows) {
		sz = (ms->rows_cap * sizeof(struct ml_unwind_row) + 4095) & ~4095UL;
		munmap(ms->rows, sz);
	}
	memset(ms, 0, sizeof(*ms));
}

struct umodule *umodules_get(struct umodules *ms, __u32 id)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (ms->v[i].id == id)
			return &ms->v[i];
	return NULL;
}

static struct umodule *add(struct umodules *ms, __u32 id, __u64 dev, __u64 ino)
{
	struct umodule *m;

	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 32;
		struct umodule *v = realloc(ms->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ms->v = v;
		ms->cap = cap;
	}
	m = &ms->v[ms->n++];
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->dev = dev;
	m->ino = ino;
	m->fd = -1;
	return m;
}

/* An overlay passes the layer file's inode number through: a module
 * already known by it needs no second descriptor. */
static bool find_file_ino(struct umodules *ms, __u64 ino)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (ms->v[i].ino == ino && ms->v[i].fd >= 0)
			return true;
	return false;
}

static struct umodule *find_file(struct umodules *ms, __u64 dev, __u64 ino)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (ms->v[i].dev == dev && ms->v[i].ino == ino)
			return &ms->v[i];
	return NULL;
}

/* Gives the module the descriptor (taken over), or closes it when the cap
 * is reached: the module then falls back to its path. */
static void keep_fd(struct umodules *ms, struct umodule *m, int fd)
{
	if (fd < 0)
		return;
	if (ms->nfds >= UMODULE_MAX_FDS) {
		if (!ms->fds_over++)
			warn_msg("more than %d modules: later ones are read by path (may fail once the process exits)",
				 UMODULE_MAX_FDS);
		close(fd);
		return;
	}
	m->fd = fd;
	ms->nfds++;
}

/* The mapped file of the mapping [start, end) of the event's process:
 * live through /proc/PID/map_files (the kernel's own reference, whether
 * deleted, chrooted or an overlay layer's), else the descriptor the last
 * snapshot kept for it (the process has exited since).  Its path as the
 * process saw it goes to `path` without " (deleted)".  -1 when neither. */
static int open_mapped(struct umodules *ms, const struct ml_module_event *ev, char *path, size_t len)
{
	char mf[96];
	struct stat st;
	ssize_t n;
	size_t i;
	int fd;

	snprintf(mf, sizeof(mf), "/proc/%u/map_files/%llx-%llx", ev->pid,
		 (unsigned long long)ev->vm_start, (unsigned long long)ev->vm_end);
	fd = open(mf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = readlink(mf, path, len - 1);
		path[n > 0 ? n : 0] = '\0';
		if (n > 10 && strcmp(path + n - 10, " (deleted)") == 0)
			path[n - 10] = '\0';
	} else {
		for (i = 0; i < ms->nmaps && fd < 0; i++) {
			if (ms->maps[i].start != ev->vm_start || ms->maps[i].end != ev->vm_end ||
			    ms->maps[i].fd < 0)
				continue;
			fd = ms->maps[i].fd; /* taken over */
			ms->maps[i].fd = -1;
			snprintf(path, len, "%s", ms->maps[i].path ? ms->maps[i].path : "");
		}
	}
	if (fd < 0)
		return -1;
	/* The mapping may have been replaced since the event: same file
	 * system, other inode.  (An overlay shows its own device.) */
	if (fstat(fd, &st) != 0 || (kernel_dev(st.st_dev) == ev->dev && st.st_ino != ev->ino)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The module's path; where none was found (a mapping captured by its
 * kernel file reference alone, e.g. dlopen then exit at once), the name the
 * kernel gives the kept descriptor, without " (deleted)": never "". */
static void set_path(struct umodule *m, const char *path, int fd)
{
	char link[PATH_MAX], self[64];
	const char *slash;
	ssize_t n;

	if (!*path && fd >= 0) {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		n = readlink(self, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			if (n > 10 && strcmp(link + n - 10, " (deleted)") == 0)
				link[n - 10] = 0;
			path = link;
		}
	}
	free(m->path);
	m->path = *path ? strdup(path) : NULL;
	slash = m->path ? strrchr(m->path, '/') : NULL;
	m->name = slash ? slash + 1 : m->path;
}

static bool same_file(const char *path, __u64 dev, __u64 ino);

void umodules_allocators_probed(struct umodules *ms, char *const *paths, int n, const char *prefix)
{
	ms->allocators = paths;
	ms->nallocators = n;
	ms->symbol_prefix = prefix;
}

/* A module new since the allocators were probed: is it an allocator of
 * its own?  The same file as a probed one (or, for a file only its own
 * mount namespace shows, the same name) is not. */
static void check_allocator(struct umodules *ms, struct umodule *m)
{
	const char *base;
	bool yes;
	int i;

	if (!ms->allocators || !m->path)
		return;
	for (i = 0; i < ms->nallocators; i++) {
		base = strrchr(ms->allocators[i], '/');
		if (same_file(ms->allocators[i], m->dev, m->ino) ||
		    (m->name && strcmp(base ? base + 1 : ms->allocators[i], m->name) == 0))
			return;
	}
	yes = m->fd >= 0 ? user_module_fd_is_allocator(m->fd, ms->symbol_prefix)
			 : user_module_is_allocator(m->path, false, ms->symbol_prefix);
	if (!yes)
		return;
	m->untraced_allocator = true;
	warn_msg("%s defines malloc and free but was mapped after tracing started (dlopen, or an exec): "
		 "its allocations are not traced", m->path);
}

/* Loads the module's rows into the map and publishes it to the kernel. */
static void load_rows(struct umodules *ms, struct umodule *m)
{
	struct ml_module_key key = { .dev = m->dev, .ino = m->ino };
	struct ml_module info = { .id = m->id, .state = ML_MODULE_NO_TABLE };
	struct unwind_table t;
	int err;

	if (m->fd >= 0)
		err = unwind_table_build_fd(m->fd, &t);
	else
		err = m->path ? unwind_table_build(m->path, &t) : -ENOENT;
	if (err == 0 && t.n > ms->rows_cap - ms->rows_used) {
		warn_msg("unwind rows full (%zu used, %zu more needed for %s): raise --unwind-rows; "
			 "using frame pointers there", ms->rows_used, t.n, m->path);
		unwind_table_free(&t);
		err = -ENOSPC;
	}
	if (err == 0) {
		memcpy(ms->rows + ms->rows_used, t.rows, t.n * sizeof(*t.rows));
		info.state = ML_MODULE_READY;
		info.row_start = ms->rows_used;
		info.row_count = t.n;
		ms->rows_used += t.n;
		m->rows = t.n;
		vlog(1, "module %u %s: %zu unwind rows from %zu FDEs (%zu not representable)",
		     m->id, m->path, t.n, t.fdes, t.unsupported);
		unwind_table_free(&t);
	} else {
		vlog(1, "module %u %s: no usable .eh_frame, frame pointers only", m->id,
		     m->path ? m->path : "(path unknown)");
	}
	m->state = info.state;
	/* The rows are in place before the kernel can see READY. */
	__sync_synchronize();
	bpf_map_update_elem(bpf_map__fd(ms->skel->maps.modules), &key, &info, BPF_ANY);
	__sync_fetch_and_add(&ms->skel->bss->maps_gen, 1);
}

/* A module for a file we opened ourselves: fd is taken over.  The id comes
 * from the counter the kernel allocates from too; if the kernel has just
 * registered the file itself (its announcement still queued), its id is
 * adopted so frames recorded either way name one module. */
static struct umodule *register_file(struct umodules *ms, __u64 dev, __u64 ino, int fd, const char *path)
{
	struct ml_module_key key = { .dev = dev, .ino = ino };
	struct ml_module info = { .state = ML_MODULE_PENDING };
	struct umodule *m = find_file(ms, dev, ino);
	int mfd = bpf_map__fd(ms->skel->maps.modules);

	if (m) {
		close(fd);
		return m;
	}
	info.id = __sync_fetch_and_add(&ms->skel->data->next_module_id, 1);
	if (bpf_map_update_elem(mfd, &key, &info, BPF_NOEXIST) != 0 &&
	    bpf_map_lookup_elem(mfd, &key, &info) != 0) {
		close(fd);
		return NULL;
	}
	m = umodules_get(ms, info.id);
	if (m) { /* announced and handled under this id already */
		close(fd);
		return m;
	}
	m = add(ms, info.id, dev, ino);
	if (!m) {
		close(fd);
		return NULL;
	}
	set_path(m, path, fd);
	keep_fd(ms, m, fd);
	load_rows(ms, m);
	check_allocator(ms, m);
	return m;
}

int umodules_preload(struct umodules *ms, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		int e = errno; /* close may change errno */

		close(fd);
		return -e;
	}
	return register_file(ms, kernel_dev(st.st_dev), st.st_ino, fd, path) ? 0 : -ENOMEM;
}

static bool same_file(const char *path, __u64 dev, __u64 ino)
{
	struct stat st;

	return stat(path, &st) == 0 && kernel_dev(st.st_dev) == dev && st.st_ino == ino;
}

/* The file through the process's own view (/proc/PID/maps, /proc/PID/root). */
static bool find_in_maps(pid_t pid, __u64 dev, __u64 ino, char *out, size_t len)
{
	const struct maps_entry *e;
	bool found = false;
	struct maps maps;
	char path[64];
	size_t i;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (procfs_read_maps(path, &maps))
		return false;
	for (i = 0; i < maps.n && !found; i++) {
		e = &maps.e[i];
		if (!e->path[0] || e->inode != ino || (((__u64)e->major << 20) | e->minor) != dev)
			continue;
		if (snprintf(out, len, "/proc/%d/root%s", pid, e->path) >= (int)len)
			continue;
		found = same_file(out, dev, ino);
		if (found && same_file(e->path, dev, ino))
			snprintf(out, len, "%s", e->path); /* same namespace: the plain path */
	}
	maps_free(&maps);
	return found;
}

/* Opens path (below dirfd when relative) if it is the file (dev, ino). */
static int open_same(int dirfd, const char *path, __u64 dev, __u64 ino)
{
	struct stat st;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && (fstat(fd, &st) != 0 || kernel_dev(st.st_dev) != dev || st.st_ino != ino)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The file from its path below its file system's root (as the kernel saw
 * it), under every mount of that device in `mi` (a mount table), opened
 * below `rootfd` (whose root those mount points are relative to): works
 * after the process exited.  The fd, or -1. */
static int find_in_mounts(const struct ml_module_event *ev, const struct mountinfo *mi, int rootfd,
			  char *out, size_t len)
{
	char rel[PATH_MAX] = "";
	const char *root, *mnt;
	size_t rl, k;
	int i, fd = -1;

	for (i = (int)ev->ncomps - 1; i >= 0; i--) {
		char comp[PATH_COMP_LEN + 1];

		memcpy(comp, ev->comps[i], PATH_COMP_LEN);
		comp[PATH_COMP_LEN] = '\0';
		if (strcmp(comp, "/") == 0)
			continue;
		if (strlen(rel) + strlen(comp) + 2 >= sizeof(rel))
			return -1;
		strcat(rel, "/");
		strcat(rel, comp);
	}
	for (k = 0; k < mi->n && fd < 0; k++) {
		if ((((__u64)mi->m[k].major << 20) | mi->m[k].minor) != ev->dev)
			continue;
		root = mi->m[k].root;
		mnt = mi->m[k].mountpoint;
		rl = strlen(root);
		if (strcmp(root, "/") == 0)
			rl = 0;
		else if (strncmp(rel, root, rl) != 0 || (rel[rl] != '/' && rel[rl] != '\0'))
			continue;
		snprintf(out, len, "%s%s", strcmp(mnt, "/") == 0 ? "" : mnt, rel + rl);
		/* below a held root the path is relative to it */
		fd = open_same(rootfd, rootfd == AT_FDCWD ? out : out + 1, ev->dev, ev->ino);
	}
	return fd;
}

/* Keeps the process's root and its mount table while it lives: a module
 * first seen after it exited (dlopen then exit) is still found by path
 * in its own namespace (a chroot, a container's private mounts). */
static void hold_root(struct umodules *ms)
{
	struct mountinfo *mi;
	char path[64];
	int fd, ns;

	snprintf(path, sizeof(path), "/proc/%d/root", ms->pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* the namespace too: its mounts are detached when its last process
	 * exits, unless someone holds it */
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", ms->pid);
	ns = fd >= 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", ms->pid);
	mi = ns >= 0 ? malloc(sizeof(*mi)) : NULL;
	if (mi && procfs_read_mountinfo(path, mi)) {
		free(mi);
		mi = NULL;
	}
	if (!mi) {
		if (fd >= 0)
			close(fd);
		if (ns >= 0)
			close(ns);
		return;
	}
	if (ms->root_fd >= 0)
		close(ms->root_fd);
	if (ms->mntns_fd >= 0)
		close(ms->mntns_fd);
	if (ms->mounts)
		mountinfo_free(ms->mounts);
	free(ms->mounts);
	ms->root_fd = fd;
	ms->mntns_fd = ns;
	ms->mounts = mi;
}

void umodules_on_event(struct umodules *ms, const struct ml_module_event *ev)
{
	char path[PATH_MAX];
	struct mountinfo self;
	struct umodule *m;
	int fd;

	if (ev->type != ML_EVENT_NEW_MODULE || umodules_get(ms, ev->module_id))
		return;
	m = add(ms, ev->module_id, ev->dev, ev->ino);
	if (!m)
		return;
	/* The kernel's own reference first; paths only when the process is
	 * already gone (then deleted or namespaced files are lost). */
	fd = open_mapped(ms, ev, path, sizeof(path));
	if (fd < 0 && find_in_maps(ev->pid, ev->dev, ev->ino, path, sizeof(path)))
		fd = open_same(AT_FDCWD, path, ev->dev, ev->ino);
	if (fd < 0 && procfs_read_mountinfo("/proc/self/mountinfo", &self) == 0) {
		fd = find_in_mounts(ev, &self, AT_FDCWD, path, sizeof(path));
		mountinfo_free(&self);
	}
	if (fd < 0 && ms->mounts)
		fd = find_in_mounts(ev, ms->mounts, ms->root_fd, path, sizeof(path));
	if (fd >= 0) {
		set_path(m, path, fd);
		keep_fd(ms, m, fd);
	} else {
		ms->unresolved++;
		vlog(1, "module %u (dev %llu ino %llu): file not found (mapped and unmapped, or the process "
		     "exited, before it could be opened)", m->id, (unsigned long long)ev->dev,
		     (unsigned long long)ev->ino);
	}
	load_rows(ms, m);
	check_allocator(ms, m);
}

/* The target's executable mappings with the kernel's (dev, ino), from
 * the task_vma iterator; 0 where it is unavailable (the caller then goes
 * by what /proc shows). */
static size_t exec_vmas(struct umodules *ms, struct ml_vma_rec **out)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = { .task.pid = ms->pid };
	struct ml_vma_rec *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct bpf_link *link;
	ssize_t got;
	int fd;

	if (bpf_program__fd(ms->skel->progs.exec_vmas) < 0)
		return 0; /* not loaded: no task_vma iterator in this kernel */
	/* Only this process's tasks (6.1+); older kernels walk them all. */
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(ms->skel->progs.exec_vmas, &opts);
	if (!link)
		link = bpf_program__attach_iter(ms->skel->progs.exec_vmas, NULL);
	if (!link)
		return 0;
	fd = bpf_iter_create(bpf_link__fd(link));
	while (fd >= 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		got = read(fd, v + n, (cap - n) * sizeof(*v));
		if (got <= 0)
			break;
		n += got / sizeof(*v);
	}
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	*out = v;
	return n;
}

/* Keys a range's freshly opened file by the kernel's (dev, ino) and
 * registers it (taking the descriptor) unless known; an overlay's file
 * without the iterator's key stays with the range until announced. */
static void settle_range(struct umodules *ms, struct map_range *r, const struct ml_vma_rec *vmas,
			 size_t nvmas)
{
	const struct ml_vma_rec *rec = NULL;
	struct statfs sfs;
	struct stat st;
	size_t i;

	if (fstat(r->fd, &st) != 0 || fstatfs(r->fd, &sfs) != 0) {
		close(r->fd);
		r->fd = -1;
		return;
	}
	for (i = 0; i < nvmas && !rec; i++)
		if (vmas[i].start == r->start && vmas[i].end == r->end)
			rec = &vmas[i];
	if (rec || sfs.f_type != OVERLAYFS_SUPER_MAGIC) {
		r->dev = rec ? rec->dev : kernel_dev(st.st_dev);
		r->ino = rec ? rec->ino : st.st_ino;
		if (find_file(ms, r->dev, r->ino))
			close(r->fd);
		else
			register_file(ms, r->dev, r->ino, r->fd, r->path ? r->path : "");
		r->fd = -1;
	} else if (find_file_ino(ms, st.st_ino)) {
		close(r->fd);
		r->fd = -1;
	}
}

static void snapshot(struct umodules *ms, __u64 hint_start, __u64 hint_end, int hint_fd);

static const struct umodule *module_of(const struct umodules *ms, const struct map_range *r)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (ms->v[i].dev == r->dev && ms->v[i].ino == r->ino)
			return &ms->v[i];
	return NULL;
}

void umodules_snapshot(struct umodules *ms)
{
	char full[PATH_MAX + 64];
	size_t i;

	snapshot(ms, 0, 0, -1);
	/* A mapping whose module was never announced (mapped before the
	 * tracer, or its event lost) is registered now, by the path the
	 * target sees (its root) or ours, when that is still the same file:
	 * so that normalizing a report's frames is a lookup, nothing more. */
	for (i = 0; i < ms->nmaps; i++) {
		const struct map_range *r = &ms->maps[i];

		if (!r->path || module_of(ms, r))
			continue;
		snprintf(full, sizeof(full), "/proc/%d/root%s", ms->pid, r->path);
		if (same_file(r->path, r->dev, r->ino))
			umodules_preload(ms, r->path);
		else if (same_file(full, r->dev, r->ino))
			umodules_preload(ms, full);
	}
}

void umodules_exec_mapped(struct umodules *ms, __u64 start, __u64 end)
{
	char mf[96];
	int fd = -1;

	if (end > start) {
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", ms->pid, (unsigned long long)start,
			 (unsigned long long)end);
		fd = open(mf, O_RDONLY | O_CLOEXEC);
	}
	snapshot(ms, start, end, fd);
}

/* hint_fd: [hint_start, hint_end) opened already (taken over). */
static void snapshot(struct umodules *ms, __u64 hint_start, __u64 hint_end, int hint_fd)
{
	char path[64], file[PATH_MAX], mf[96];
	struct map_range *v = NULL, *nv;
	const struct maps_entry *e;
	size_t n = 0, cap = 0, kept = 0, i;
	struct maps maps;
	struct umodule *m;
	__u64 dev;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", ms->pid);
	if (procfs_read_maps(path, &maps)) {
		/* gone: the last snapshot stays; the file opened in time
		 * still becomes a module (keyed as fstat shows it) */
		if (hint_fd >= 0) {
			struct map_range r = { hint_start, hint_end, 0, 0, 0, file, hint_fd, false };
			ssize_t got;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", hint_fd);
			got = readlink(path, file, sizeof(file) - 1);
			file[got > 0 ? got : 0] = '\0';
			settle_range(ms, &r, NULL, 0);
			if (r.fd >= 0)
				close(r.fd);
		}
		return;
	}
	/* First open every new mapped file, fast: a process that dlopen()s
	 * and exits right away may be gone a few hundred microseconds
	 * later; keying, rows and symbols can wait. */
	for (i = 0; i < maps.n; i++) {
		e = &maps.e[i];
		if (e->perms[2] != 'x' || e->path[0] != '/')
			continue;
		dev = ((__u64)e->major << 20) | e->minor;
		fd = -1;
		m = find_file(ms, dev, e->inode);
		if (hint_fd >= 0 && e->start == hint_start && e->end == hint_end) {
			fd = hint_fd;
			hint_fd = -1;
			kept++;
		} else if ((!m || m->fd < 0) && kept < UMODULE_MAX_FDS) {
			snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", ms->pid, e->start,
				 e->end);
			fd = open(mf, O_RDONLY | O_CLOEXEC);
			kept += fd >= 0;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				if (fd >= 0)
					close(fd);
				break;
			}
			v = nv;
		}
		/* the name the file had: a deleted one keeps it */
		v[n++] = (struct map_range){ e->start, e->end, e->offset, dev, e->inode,
					     strndup(e->path, e->name_len), fd, false };
	}
	maps_free(&maps);
	if (hint_fd >= 0)
		close(hint_fd); /* merged into a larger mapping: opened above */
	if (!n) {
		free(v);
		return; /* an exiting process has no mappings left */
	}
	hold_root(ms);
	/* Files opened by the previous snapshot and not keyed yet move to
	 * this one (or are keyed now if their mapping is gone). */
	for (i = 0; i < ms->nmaps; i++) {
		struct map_range *o = &ms->maps[i];
		size_t k;

		if (o->fd < 0 || o->settled)
			continue;
		for (k = 0; k < n; k++)
			if (v[k].start == o->start && v[k].end == o->end)
				break;
		if (k < n && v[k].fd < 0) {
			v[k].fd = o->fd;
			o->fd = -1;
		} else if (k == n) {
			settle_range(ms, o, NULL, 0);
		}
	}
	free_maps(ms->maps, ms->nmaps);
	ms->maps = v;
	ms->nmaps = n;
}

void umodules_settle(struct umodules *ms)
{
	struct ml_vma_rec *vmas = NULL;
	size_t i, nvmas = 0;
	bool any = false;

	for (i = 0; i < ms->nmaps && !any; i++)
		any = ms->maps[i].fd >= 0 && !ms->maps[i].settled;
	if (!any)
		return;
	nvmas = exec_vmas(ms, &vmas);
	for (i = 0; i < ms->nmaps; i++) {
		if (ms->maps[i].fd >= 0 && !ms->maps[i].settled)
			settle_range(ms, &ms->maps[i], vmas, nvmas);
		ms->maps[i].settled = true;
	}
	free(vmas);
}

__u64 umodules_normalize(const struct umodules *ms, __u64 addr)
{
	const struct map_range *r = NULL;
	const struct umodule *m;
	size_t i;

	for (i = 0; i < ms->nmaps && !r; i++)
		if (addr >= ms->maps[i].start && addr < ms->maps[i].end)
			r = &ms->maps[i];
	if (!r)
		return addr;
	m = module_of(ms, r);
	if (!m)
		return addr;
	return ((__u64)m->id << FRAME_MODULE_SHIFT) | ((addr - r->start + r->offset) & FRAME_OFFSET_MASK);
}
