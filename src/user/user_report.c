/* User-mode reports (see user_report.h). */
#include "user/user_report.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/bpf_util.h"
#include "lib/common.h"
#include "lib/json.h"
#include "memleak.skel.h"

static const char *const kind_names[ML_KIND_MAX] = {
	[ML_KIND_MALLOC] = "malloc",
	[ML_KIND_CALLOC] = "calloc",
	[ML_KIND_REALLOC] = "realloc",
	[ML_KIND_REALLOCARRAY] = "reallocarray",
	[ML_KIND_POSIX_MEMALIGN] = "posix_memalign",
	[ML_KIND_ALIGNED_ALLOC] = "aligned_alloc",
	[ML_KIND_MEMALIGN] = "memalign",
	[ML_KIND_VALLOC] = "valloc",
	[ML_KIND_PVALLOC] = "pvalloc",
	[ML_KIND_MALLOCX] = "mallocx",
	[ML_KIND_RALLOCX] = "rallocx",
	[ML_KIND_MMAP] = "mmap",
	[ML_KIND_MREMAP] = "mremap",
	[ML_KIND_BRK] = "brk",
	[ML_KIND_FAULT] = "fault",
};

/* JSON keys of the drop counters. */
static const char *const drop_names[ML_DROP_MAX] = {
	[ML_DROP_ALLOCS_FULL] = "allocs_map_full",
	[ML_DROP_STACKS_FULL] = "stacks_map_full",
	[ML_DROP_REGIONS_FULL] = "regions_map_full",
	[ML_DROP_NO_THREAD_STATE] = "no_thread_state",
	[ML_DROP_STALE_ENTRY] = "unreturned_calls",
	[ML_DROP_REUSED_ADDRESS] = "missed_frees",
	[ML_DROP_EVENTS_FULL] = "events_lost",
	[ML_DROP_UNWIND_FP] = "frame_pointer_unwinds",
	[ML_DROP_UNWIND_TRUNCATED] = "truncated_stacks",
	[ML_DROP_PRUNE_RACE] = "stack_prune_races",
};

const char *kind_name(unsigned int kind)
{
	return kind < ML_KIND_MAX && kind_names[kind] ? kind_names[kind] : "unknown";
}

const char *drop_name(unsigned int reason)
{
	return reason < ML_DROP_MAX ? drop_names[reason] : "unknown";
}

/* ---- symbol cache: frame value -> symbolized frames ---------------------- */

struct symentry {
	__u64 frame;
	int n;
	struct report_frame f[SYM_MAX_INLINE];
};

struct symcache {
	struct symentry *v;
	size_t cap, n;
};

struct symcache *symcache_new(void)
{
	struct symcache *c = calloc(1, sizeof(*c));

	if (c) {
		c->cap = 1024;
		c->v = calloc(c->cap, sizeof(*c->v));
		if (!c->v) {
			free(c);
			return NULL;
		}
	}
	return c;
}

void symcache_free(struct symcache *c)
{
	if (!c)
		return;
	free(c->v);
	free(c);
}

static size_t slot(const struct symcache *c, __u64 frame)
{
	__u64 h = frame * 0x9e3779b97f4a7c15ULL;
	size_t i = h & (c->cap - 1);

	while (c->v[i].frame && c->v[i].frame != frame)
		i = (i + 1) & (c->cap - 1);
	return i;
}

static bool grow(struct symcache *c)
{
	struct symentry *old = c->v;
	size_t oldcap = c->cap, i;

	c->v = calloc(oldcap * 2, sizeof(*c->v));
	if (!c->v) {
		c->v = old;
		return false;
	}
	c->cap = oldcap * 2;
	for (i = 0; i < oldcap; i++)
		if (old[i].frame)
			c->v[slot(c, old[i].frame)] = old[i];
	free(old);
	return true;
}

static const struct symentry *symbolize_frame(struct symcache *c, struct umodules *ms, __u64 frame)
{
	__u32 id = frame >> FRAME_MODULE_SHIFT;
	__u64 off = frame & FRAME_OFFSET_MASK;
	struct sym_frame sf[SYM_MAX_INLINE];
	struct symentry *e;
	struct umodule *m;
	int i, n = 0;

	if (c->n * 2 >= c->cap)
		grow(c);
	e = &c->v[slot(c, frame)];
	if (e->frame == frame)
		return e;
	e->frame = frame;
	c->n++;
	m = id ? umodules_get(ms, id) : NULL;
	e->f[0] = (struct report_frame){ .address = off, .module = id ? "[unknown]" : "[anon]" };
	e->n = 1;
	if (!m || !m->path)
		return e;
	e->f[0].module = m->name;
	if (!m->sym && !m->sym_failed) {
		/* From the kept descriptor: works after the process exited
		 * and for files no path of ours reaches. */
		m->sym = m->fd >= 0 ? sym_module_open_fd(m->fd, m->path) : sym_module_open(m->path);
		m->sym_failed = !m->sym;
	}
	if (!m->sym)
		return e;
	e->f[0].address = sym_module_vaddr(m->sym, off);
	n = sym_module_lookup(m->sym, e->f[0].address, true, sf, SYM_MAX_INLINE);
	for (i = 0; i < n; i++)
		e->f[i] = (struct report_frame){ sf[i].function, sf[i].file, m->name, sf[i].line,
						 e->f[0].address, sf[i].inlined };
	e->n = n ? n : 1;
	return e;
}

/* ---- reading the maps ----------------------------------------------------- */

struct raw_stack {
	__u64 hash;
	struct ml_stack s;
	long long growth; /* growth mode: since the last report */
	double per_s;
};

static int cmp_hist(const void *a, const void *b)
{
	const struct stack_hist_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void stack_hist_free(struct stack_hist *h)
{
	free(h->v);
	*h = (struct stack_hist){ 0 };
}

/* Each stack's growth since the report h holds; then h holds this one.
 * A stack h lacks held nothing then (pruned stacks hold nothing). */
static void stack_growth(struct stack_hist *h, struct raw_stack *st, size_t n)
{
	unsigned long long now = now_ns();
	double dt = h->at_ns ? (now - h->at_ns) / 1e9 : 0;
	struct stack_hist_entry key, *prev, *v = malloc((n + 1) * sizeof(*v));
	size_t i;

	for (i = 0; i < n; i++) {
		key.id = st[i].hash;
		prev = h->n ? bsearch(&key, h->v, h->n, sizeof(*h->v), cmp_hist) : NULL;
		st[i].growth = st[i].s.bytes - (prev ? prev->bytes : 0);
		st[i].per_s = dt > 0 ? st[i].growth / dt : 0;
		if (v)
			v[i] = (struct stack_hist_entry){ st[i].hash, st[i].s.bytes };
	}
	if (!v)
		return; /* out of memory: the next growth is against an older report */
	if (n)
		qsort(v, n, sizeof(*v), cmp_hist);
	free(h->v);
	h->v = v;
	h->n = n;
	h->at_ns = now;
}

static int cmp_bytes(const void *a, const void *b)
{
	const struct raw_stack *x = a, *y = b;

	if (x->s.bytes != y->s.bytes)
		return x->s.bytes < y->s.bytes ? 1 : -1;
	if (x->s.count != y->s.count)
		return x->s.count < y->s.count ? 1 : -1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

struct age_sum {
	__u64 hash;
	long long bytes, count;
};

static int cmp_hash(const void *a, const void *b)
{
	const struct age_sum *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* --older: the stacks' sums over allocations older than the cut-off. */
static int sum_older(struct memleak_bpf *skel, unsigned long long older_ns, struct raw_stack *st, size_t n)
{
	unsigned long long now = now_ns(), cut = now > older_ns ? now - older_ns : 0;
	struct age_sum *sums = NULL;
	size_t nk = 0, nr = 0, ns = 0, i;
	__u64 *keys = NULL, *rkeys = NULL;
	struct ml_alloc *a = NULL;
	struct ml_region *rg = NULL;
	int err;

	err = map_dump(bpf_map__fd(skel->maps.allocs), sizeof(*keys), sizeof(*a), (void **)&keys,
		       (void **)&a, &nk);
	if (!err)
		err = map_dump(bpf_map__fd(skel->maps.regions), sizeof(*rkeys), sizeof(*rg),
			       (void **)&rkeys, (void **)&rg, &nr);
	if (err)
		goto cleanup;
	sums = calloc(nk + nr + 1, sizeof(*sums));
	if (!sums) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < nk; i++)
		if (a[i].ts_ns <= cut)
			sums[ns++] = (struct age_sum){ a[i].stack_hash, (long long)a[i].size, 1 };
	for (i = 0; i < nr; i++)
		if (rg[i].ts_ns <= cut)
			sums[ns++] = (struct age_sum){ rg[i].stack_hash, (long long)(rg[i].end - rkeys[i]), 1 };
	qsort(sums, ns, sizeof(*sums), cmp_hash);
	for (i = 0; i < n; i++) {
		struct age_sum k = { .hash = st[i].hash }, *f;

		st[i].s.bytes = 0;
		st[i].s.count = 0;
		f = bsearch(&k, sums, ns, sizeof(*sums), cmp_hash);
		if (!f)
			continue;
		while (f > sums && f[-1].hash == k.hash)
			f--;
		for (; f < sums + ns && f->hash == k.hash; f++) {
			st[i].s.bytes += f->bytes;
			st[i].s.count += f->count;
		}
	}
cleanup:
	free(keys);
	free(a);
	free(rkeys);
	free(rg);
	free(sums);
	return err;
}

static int cmp_frames(const void *a, const void *b)
{
	const struct raw_stack *x = a, *y = b;

	if (x->s.kind != y->s.kind)
		return x->s.kind < y->s.kind ? -1 : 1;
	if (x->s.nframes != y->s.nframes)
		return x->s.nframes < y->s.nframes ? -1 : 1;
	return memcmp(x->s.frames, y->s.frames, x->s.nframes * sizeof(x->s.frames[0]));
}

/* Absolute frames (recorded when the kernel could not look a mapping up)
 * become module-relative, and stacks that are then equal are merged, so
 * one call site is one line whichever way it was recorded.  The registry
 * is read as the driver left it (umodules_snapshot before the report):
 * building a report never reads /proc or writes a BPF map. */
static size_t normalize(struct umodules *ms, struct raw_stack *st, size_t n)
{
	bool changed = false;
	size_t i, k, out;

	for (i = 0; i < n; i++) {
		if (st[i].s.nframes > MAX_FRAMES)
			st[i].s.nframes = MAX_FRAMES;
		for (k = 0; k < st[i].s.nframes; k++) {
			if (st[i].s.frames[k] >> FRAME_MODULE_SHIFT)
				continue;
			st[i].s.frames[k] = umodules_normalize(ms, st[i].s.frames[k]);
			changed = true;
		}
	}
	if (!changed || n < 2)
		return n;
	qsort(st, n, sizeof(*st), cmp_frames);
	for (i = 1, out = 0; i < n; i++) {
		if (cmp_frames(&st[out], &st[i]) == 0) {
			st[out].s.bytes += st[i].s.bytes;
			st[out].s.count += st[i].s.count;
		} else {
			st[++out] = st[i];
		}
	}
	return out + 1;
}

int user_report_build(struct user_report *r, struct memleak_bpf *skel, struct umodules *ms,
		      struct symcache *cache, const struct report_opts *o)
{
	struct raw_stack *st = NULL;
	struct ml_stack *vals = NULL;
	__u64 *keys = NULL;
	size_t n = 0, i, kept = 0, total_frames = 0, k;
	int err, j;

	memset(r, 0, sizeof(*r));
	/* Without its drop counters a report still stands: they read 0. */
	map_percpu_sums(bpf_map__fd(skel->maps.drops), r->drops, ML_DROP_MAX);
	r->unresolved_modules = ms->unresolved;
	err = map_dump(bpf_map__fd(skel->maps.stacks), sizeof(*keys), sizeof(*vals), (void **)&keys,
		       (void **)&vals, &n);
	if (err)
		return err;
	st = calloc(n + 1, sizeof(*st));
	if (!st) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		st[i].hash = keys[i];
		st[i].s = vals[i];
	}
	if (o->older_ns && (err = sum_older(skel, o->older_ns, st, n)))
		goto cleanup;
	for (i = 0; i < n; i++) {
		if (st[i].s.bytes <= 0 && st[i].s.count <= 0)
			continue;
		r->total_bytes += st[i].s.bytes;
		r->total_count += st[i].s.count;
		st[kept++] = st[i];
	}
	kept = normalize(ms, st, kept);
	r->nstacks = kept;
	if (o->hist)
		stack_growth(o->hist, st, kept);
	qsort(st, kept, sizeof(*st), cmp_bytes);
	r->nshown = o->top > 0 && (size_t)o->top < kept ? (size_t)o->top : kept;
	r->stacks = calloc(r->nshown + 1, sizeof(*r->stacks));
	if (!r->stacks) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < r->nshown; i++) {
		struct report_stack *rs = &r->stacks[i];
		__u32 nf = st[i].s.nframes < MAX_FRAMES ? st[i].s.nframes : MAX_FRAMES;

		rs->bytes = st[i].s.bytes;
		rs->count = st[i].s.count;
		rs->growth_bytes = st[i].growth;
		rs->growth_per_s = st[i].per_s;
		rs->kind = st[i].s.kind;
		rs->frames = calloc(nf * SYM_MAX_INLINE + 1, sizeof(*rs->frames));
		if (!rs->frames) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (k = 0; k < nf; k++) {
			const struct symentry *e = symbolize_frame(cache, ms, st[i].s.frames[k]);

			for (j = 0; j < e->n; j++)
				rs->frames[rs->nframes++] = e->f[j];
		}
		total_frames += rs->nframes;
		for (j = 0; j < rs->nframes; j++)
			r->unnamed_frames += !rs->frames[j].function;
	}
	/* Modules opened for these stacks that have no debug info: one
	 * note each, with the build-id that finds its debug file. */
	r->untraced = calloc(ms->n + 1, sizeof(*r->untraced));
	for (k = 0; r->untraced && k < ms->n; k++)
		if (ms->v[k].untraced_allocator)
			r->untraced[r->nuntraced++] = ms->v[k].name ? ms->v[k].name : ms->v[k].path;
	r->nodebug = calloc(ms->n + 1, sizeof(*r->nodebug));
	for (k = 0; r->nodebug && k < ms->n; k++) {
		struct umodule *m = &ms->v[k];

		if (!m->sym || sym_module_has_debuginfo(m->sym))
			continue;
		r->nodebug[r->nnodebug].module = m->name;
		if (!sym_module_build_id(m->sym, r->nodebug[r->nnodebug].build_id,
					 sizeof(r->nodebug[r->nnodebug].build_id)))
			r->nodebug[r->nnodebug].build_id[0] = '\0';
		r->nnodebug++;
	}
	r->modules = calloc(ms->n + 1, sizeof(*r->modules));
	for (k = 0; r->modules && k < ms->n; k++) {
		struct umodule *m = &ms->v[k];
		struct report_module *rm = &r->modules[r->nmodules];

		if (!m->sym)
			continue;
		rm->name = m->name;
		rm->path = m->path;
		if (!sym_module_build_id(m->sym, rm->build_id, sizeof(rm->build_id)))
			rm->build_id[0] = '\0';
		r->nmodules++;
	}
cleanup:
	free(keys);
	free(vals);
	free(st);
	return err;
}

void user_report_free(struct user_report *r)
{
	size_t i;

	for (i = 0; r->stacks && i < r->nshown; i++)
		free(r->stacks[i].frames);
	free(r->stacks);
	free(r->nodebug);
	free(r->modules);
	free(r->untraced);
	memset(r, 0, sizeof(*r));
}

/* ---- output ------------------------------------------------------------- */

static const char *base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* The frames of one stack, then the drops and notes: both modes. */
static void print_stack_text(const struct report_stack *s, FILE *out)
{
	char fn[512];
	int j;

	for (j = 0; j < s->nframes; j++) {
		const struct report_frame *f = &s->frames[j];

		sanitize_text(fn, sizeof(fn), f->function ? f->function : "??");
		fprintf(out, "\t\t%s0x%llx %s", f->inlined ? "(inlined) " : "", f->address, fn);
		if (f->file)
			fprintf(out, " at %s:%d", base(f->file), f->line);
		fprintf(out, " [%s]\n", f->module ? f->module : "?");
	}
}

static void print_notes_text(const struct user_report *r, FILE *out)
{
	size_t i, k;
	bool any = false;

	for (k = 0; k < ML_DROP_MAX; k++) {
		if (!r->drops[k] || k == ML_DROP_UNWIND_FP)
			continue;
		fprintf(out, "%s%s=%llu", any ? " " : "\tdropped: ", drop_names[k], r->drops[k]);
		any = true;
	}
	if (any)
		fputc('\n', out);
	if (r->drops[ML_DROP_UNWIND_FP])
		fprintf(out, "\tnote: %llu stacks unwound partly by frame pointers (module rows not loaded yet)\n",
			r->drops[ML_DROP_UNWIND_FP]);
	if (r->unresolved_modules)
		fprintf(out, "\tnote: %zu modules could not be found on disk: their frames are unsymbolized\n",
			r->unresolved_modules);
	for (i = 0; i < r->nuntraced; i++)
		fprintf(out, "\tnote: %s is an allocator mapped after tracing started (dlopen, or an exec): "
			"its allocations are not counted\n", r->untraced[i]);
	for (i = 0; i < r->nnodebug; i++)
		fprintf(out, "\tnote: no debug info for %s (build-id %s): names from its symbol table only, "
			"no file:line; install its debug package or set DEBUGINFOD_URLS\n",
			r->nodebug[i].module ? r->nodebug[i].module : "?",
			r->nodebug[i].build_id[0] ? r->nodebug[i].build_id : "none");
	if (r->unnamed_frames)
		fprintf(out, "\tnote: %zu frames shown without a function name\n", r->unnamed_frames);
}

static void print_bytes_delta(FILE *out, const char *what, long long now, long long then)
{
	if (now >= 0 && then >= 0)
		fprintf(out, ", %+lld bytes %s", now - then, what);
}

/* growth: the RSS and its growth, then the stacks of pages first written. */
static void print_growth_text(const struct user_report *r, const struct report_opts *o, FILE *out)
{
	size_t i;

	if (o->rss >= 0)
		fprintf(out, ": RSS %lld bytes", o->rss);
	else
		fputs(": RSS unknown (gone)", out);
	print_bytes_delta(out, "since the last report", o->rss, o->rss_prev);
	print_bytes_delta(out, "since tracing began", o->rss, o->rss_start);
	fprintf(out, "; %lld bytes in %lld pages first written since tracing began and still mapped, "
		"from %zu stacks", r->total_bytes, r->total_count, r->nstacks);
	if (r->nshown < r->nstacks)
		fprintf(out, " (top %zu shown)", r->nshown);
	fputc('\n', out);
	for (i = 0; i < r->nshown; i++) {
		fprintf(out, "\t%lld bytes in %lld pages first written (%+lld bytes since the last "
			"report, %.0f bytes/s) at:\n", r->stacks[i].bytes, r->stacks[i].count,
			r->stacks[i].growth_bytes, r->stacks[i].growth_per_s);
		print_stack_text(&r->stacks[i], out);
	}
	print_notes_text(r, out);
	fputs("\tnote: growth mode shows the code that first wrote pages still resident, not "
	      "outstanding malloc blocks; 'memleakbpf -p PID' counts those exactly\n", out);
	report_flush(out);
}

static void print_text(const struct user_report *r, const struct report_opts *o, FILE *out)
{
	char tbuf[16], comm[64];
	size_t i;

	sanitize_text(comm, sizeof(comm), o->comm ? o->comm : "?");
	fprintf(out, "[%s] pid %d (%s)%s", wall_time(o->timestamp, tbuf, sizeof(tbuf)), o->pid, comm,
		o->target_exited ? " at exit" : "");
	if (o->growth) {
		print_growth_text(r, o, out);
		return;
	}
	if (o->exited && o->exit_signal)
		fprintf(out, " (killed by signal %d, %s)", o->exit_signal, strsignal(o->exit_signal));
	else if (o->exited)
		fprintf(out, " (status %d)", o->exit_code);
	fprintf(out, ": %lld bytes in %lld allocations outstanding from %zu stacks",
		r->total_bytes, r->total_count, r->nstacks);
	if (o->older_ns)
		fprintf(out, ", older than %.1f s", o->older_ns / 1e9);
	if (o->sample_every > 1)
		fprintf(out, ", sampling 1 in %u", o->sample_every);
	if (r->nshown < r->nstacks)
		fprintf(out, " (top %zu shown)", r->nshown);
	fputc('\n', out);
	for (i = 0; i < r->nshown; i++) {
		const struct report_stack *s = &r->stacks[i];

		fprintf(out, "\t%lld bytes in %lld allocations from %s at:\n", s->bytes, s->count,
			kind_name(s->kind));
		print_stack_text(s, out);
	}
	print_notes_text(r, out);
	report_flush(out);
}

static void print_json(const struct user_report *r, const struct report_opts *o, FILE *out)
{
	struct json j;
	char addr[32];
	size_t i, k;
	int n;

	json_report_begin(&j, out, o->growth ? "growth" : "user", o->timestamp, o->final);
	json_key(&j, "dropped");
	json_obj_begin(&j);
	for (k = 0; k < ML_DROP_MAX; k++)
		if (k != ML_DROP_UNWIND_FP)
			json_ku64(&j, drop_names[k], r->drops[k]);
	json_obj_end(&j);
	json_ki64(&j, "pid", o->pid);
	json_kstr(&j, "comm", o->comm);
	json_key(&j, "target_exited");
	json_bool(&j, o->target_exited);
	/* -c: how the command ended; null while it runs or for -p. */
	json_key(&j, "exit");
	if (o->exited) {
		json_obj_begin(&j);
		json_key(&j, "status");
		if (o->exit_signal)
			json_null(&j);
		else
			json_i64(&j, o->exit_code);
		json_key(&j, "signal");
		if (o->exit_signal)
			json_i64(&j, o->exit_signal);
		else
			json_null(&j);
		json_obj_end(&j);
	} else {
		json_null(&j);
	}
	json_ki64(&j, "total_bytes", r->total_bytes);
	json_ki64(&j, "total_count", r->total_count);
	/* growth: the RSS (null once the target is gone) and its growth */
	if (o->growth) {
		json_key(&j, "growth");
		json_obj_begin(&j);
		json_kopt_i64(&j, "rss_bytes", o->rss >= 0, o->rss);
		json_kopt_i64(&j, "rss_growth_interval", o->rss >= 0 && o->rss_prev >= 0,
			      o->rss - o->rss_prev);
		json_kopt_i64(&j, "rss_growth_total", o->rss >= 0 && o->rss_start >= 0,
			      o->rss - o->rss_start);
		json_ki64(&j, "attributed_bytes", r->total_bytes);
		json_obj_end(&j);
	}
	json_ku64(&j, "stacks_total", r->nstacks);
	json_ku64(&j, "stacks_pruned", r->stacks_pruned);
	json_ku64(&j, "sample_every", o->sample_every ? o->sample_every : 1);
	json_key(&j, "older_than_seconds");
	if (o->older_ns)
		json_double(&j, o->older_ns / 1e9);
	else
		json_null(&j);
	json_ku64(&j, "frame_pointer_unwinds", r->drops[ML_DROP_UNWIND_FP]);
	json_ku64(&j, "unresolved_modules", r->unresolved_modules);
	json_ku64(&j, "unnamed_frames", r->unnamed_frames);
	json_key(&j, "untraced_allocators");
	json_arr_begin(&j);
	for (i = 0; i < r->nuntraced; i++)
		json_str(&j, r->untraced[i]);
	json_arr_end(&j);
	json_key(&j, "no_debuginfo");
	json_arr_begin(&j);
	for (i = 0; i < r->nnodebug; i++) {
		json_obj_begin(&j);
		json_kstr(&j, "module", r->nodebug[i].module);
		json_kstr(&j, "build_id", r->nodebug[i].build_id[0] ? r->nodebug[i].build_id : NULL);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "stacks");
	json_arr_begin(&j);
	for (i = 0; i < r->nshown; i++) {
		const struct report_stack *s = &r->stacks[i];

		json_obj_begin(&j);
		json_ki64(&j, "bytes", s->bytes);
		json_ki64(&j, "count", s->count);
		json_kstr(&j, "kind", kind_name(s->kind));
		if (o->growth) {
			json_ki64(&j, "growth_bytes", s->growth_bytes);
			json_key(&j, "growth_bytes_per_second");
			json_double(&j, s->growth_per_s);
		}
		json_key(&j, "frames");
		json_arr_begin(&j);
		for (n = 0; n < s->nframes; n++) {
			const struct report_frame *f = &s->frames[n];

			json_obj_begin(&j);
			json_kstr(&j, "function", f->function);
			json_kstr(&j, "file", f->file);
			json_key(&j, "line");
			if (f->line > 0)
				json_i64(&j, f->line);
			else
				json_null(&j);
			json_kstr(&j, "module", f->module);
			snprintf(addr, sizeof(addr), "0x%llx", f->address);
			json_kstr(&j, "address", addr);
			json_key(&j, "inlined");
			json_bool(&j, f->inlined);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}

const char *report_frame_name(const struct report_frame *f, char *buf, size_t len)
{
	char *p;

	if (f->function)
		sanitize_text(buf, len, f->function);
	else
		snprintf(buf, len, "%s+0x%llx", f->module ? f->module : "?", f->address);
	for (p = buf; *p; p++)
		if (*p == ';')
			*p = '_';
	return buf;
}

/* flamegraph.pl input: "comm;outermost;...;innermost;allocator bytes". */
static void print_folded(const struct user_report *r, const struct report_opts *o, FILE *out)
{
	char name[512];
	size_t i;
	int n;

	for (i = 0; i < r->nshown; i++) {
		const struct report_stack *s = &r->stacks[i];

		sanitize_text(name, sizeof(name), o->comm ? o->comm : "?");
		fputs(name, out);
		for (n = s->nframes - 1; n >= 0; n--)
			fprintf(out, ";%s", report_frame_name(&s->frames[n], name, sizeof(name)));
		fprintf(out, ";%s %lld\n", kind_name(s->kind), s->bytes);
	}
	report_flush(out);
}

void user_report_print(const struct user_report *r, const struct report_opts *o, FILE *out)
{
	switch (o->format) {
	case FORMAT_JSON: print_json(r, o, out); break;
	case FORMAT_FOLDED: print_folded(r, o, out); break;
	default: print_text(r, o, out); break;
	}
}
