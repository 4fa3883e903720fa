/* memleakbpf shmem --stacks: name the frames of a writer's user stack.
 *
 * Writers are usually gone by report time, and with them /proc/PID/maps.
 * So the executable mappings of each writer are copied when BPF first
 * reports it (SHMEM_EV_WRITER), and frames are symbolized later from that
 * copy with the ELF files (elfutils, src/symbolize.c). */
#define _GNU_SOURCE
#include <errno.h>
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

static struct proc_maps *procs;
static size_t nprocs;
static struct module *mods;
static size_t nmods;

void sh_stacks_note_writer(pid_t tgid)
{
	const struct maps_entry *e;
	struct proc_maps *p;
	struct maps maps;
	char file[64];
	size_t i;
	int err;

	for (i = 0; i < nprocs; i++)
		if (procs[i].tgid == tgid)
			return;
	snprintf(file, sizeof(file), "/proc/%d/maps", tgid);
	err = procfs_read_maps(file, &maps);
	/* -EINVAL: readable but no mapping in it; the writer is noted anyway */
	if (err && err != -EINVAL)
		return; /* already gone: its frames stay addresses */
	p = realloc(procs, (nprocs + 1) * sizeof(*procs));
	if (!p) {
		maps_free(&maps);
		return;
	}
	procs = p;
	p = &procs[nprocs++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	for (i = 0; i < maps.n; i++) {
		struct xmap *m;

		e = &maps.e[i];
		if (e->perms[2] != 'x' || e->path[0] != '/')
			continue;
		m = realloc(p->m, (p->n + 1) * sizeof(*p->m));
		if (!m)
			break;
		p->m = m;
		m[p->n] = (struct xmap){ .start = e->start, .end = e->end, .off = e->offset,
					 .path = strdup(e->path) };
		if (m[p->n].path)
			p->n++;
	}
	maps_free(&maps);
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
	struct sym_frame fr[SYM_MAX_INLINE];
	unsigned long long vaddr;
	struct sym_module *sm;
	const char *base;
	size_t i, j;
	int n;

	for (i = 0; i < nprocs && !x; i++)
		if (procs[i].tgid == tgid)
			for (j = 0; j < procs[i].n && !x; j++)
				if (ip >= procs[i].m[j].start && ip < procs[i].m[j].end)
					x = &procs[i].m[j];
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
