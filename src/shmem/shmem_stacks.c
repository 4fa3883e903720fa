/* memleakbpf shmem --stacks: name the frames of a writer's user stack.
 *
 * Writers are usually gone by report time, and with them /proc/PID/maps.
 * So the executable mappings of each writer are copied when BPF first
 * reports it (SHMEM_EV_WRITER), and frames are symbolized later from that
 * copy with the ELF files (elfutils, src/symbolize.c).
 *
 * A writer such as dd lives about a millisecond after its first write, and
 * the main loop may be building a report for a hundred: the new writers
 * come on a ring of their own, read by a thread that does nothing else.
 * A writer gone all the same is counted (drop_writer_maps). */
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs/procfs.h"
#include "shmem/shmem_int.h"
#include "sym/symbolize.h"

struct xmap {
	unsigned long long start, end, off;
	char *path;
};

struct proc_maps {
	pid_t tgid;
	struct xmap *m;
	size_t n;
};

struct module {
	char *path;
	struct sym_module *sm;	/* NULL: not readable as ELF */
};

/* procs is filled by the watcher thread and read by the report: under
 * lock.  A path, once copied, lives until sh_stacks_free. */
static pthread_mutex_t procs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct proc_maps *procs;
static size_t nprocs;
static atomic_ullong maps_missed;
static struct module *mods;
static size_t nmods;

static bool noted(pid_t tgid)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&procs_lock);
	for (i = 0; i < nprocs && !found; i++)
		found = procs[i].tgid == tgid;
	pthread_mutex_unlock(&procs_lock);
	return found;
}

void sh_stacks_note_writer(pid_t tgid)
{
	const struct maps_entry *e;
	struct proc_maps p = { .tgid = tgid }, *np;
	struct maps maps;
	char file[64];
	size_t i;
	int err;

	if (noted(tgid))
		return;
	snprintf(file, sizeof(file), "/proc/%d/maps", tgid);
	err = procfs_read_maps(file, &maps);
	/* -EINVAL: readable but no mapping in it; the writer is noted anyway */
	if (err && err != -EINVAL) {
		maps_missed++; /* already gone: its frames stay addresses */
		return;
	}
	for (i = 0; i < maps.n; i++) {
		struct xmap *m;

		e = &maps.e[i];
		if (e->perms[2] != 'x' || e->path[0] != '/')
			continue;
		m = realloc(p.m, (p.n + 1) * sizeof(*p.m));
		if (!m)
			break;
		p.m = m;
		m[p.n] = (struct xmap){ .start = e->start, .end = e->end, .off = e->offset,
					.path = strdup(e->path) };
		if (m[p.n].path)
			p.n++;
	}
	maps_free(&maps);
	pthread_mutex_lock(&procs_lock);
	np = realloc(procs, (nprocs + 1) * sizeof(*procs));
	if (np) {
		procs = np;
		procs[nprocs++] = p;
		p.n = 0;
		p.m = NULL;
	}
	pthread_mutex_unlock(&procs_lock);
	for (i = 0; i < p.n; i++) /* not stored: out of memory */
		free(p.m[i].path);
	free(p.m);
}

unsigned long long sh_stacks_missed(void)
{
	return maps_missed;
}

/* ---- the watcher thread ---- */

static struct ring_buffer *watch_rb;
static pthread_t watch_thread;
static atomic_bool watch_stop;
static bool watching;

static int on_writer(void *ctx, void *data, size_t len)
{
	const struct shmem_event *e = data;

	(void)ctx;
	if (len >= sizeof(*e) && e->type == SHMEM_EV_WRITER)
		sh_stacks_note_writer((pid_t)e->ino);
	return 0;
}

static void *watch(void *arg)
{
	(void)arg;
	/* Each new writer wakes the poll; the timeout only bounds the stop. */
	while (!watch_stop)
		if (ring_buffer__poll(watch_rb, 50) < 0 && errno != EINTR)
			break;
	return NULL;
}

int sh_stacks_watch_start(int ring_fd)
{
	int err;

	watch_rb = ring_buffer__new(ring_fd, on_writer, NULL, NULL);
	if (!watch_rb)
		return -errno;
	watch_stop = false;
	err = pthread_create(&watch_thread, NULL, watch, NULL);
	if (err) {
		ring_buffer__free(watch_rb);
		watch_rb = NULL;
		return -err;
	}
	watching = true;
	return 0;
}

void sh_stacks_watch_stop(void)
{
	if (!watching)
		return;
	watch_stop = true;
	pthread_join(watch_thread, NULL);
	/* Writers the thread had not come to yet, while some may live. */
	ring_buffer__consume(watch_rb);
	ring_buffer__free(watch_rb);
	watch_rb = NULL;
	watching = false;
}

static struct sym_module *module(const char *path)
{
	struct module *m;
	size_t i;

	for (i = 0; i < nmods; i++)
		if (strcmp(mods[i].path, path) == 0)
			return mods[i].sm;
	m = realloc(mods, (nmods + 1) * sizeof(*mods));
	if (!m)
		return NULL;
	mods = m;
	mods[nmods].path = strdup(path);
	if (!mods[nmods].path)
		return NULL;
	mods[nmods].sm = sym_module_open(path);
	return mods[nmods++].sm;
}

void sh_stack_frame_name(pid_t tgid, unsigned long long ip, bool is_return, char *buf,
			 size_t len)
{
	const struct xmap *x = NULL;
	struct xmap xm;
	struct sym_frame fr[SYM_MAX_INLINE];
	unsigned long long vaddr;
	struct sym_module *sm;
	const char *base;
	size_t i, j;
	int n;

	pthread_mutex_lock(&procs_lock);
	for (i = 0; i < nprocs && !x; i++)
		if (procs[i].tgid == tgid)
			for (j = 0; j < procs[i].n && !x; j++)
				if (ip >= procs[i].m[j].start && ip < procs[i].m[j].end) {
					xm = procs[i].m[j]; /* the array may move */
					x = &xm;
				}
	pthread_mutex_unlock(&procs_lock);
	if (!x) {
		snprintf(buf, len, "0x%llx", ip);
		return;
	}
	base = strrchr(x->path, '/');
	base = base ? base + 1 : x->path;
	sm = module(x->path);
	vaddr = sm ? sym_module_vaddr(sm, ip - x->start + x->off) : 0;
	n = vaddr ? sym_module_lookup(sm, vaddr, is_return, fr, SYM_MAX_INLINE) : 0;
	/* The innermost (possibly inlined) function is the most precise. */
	if (n > 0 && fr[0].function) {
		if (fr[0].file)
			snprintf(buf, len, "%s (%s:%d) [%s]", fr[0].function, fr[0].file, fr[0].line,
				 base);
		else
			snprintf(buf, len, "%s [%s]", fr[0].function, base);
	} else {
		snprintf(buf, len, "0x%llx [%s+0x%llx]", ip, base, ip - x->start + x->off);
	}
}

void sh_stacks_free(void)
{
	size_t i, j;

	sh_stacks_watch_stop();
	maps_missed = 0;
	for (i = 0; i < nprocs; i++) {
		for (j = 0; j < procs[i].n; j++)
			free(procs[i].m[j].path);
		free(procs[i].m);
	}
	free(procs);
	procs = NULL;
	nprocs = 0;
	for (i = 0; i < nmods; i++) {
		sym_module_close(mods[i].sm);
		free(mods[i].path);
	}
	free(mods);
	mods = NULL;
	nmods = 0;
}
