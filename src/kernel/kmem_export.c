/* Kernel-mode reports as a pprof profile (--pprof) and a flame graph (--svg). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel/kmem_report.h"
#include "lib/flamegraph.h"
#include "lib/pprof.h"

/* The leaf box and label of a row: its kind, and the cache of a
 * kmem_cache row, since "which cache" is the first question. */
static const char *row_leaf(const struct kmem_row *row, char *buf, size_t len)
{
	if (row->key.kind == KMEM_CACHE && row->cache_name[0])
		snprintf(buf, len, "%s (%s)", kmem_kind_name(row->key.kind), row->cache_name);
	else
		snprintf(buf, len, "%s", kmem_kind_name(row->key.kind));
	return buf;
}

/* A row without a stack still holds bytes: one pseudo-frame says why. */
static const char *lost_name(const struct kmem_row *row, char *buf, size_t len)
{
	snprintf(buf, len, "[stack lost: %s]", kmem_stack_lost(row->key.lost));
	return buf;
}

int kmem_report_pprof(const struct kmem_report *r, const char *path)
{
	struct pprof *p = pprof_new(r->timestamp * 1000000000LL, r->sample);
	uint64_t *locs = NULL;
	char lost[96];
	size_t i, n;
	int k, err = -ENOMEM;

	if (!p)
		return -ENOMEM;
	pprof_comment(p, "memleakbpf kernel: outstanding kernel allocations");
	for (i = 0; i < kmem_rows_shown(r); i++) {
		const struct kmem_row *row = &r->rows[i];
		struct pprof_label labels[] = {
			{ "kind", kmem_kind_name(row->key.kind) },
			{ "cache", row->key.kind == KMEM_CACHE && row->cache_name[0] ? row->cache_name : NULL },
			{ "comm", row->comm[0] ? row->comm : NULL },
		};

		free(locs);
		locs = calloc(row->nframes + 1, sizeof(*locs));
		if (!locs)
			goto out;
		n = 0;
		if (row->key.lost || !row->nframes) {
			struct pprof_line l = { lost_name(row, lost, sizeof(lost)), NULL, 0 };

			locs[n++] = pprof_location(p, pprof_mapping(p, "[kernel.kallsyms]", NULL, true),
						   row->key.lost, &l, 1);
		}
		/* Innermost first, as the stack map holds them; a frame
		 * without a symbol keeps its address. */
		for (k = 0; k < row->nframes; k++) {
			const struct kmem_frame *f = &row->frames[k];
			struct pprof_line l = { f->function, NULL, 0 };
			char mod[80];
			uint64_t map;

			if (f->module)
				snprintf(mod, sizeof(mod), "[%s]", f->module);
			map = pprof_mapping(p, f->module ? mod : "[kernel.kallsyms]", NULL, true);
			locs[n++] = pprof_location(p, map, f->addr, &l, f->function ? 1 : 0);
		}
		pprof_sample(p, locs, n, row->count, row->bytes, labels, 3);
	}
	err = pprof_write(p, path);
out:
	free(locs);
	pprof_free(p);
	return err;
}

int kmem_report_svg(const struct kmem_report *r, const char *path)
{
	struct flame *f = flame_new("Outstanding kernel bytes per stack", "bytes");
	const char **frames = NULL;
	char leaf[96], lost[96], (*names)[160] = NULL;
	size_t i;
	int k, n, err = 0;

	if (!f)
		return -ENOMEM;
	for (i = 0; i < kmem_rows_shown(r) && !err; i++) {
		const struct kmem_row *row = &r->rows[i];

		free(frames);
		free(names);
		frames = calloc(row->nframes + 2, sizeof(*frames));
		names = calloc(row->nframes + 1, sizeof(*names));
		if (!frames || !names) {
			err = -ENOMEM;
			break;
		}
		n = 0;
		if (row->key.lost || !row->nframes)
			frames[n++] = lost_name(row, lost, sizeof(lost));
		/* Outermost first; the leaf is what was allocated. */
		for (k = row->nframes - 1; k >= 0; k--) {
			const struct kmem_frame *fr = &row->frames[k];

			if (fr->function && fr->module)
				snprintf(names[k], sizeof(names[k]), "%s [%s]", fr->function, fr->module);
			else if (fr->function)
				snprintf(names[k], sizeof(names[k]), "%s", fr->function);
			else
				snprintf(names[k], sizeof(names[k]), "0x%llx", fr->addr);
			frames[n++] = names[k];
		}
		frames[n++] = row_leaf(row, leaf, sizeof(leaf));
		err = flame_add(f, frames, n, row->bytes);
	}
	if (!err)
		err = flame_write(f, path);
	free(frames);
	free(names);
	flame_free(f);
	return err;
}
