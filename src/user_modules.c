/* Module registry of the traced process (see user_modules.h). */
#include "user_modules.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common.h"
#include "memleak.skel.h"
#include "procfs.h"
#include "unwind_table.h"

__u64 kernel_dev(dev_t d)
{
	/* The kernel's MKDEV: 12-bit major above a 20-bit minor. */
	return ((__u64)major(d) << 20) | minor(d);
}

int umodules_init(struct umodules *ms, struct memleak_bpf *skel, pid_t pid)
{
	size_t sz;
	void *p;

	memset(ms, 0, sizeof(*ms));
	ms->skel = skel;
	ms->pid = pid;
	ms->rows_cap = bpf_map__max_entries(skel->maps.rows);
	sz = ms->rows_cap * sizeof(struct ml_unwind_row);
	sz = (sz + 4095) & ~4095UL;
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel->maps.rows), 0);
	if (p == MAP_FAILED) {
		err_msg("cannot map the unwind rows: %s", strerror(errno));
		return -errno;
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

static void set_path(struct umodule *m, const char *path)
{
	const char *slash;

	free(m->path);
	m->path = strdup(path);
	slash = m->path ? strrchr(m->path, '/') : NULL;
	m->name = slash ? slash + 1 : m->path;
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
	keep_fd(ms, m, fd);
	set_path(m, path);
	load_rows(ms, m);
	return m;
}

int umodules_preload(struct umodules *ms, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -errno;
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
	char path[64], line[PATH_MAX + 128], file[PATH_MAX];
	unsigned int maj, min;
	unsigned long long inode;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu %4095[^\n]", &maj, &min, &inode, file) != 4)
			continue;
		if (inode != ino || (((__u64)maj << 20) | min) != dev)
			continue;
		if (snprintf(out, len, "/proc/%d/root%s", pid, file) >= (int)len)
			continue;
		found = same_file(out, dev, ino);
		if (found && same_file(file, dev, ino))
			snprintf(out, len, "%s", file); /* same namespace: the plain path */
	}
	fclose(f);
	return found;
}

/* The file from its path below its file system's root (as the kernel saw
 * it), under every mount of that device: works after the process exited. */
static bool find_in_mounts(const struct ml_module_event *ev, char *out, size_t len)
{
	char rel[PATH_MAX] = "", line[PATH_MAX * 2], mnt[PATH_MAX], root[PATH_MAX];
	unsigned int maj, min;
	bool found = false;
	size_t rl;
	FILE *f;
	int i;

	for (i = (int)ev->ncomps - 1; i >= 0; i--) {
		char comp[PATH_COMP_LEN + 1];

		memcpy(comp, ev->comps[i], PATH_COMP_LEN);
		comp[PATH_COMP_LEN] = '\0';
		if (strcmp(comp, "/") == 0)
			continue;
		if (strlen(rel) + strlen(comp) + 2 >= sizeof(rel))
			return false;
		strcat(rel, "/");
		strcat(rel, comp);
	}
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d %*d %u:%u %4095s %4095s", &maj, &min, root, mnt) != 4)
			continue;
		if ((((__u64)maj << 20) | min) != ev->dev)
			continue;
		procfs_unescape_octal_inplace(root);
		procfs_unescape_octal_inplace(mnt);
		rl = strlen(root);
		if (strcmp(root, "/") == 0)
			rl = 0;
		else if (strncmp(rel, root, rl) != 0 || (rel[rl] != '/' && rel[rl] != '\0'))
			continue;
		snprintf(out, len, "%s%s", strcmp(mnt, "/") == 0 ? "" : mnt, rel + rl);
		found = same_file(out, ev->dev, ev->ino);
	}
	fclose(f);
	return found;
}

void umodules_on_event(struct umodules *ms, const struct ml_module_event *ev)
{
	char path[PATH_MAX];
	struct umodule *m;
	struct stat st;
	bool found;
	int fd;

	if (ev->type != ML_EVENT_NEW_MODULE || umodules_get(ms, ev->module_id))
		return;
	m = add(ms, ev->module_id, ev->dev, ev->ino);
	if (!m)
		return;
	/* The kernel's own reference first; paths only when the process is
	 * already gone (then deleted or namespaced files are lost). */
	fd = open_mapped(ms, ev, path, sizeof(path));
	found = fd >= 0;
	if (!found && (find_in_maps(ev->pid, ev->dev, ev->ino, path, sizeof(path)) ||
		       find_in_mounts(ev, path, sizeof(path)))) {
		found = true;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) != 0 || kernel_dev(st.st_dev) != ev->dev || st.st_ino != ev->ino)) {
			close(fd);
			fd = -1;
		}
	}
	if (found) {
		set_path(m, path);
		keep_fd(ms, m, fd);
	} else {
		ms->unresolved++;
		vlog(1, "module %u (dev %llu ino %llu): file not found (mapped and unmapped, or the process "
		     "exited, before it could be opened)", m->id, (unsigned long long)ev->dev,
		     (unsigned long long)ev->ino);
	}
	load_rows(ms, m);
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

void umodules_snapshot(struct umodules *ms)
{
	char path[64], line[PATH_MAX + 128], file[PATH_MAX], perms[8], mf[96];
	unsigned long long start, end, off, ino;
	struct map_range *v = NULL, *nv;
	unsigned int maj, min;
	size_t n = 0, cap = 0, fl, kept = 0, nvmas, i;
	struct ml_vma_rec *vmas = NULL, *rec;
	struct statfs sfs;
	struct stat st;
	__u64 dev;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", ms->pid);
	f = fopen(path, "r");
	if (!f)
		return; /* gone: the last snapshot stays */
	nvmas = exec_vmas(ms, &vmas);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095[^\n]", &start, &end, perms, &off,
			   &maj, &min, &ino, file) != 8 || perms[2] != 'x' || file[0] != '/')
			continue;
		fl = strlen(file);
		if (fl > 10 && strcmp(file + fl - 10, " (deleted)") == 0)
			file[fl - 10] = '\0';
		dev = ((__u64)maj << 20) | min;
		/* The mapped file itself: its (dev, ino) is the kernel's (the
		 * maps line may show an overlay's), and registering it now,
		 * while the process lives, keeps it after it exits. */
		snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", ms->pid, start, end);
		fd = open(mf, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) != 0 || fstatfs(fd, &sfs) != 0)) {
			close(fd);
			fd = -1;
		}
		for (i = 0, rec = NULL; i < nvmas && !rec; i++)
			if (vmas[i].start == start && vmas[i].end == end)
				rec = &vmas[i];
		if (fd >= 0 && (rec || sfs.f_type != OVERLAYFS_SUPER_MAGIC)) {
			/* The kernel's (dev, ino) (what fstat shows, but for
			 * an overlay): register it now, rows and all. */
			dev = rec ? rec->dev : kernel_dev(st.st_dev);
			ino = rec ? rec->ino : st.st_ino;
			if (find_file(ms, dev, ino))
				close(fd);
			else
				register_file(ms, dev, ino, fd, file);
			fd = -1;
		} else if (fd >= 0 && (find_file_ino(ms, st.st_ino) || kept >= UMODULE_MAX_FDS)) {
			close(fd);
			fd = -1;
		}
		/* An overlay file's (dev, ino) is the overlay's, not the layer
		 * file's the kernel maps: kept here until the kernel announces
		 * this mapping, even if the process has exited by then. */
		kept += fd >= 0;
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
		v[n++] = (struct map_range){ start, end, off, dev, ino, strdup(file), fd };
	}
	fclose(f);
	free(vmas);
	if (!n) {
		free(v);
		return; /* an exiting process has no mappings left */
	}
	free_maps(ms->maps, ms->nmaps);
	ms->maps = v;
	ms->nmaps = n;
}

__u64 umodules_normalize(struct umodules *ms, __u64 addr)
{
	char full[PATH_MAX + 64];
	struct map_range *r = NULL;
	struct umodule *m = NULL;
	size_t i;

	for (i = 0; i < ms->nmaps && !r; i++)
		if (addr >= ms->maps[i].start && addr < ms->maps[i].end)
			r = &ms->maps[i];
	if (!r)
		return addr;
	for (i = 0; i < ms->n && !m; i++)
		if (ms->v[i].dev == r->dev && ms->v[i].ino == r->ino)
			m = &ms->v[i];
	if (!m && r->path) {
		snprintf(full, sizeof(full), "/proc/%d/root%s", ms->pid, r->path);
		if (same_file(full, r->dev, r->ino) || same_file(r->path, r->dev, r->ino)) {
			umodules_preload(ms, same_file(r->path, r->dev, r->ino) ? r->path : full);
			for (i = 0; i < ms->n && !m; i++)
				if (ms->v[i].dev == r->dev && ms->v[i].ino == r->ino)
					m = &ms->v[i];
		}
	}
	if (!m)
		return addr;
	return ((__u64)m->id << FRAME_MODULE_SHIFT) | ((addr - r->start + r->offset) & FRAME_OFFSET_MASK);
}
