/* User-mode reports as a pprof profile (--pprof) and a flame graph (--svg). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"
#include "lib/flamegraph.h"
#include "lib/pprof.h"
#include "user/user_report.h"

static const struct report_module *find_module(const struct user_report *r, const char *name)
{
	size_t i;

	for (i = 0; name && i < r->nmodules; i++)
		if (r->modules[i].name == name || strcmp(r->modules[i].name, name) == 0)
			return &r->modules[i];
	return NULL;
}

/* One stack's locations, innermost first.  A location is one address: the
 * frames inlined at it (flagged `inlined`, innermost first) and the
 * function they are inlined into become Line entries of it, as
 * profile.proto orders them. */
static size_t stack_locations(struct pprof *p, const struct user_report *r,
			      const struct report_stack *s, uint64_t *locs)
{
	struct pprof_line lines[SYM_MAX_INLINE];
	size_t n = 0;
	int i = 0, j, k;

	while (i < s->nframes) {
		const struct report_frame *f = &s->frames[i];
		const struct report_module *m = find_module(r, f->module);
		uint64_t map;

		for (j = i; j + 1 < s->nframes && s->frames[j].inlined &&
			    s->frames[j + 1].address == f->address && j - i + 1 < SYM_MAX_INLINE;
		     j++)
			;
		for (k = i; k <= j; k++)
			lines[k - i] = (struct pprof_line){ s->frames[k].function, s->frames[k].file,
							    s->frames[k].line };
		map = pprof_mapping(p, m ? m->path : f->module ? f->module : "[unknown]",
				    m ? m->build_id : NULL, m != NULL);
		locs[n++] = pprof_location(p, map, f->address, lines, j - i + 1);
		i = j + 1;
	}
	return n;
}

int user_report_pprof(const struct user_report *r, const struct report_opts *o, const char *path)
{
	struct pprof *p = pprof_new(o->timestamp * 1000000000LL, o->sample_every);
	uint64_t *locs = NULL;
	char comment[256], comm[64];
	size_t i, n;
	int err = -ENOMEM;

	if (!p)
		return -ENOMEM;
	sanitize_text(comm, sizeof(comm), o->comm ? o->comm : "?");
	snprintf(comment, sizeof(comment), "memleakbpf user: outstanding memory of pid %d (%s)%s",
		 o->pid, comm, o->target_exited ? " at exit" : "");
	pprof_comment(p, comment);
	/* pprof names its first mapping the profile's "File": the target's
	 * executable, whichever module the largest stack starts in. */
	if (o->exe && o->exe[0]) {
		const char *b = strrchr(o->exe, '/');
		const struct report_module *m = find_module(r, b ? b + 1 : o->exe);

		pprof_mapping(p, m ? m->path : o->exe, m ? m->build_id : NULL, m != NULL);
	}
	for (i = 0; i < r->nshown; i++) {
		const struct report_stack *s = &r->stacks[i];

		free(locs);
		locs = calloc(s->nframes + 1, sizeof(*locs));
		if (!locs)
			goto out;
		n = stack_locations(p, r, s, locs);
		pprof_sample(p, locs, n, s->count, s->bytes,
			     &(struct pprof_label){ "kind", kind_name(s->kind) }, 1);
	}
	err = pprof_write(p, path);
out:
	free(locs);
	pprof_free(p);
	return err;
}

int user_report_svg(const struct user_report *r, const struct report_opts *o, const char *path)
{
	char title[256], comm[64], (*names)[512] = NULL;
	const char **frames = NULL;
	struct flame *f;
	size_t i;
	int err = 0, n, k;

	sanitize_text(comm, sizeof(comm), o->comm ? o->comm : "?");
	snprintf(title, sizeof(title), "Outstanding bytes of pid %d (%s)%s", o->pid, comm,
		 o->target_exited ? " at exit" : "");
	f = flame_new(title, "bytes");
	if (!f)
		return -ENOMEM;
	/* Boxes read as the folded stacks do: comm, outermost ... innermost,
	 * then the allocator that made the memory. */
	for (i = 0; i < r->nshown && !err; i++) {
		const struct report_stack *s = &r->stacks[i];

		free(names);
		free(frames);
		names = calloc(s->nframes + 1, sizeof(*names));
		frames = calloc(s->nframes + 2, sizeof(*frames));
		if (!names || !frames) {
			err = -ENOMEM;
			break;
		}
		k = 0;
		frames[k++] = comm;
		for (n = s->nframes - 1; n >= 0; n--)
			frames[k++] = report_frame_name(&s->frames[n], names[n], sizeof(names[n]));
		frames[k++] = kind_name(s->kind);
		err = flame_add(f, frames, k, s->bytes);
	}
	if (!err)
		err = flame_write(f, path);
	free(names);
	free(frames);
	flame_free(f);
	return err;
}
