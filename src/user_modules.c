/* Module registry of the traced process (see user_modules.h). */
#include "user_modules.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

void umodules_free(struct umodules *ms)
{
	size_t i, sz;

	for (i = 0; i < ms->n; i++) {
		free(ms->v[i].path);
		sym_module_close(ms->v[i].sym);
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
	return m;
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

int umodules_preload(struct umodules *ms, const char *path)
{
	struct ml_module_key key;
	struct umodule *m;
	struct stat st;
	size_t i;

	if (stat(path, &st) != 0)
		return -errno;
	key.dev = kernel_dev(st.st_dev);
	key.ino = st.st_ino;
	for (i = 0; i < ms->n; i++)
		if (ms->v[i].dev == key.dev && ms->v[i].ino == key.ino)
			return 0;
	/* Ids come from the counter the kernel allocates from too. */
	m = add(ms, __sync_fetch_and_add(&ms->skel->data->next_module_id, 1), key.dev, key.ino);
	if (!m)
		return -ENOMEM;
	set_path(m, path);
	load_rows(ms, m);
	return 0;
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

	if (ev->type != ML_EVENT_NEW_MODULE || umodules_get(ms, ev->module_id))
		return;
	m = add(ms, ev->module_id, ev->dev, ev->ino);
	if (!m)
		return;
	if (find_in_maps(ev->pid, ev->dev, ev->ino, path, sizeof(path)) ||
	    find_in_mounts(ev, path, sizeof(path))) {
		set_path(m, path);
	} else {
		ms->unresolved++;
		vlog(1, "module %u (dev %llu ino %llu): file not found", m->id,
		     (unsigned long long)ev->dev, (unsigned long long)ev->ino);
	}
	load_rows(ms, m);
}

void umodules_snapshot(struct umodules *ms)
{
	char path[64], line[PATH_MAX + 128], file[PATH_MAX], perms[8];
	unsigned long long start, end, off, ino;
	struct map_range *v = NULL, *nv;
	unsigned int maj, min;
	size_t n = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", ms->pid);
	f = fopen(path, "r");
	if (!f)
		return; /* gone: the last snapshot stays */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095[^\n]", &start, &end, perms, &off,
			   &maj, &min, &ino, file) != 8 || perms[2] != 'x' || file[0] != '/')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n++] = (struct map_range){ start, end, off, ((__u64)maj << 20) | min, ino, strdup(file) };
	}
	fclose(f);
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
