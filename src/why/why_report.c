/* Text and JSON twins of one why_report: both walk the same structure, so
 * they can never disagree on a number. */
#include "why/why.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/common.h"
#include "lib/json.h"

/* ---- text ---- */

static void text_tree(const struct why_report *r, FILE *out)
{
	unsigned long long total = r->tree.n ? r->tree.v[0].bytes : 0;
	char a[32], d[40], e[40], name[128];
	size_t i;

	fprintf(out, "MEMORY (adds up to MemTotal)\n");
	for (i = 0; i < r->tree.n; i++) {
		const struct why_node *n = &r->tree.v[i];

		sanitize_text(name, sizeof(name), n->name);
		fprintf(out, "  %*s%-*s %10s %5.1f%%", n->depth * 2, "", 52 - n->depth * 2, name,
			fmt_bytes(a, sizeof(a), n->bytes), total ? 100.0 * n->bytes / total : 0.0);
		if (r->watching && i < r->ngrowth)
			fprintf(out, "  %s (%s in all)",
				fmt_bytes_signed(d, sizeof(d), r->growth[i].interval_delta, true),
				fmt_bytes_signed(e, sizeof(e), r->growth[i].delta, true));
		if (n->leaf_capped)
			fprintf(out, "  (counter larger than its parent: capped)");
		fputc('\n', out);
	}
	if (r->tree.overcount)
		fprintf(out, "  note: counters overlap by %s (per-CPU counter drift)\n",
			fmt_bytes(a, sizeof(a), r->tree.overcount));
}

static void text_tmpfs(const struct why_report *r, FILE *out)
{
	char a[32], b[32], s[256];
	size_t i, j;

	if (!r->ntmpfs)
		return;
	fprintf(out, "\nTMPFS MOUNTS\n  %-32s %10s %10s  largest files\n", "mountpoint", "used", "size");
	for (i = 0; i < r->ntmpfs; i++) {
		const struct why_tmpfs *m = &r->tmpfs[i];

		sanitize_text(s, sizeof(s), m->mountpoint);
		/* A long mountpoint gets its own line so the columns stay put. */
		if (strlen(s) > 32)
			fprintf(out, "  %s\n  %-32s", s, "");
		else
			fprintf(out, "  %-32s", s);
		fprintf(out, " %10s %10s", fmt_bytes(a, sizeof(a), m->used),
			m->size_known ? fmt_bytes(b, sizeof(b), m->size) : "unlimited");
		for (j = 0; j < m->ntop; j++) {
			sanitize_text(s, sizeof(s), m->top[j].path);
			fprintf(out, "%s%s (%s)", j ? ", " : "  ", s, fmt_bytes(a, sizeof(a), m->top[j].bytes));
		}
		fputc('\n', out);
	}
}

static void text_sysv(const struct why_report *r, FILE *out)
{
	char a[32], b[32];
	size_t i;

	if (!r->sysv_ok || !r->sysv.n)
		return;
	fprintf(out, "\nSYSV SHM SEGMENTS\n  %12s %10s %10s %10s %6s %8s %8s\n", "key", "shmid", "size",
		"rss", "nattch", "cpid", "lpid");
	for (i = 0; i < r->sysv.n; i++) {
		const struct sysv_seg *s = &r->sysv.s[i];

		fprintf(out, "  %12lld %10d %10s %10s %6llu %8d %8d%s\n", s->key, s->shmid,
			fmt_bytes(a, sizeof(a), s->size),
			s->has_rss ? fmt_bytes(b, sizeof(b), s->rss) : "-", s->nattch, s->cpid,
			s->lpid, s->has_nattch && !s->nattch ? "  orphaned" : "");
	}
}

static void text_files(const struct why_report *r, FILE *out, bool memfd)
{
	char a[32], s[256], c[64];
	bool header = false;
	size_t i, j;

	for (i = 0; i < r->nfiles; i++) {
		const struct why_open_file *f = &r->files[i];

		if (f->memfd != memfd)
			continue;
		if (!header)
			fprintf(out, "\n%s\n", memfd ? "OPEN MEMFDS" : "DELETED-BUT-OPEN TMPFS FILES");
		header = true;
		sanitize_text(s, sizeof(s), f->path);
		fprintf(out, "  %10s  %s  held by", fmt_bytes(a, sizeof(a), f->bytes), s);
		for (j = 0; j < f->nholders; j++) {
			sanitize_text(c, sizeof(c), f->holders[j].comm);
			fprintf(out, " %d (%s)", f->holders[j].pid, c);
		}
		if (f->holders_total > f->nholders)
			fprintf(out, " and %zu more", f->holders_total - f->nholders);
		fputc('\n', out);
	}
}

static const char *opt_size(char *buf, bool ok, unsigned long long v)
{
	return ok ? fmt_bytes(buf, 32, v) : "-";
}

static void text_procs(const struct why_report *r, const struct why_opts *o, FILE *out)
{
	char a[32], b[32], c[32], d[32], e[32], f[32], g[40], comm[64];
	size_t i;

	fprintf(out, "\nTOP PROCESSES (by RSS + swap)\n  %7s %-16s %10s %10s %10s %10s %10s %10s%s\n", "pid",
		"comm", "priv anon", "shr anon", "priv file", "shr file", "swap", "VIRT",
		r->watching ? "   anon growth" : "");
	for (i = 0; i < r->nprocs && i < (size_t)o->top; i++) {
		const struct why_proc *p = &r->procs[i];

		sanitize_text(comm, sizeof(comm), p->proc.comm);
		fprintf(out, "  %7d %-16.16s %10s %10s %10s %10s %10s %10s", p->proc.pid, comm,
			opt_size(a, p->proc.has_rss_split, p->proc.rss_anon),
			opt_size(b, p->proc.has_rss_split, p->proc.rss_shmem),
			opt_size(c, p->smaps_ok, p->private_file), opt_size(d, p->smaps_ok, p->shared_file),
			fmt_bytes(e, sizeof(e), p->proc.swap), fmt_bytes(f, sizeof(f), p->proc.vm_size));
		if (r->watching)
			fprintf(out, "   %s",
				p->has_growth ? fmt_bytes_signed(g, sizeof(g), p->d_rss_anon, true) : "new");
		fputc('\n', out);
	}
}

static int cmp_slab(const void *a, const void *b)
{
	const struct slab_cache *x = *(const struct slab_cache *const *)a;
	const struct slab_cache *y = *(const struct slab_cache *const *)b;

	return (x->bytes < y->bytes) - (x->bytes > y->bytes);
}

static int cmp_vmalloc(const void *a, const void *b)
{
	const struct vmalloc_caller *x = *(const struct vmalloc_caller *const *)a;
	const struct vmalloc_caller *y = *(const struct vmalloc_caller *const *)b;

	return (x->bytes < y->bytes) - (x->bytes > y->bytes);
}

/* Pointer arrays sorted by size: the report itself stays unmodified. */
static const struct slab_cache **top_slab(const struct why_report *r, size_t *n)
{
	const struct slab_cache **v = calloc(r->slab.n ? r->slab.n : 1, sizeof(*v));
	size_t i;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < r->slab.n; i++)
		v[i] = &r->slab.c[i];
	qsort(v, r->slab.n, sizeof(*v), cmp_slab);
	*n = r->slab.n;
	return v;
}

static const struct vmalloc_caller **top_vmalloc(const struct why_report *r, size_t *n)
{
	const struct vmalloc_caller **v = calloc(r->vmalloc.n ? r->vmalloc.n : 1, sizeof(*v));
	size_t i;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < r->vmalloc.n; i++)
		v[i] = &r->vmalloc.c[i];
	qsort(v, r->vmalloc.n, sizeof(*v), cmp_vmalloc);
	*n = r->vmalloc.n;
	return v;
}

static void text_kernel(const struct why_report *r, const struct why_opts *o, FILE *out)
{
	const struct vmalloc_caller **vc;
	const struct slab_cache **sc;
	char a[32], s[128];
	size_t i, n;

	if (r->slab_ok && (sc = top_slab(r, &n))) {
		fprintf(out, "\nTOP SLAB CACHES (/proc/slabinfo)\n");
		for (i = 0; i < n && i < (size_t)o->top; i++) {
			sanitize_text(s, sizeof(s), sc[i]->name);
			fprintf(out, "  %-32s %10s  %llu objects of %llu B\n", s,
				fmt_bytes(a, sizeof(a), sc[i]->bytes), sc[i]->active_objs, sc[i]->objsize);
		}
		free(sc);
	}
	if (r->vmalloc_ok && (vc = top_vmalloc(r, &n))) {
		fprintf(out, "\nTOP VMALLOC CALLERS (/proc/vmallocinfo)\n");
		for (i = 0; i < n && i < (size_t)o->top; i++) {
			sanitize_text(s, sizeof(s), vc[i]->caller);
			fprintf(out, "  %-32s %10s  %llu areas\n", s, fmt_bytes(a, sizeof(a), vc[i]->bytes),
				vc[i]->areas);
		}
		free(vc);
	}
}

static void text_oom(const struct why_report *r, const struct why_opts *o, FILE *out)
{
	char a[32], comm[64];
	size_t i;

	if (!r->noom)
		return;
	fprintf(out, "\nOOM KILL ORDER (global OOM, now)\n  %4s %7s %-16s %10s %9s %6s\n", "#", "pid", "comm", "rss+swap",
		"oom_score", "adj");
	for (i = 0; i < r->noom && i < (size_t)o->top && r->oom[i].killable; i++) {
		sanitize_text(comm, sizeof(comm), r->oom[i].proc.comm);
		fprintf(out, "  %4zu %7d %-16.16s %10s %9d %6d\n", i + 1, r->oom[i].proc.pid, comm,
			fmt_bytes(a, sizeof(a), r->oom[i].proc.rss + r->oom[i].proc.swap), r->oom[i].oom_score,
			r->oom[i].oom_score_adj);
	}
}

void why_print_text(const struct why_report *r, const struct why_opts *o, FILE *out)
{
	char t[16];
	size_t i;

	fprintf(out, "memleakbpf why at %s\n\n", wall_time(r->timestamp, t, sizeof(t)));
	if (r->watching)
		fprintf(out, "growth in the last interval (and since the first sample, %.0f s ago)\n\n",
			r->elapsed);
	text_tree(r, out);
	text_tmpfs(r, out);
	text_sysv(r, out);
	text_files(r, out, false);
	text_files(r, out, true);
	text_procs(r, o, out);
	text_kernel(r, o, out);
	text_oom(r, o, out);
	fprintf(out, "\nFINDINGS\n");
	if (!r->nfindings)
		fprintf(out, "  nothing above the thresholds\n");
	for (i = 0; i < r->nfindings; i++) {
		const struct why_finding *f = &r->findings[i];

		fprintf(out, "  [%s] %s\n      evidence: %s\n", f->severity, f->text, f->evidence);
		if (f->next_command[0])
			fprintf(out, "      next: %s\n", f->next_command);
	}
	if (r->nunreadable) {
		fprintf(out, "\nCOULD NOT READ\n");
		for (i = 0; i < r->nunreadable; i++)
			fprintf(out, "  %s: %s\n", r->unreadable[i].what, r->unreadable[i].detail);
	}
	report_flush(out);
}

/* ---- JSON ---- */

static void json_tree_node(struct json *j, const struct why_tree *t, int i)
{
	size_t k;

	json_obj_begin(j);
	json_kstr(j, "name", t->v[i].name);
	json_ku64(j, "bytes", t->v[i].bytes);
	json_key(j, "children");
	json_arr_begin(j);
	for (k = i + 1; k < t->n && t->v[k].depth > t->v[i].depth; k++)
		if (t->v[k].parent == i)
			json_tree_node(j, t, (int)k);
	json_arr_end(j);
	json_obj_end(j);
}

static void json_files(struct json *j, const struct why_report *r, bool memfd)
{
	size_t i, k;

	json_arr_begin(j);
	for (i = 0; i < r->nfiles; i++) {
		const struct why_open_file *f = &r->files[i];

		if (f->memfd != memfd)
			continue;
		json_obj_begin(j);
		json_kstr(j, "path", f->path);
		json_ku64(j, "bytes", f->bytes);
		json_key(j, "holders");
		json_arr_begin(j);
		for (k = 0; k < f->nholders; k++) {
			json_obj_begin(j);
			json_ki64(j, "pid", f->holders[k].pid);
			json_kstr(j, "comm", f->holders[k].comm);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_ku64(j, "holders_total", f->holders_total);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_procs(struct json *j, const struct why_report *r, const struct why_opts *o)
{
	size_t i;

	json_arr_begin(j);
	for (i = 0; i < r->nprocs && i < (size_t)o->top; i++) {
		const struct why_proc *p = &r->procs[i];

		json_obj_begin(j);
		json_ki64(j, "pid", p->proc.pid);
		json_kstr(j, "comm", p->proc.comm);
		json_ki64(j, "uid", p->proc.uid);
		json_kopt_u64(j, "private_anon", p->proc.has_rss_split, p->proc.rss_anon);
		json_kopt_u64(j, "shared_anon", p->proc.has_rss_split, p->proc.rss_shmem);
		json_kopt_u64(j, "private_file", p->smaps_ok, p->private_file);
		json_kopt_u64(j, "shared_file", p->smaps_ok, p->shared_file);
		json_ku64(j, "swap", p->proc.swap);
		json_ku64(j, "rss", p->proc.rss);
		json_kopt_u64(j, "pss", p->smaps_ok, p->pss);
		json_ku64(j, "vm_size", p->proc.vm_size);
		json_key(j, "growth");
		if (p->has_growth) {
			json_obj_begin(j);
			json_ki64(j, "private_anon", p->d_rss_anon);
			json_ki64(j, "shared_anon", p->d_rss_shmem);
			json_ki64(j, "rss", p->d_rss);
			json_ki64(j, "swap", p->d_swap);
			json_ki64(j, "vm_size", p->d_vm_size);
			json_obj_end(j);
		} else {
			json_null(j);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_kernel(struct json *j, const struct why_report *r, const struct why_opts *o)
{
	const struct vmalloc_caller **vc;
	const struct slab_cache **sc;
	size_t i, n;

	json_key(j, "slab_caches");
	if (r->slab_ok && (sc = top_slab(r, &n))) {
		json_arr_begin(j);
		for (i = 0; i < n && i < (size_t)o->top; i++) {
			json_obj_begin(j);
			json_kstr(j, "name", sc[i]->name);
			json_ku64(j, "bytes", sc[i]->bytes);
			json_ku64(j, "objsize", sc[i]->objsize);
			json_ku64(j, "active_objs", sc[i]->active_objs);
			json_obj_end(j);
		}
		json_arr_end(j);
		free(sc);
	} else {
		json_null(j);
	}
	json_key(j, "vmalloc_callers");
	if (r->vmalloc_ok && (vc = top_vmalloc(r, &n))) {
		json_arr_begin(j);
		for (i = 0; i < n && i < (size_t)o->top; i++) {
			json_obj_begin(j);
			json_kstr(j, "caller", vc[i]->caller);
			json_ku64(j, "bytes", vc[i]->bytes);
			json_ku64(j, "areas", vc[i]->areas);
			json_obj_end(j);
		}
		json_arr_end(j);
		free(vc);
	} else {
		json_null(j);
	}
}

void why_print_json(const struct why_report *r, const struct why_opts *o, FILE *out)
{
	struct json j;
	size_t i, k;

	json_report_begin(&j, out, "why", r->timestamp, r->final);
	/* /proc is read, not streamed: nothing can be dropped (what could
	 * not be read is listed under "unreadable"). */
	json_key(&j, "dropped");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_key(&j, "root");
	json_bool(&j, r->root);
	json_key(&j, "elapsed");
	if (r->watching)
		json_double(&j, r->elapsed);
	else
		json_null(&j);

	json_key(&j, "meminfo");
	json_obj_begin(&j);
	for (i = 0; i < r->mi.n; i++)
		json_ku64(&j, r->mi.f[i].name, r->mi.f[i].value);
	json_obj_end(&j);

	json_key(&j, "tree");
	if (r->tree.n)
		json_tree_node(&j, &r->tree, 0);
	else
		json_null(&j);
	json_ku64(&j, "tree_overcount", r->tree.overcount);

	json_key(&j, "tmpfs_mounts");
	json_arr_begin(&j);
	for (i = 0; i < r->ntmpfs; i++) {
		const struct why_tmpfs *m = &r->tmpfs[i];

		json_obj_begin(&j);
		json_kstr(&j, "mountpoint", m->mountpoint);
		json_kstr(&j, "fstype", m->fstype);
		json_kopt_u64(&j, "size", m->size_known, m->size);
		json_ku64(&j, "used", m->used);
		json_ku64(&j, "files_seen", m->files_seen);
		json_key(&j, "top_files");
		json_arr_begin(&j);
		for (k = 0; k < m->ntop; k++) {
			json_obj_begin(&j);
			json_kstr(&j, "path", m->top[k].path);
			json_ku64(&j, "bytes", m->top[k].bytes);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_key(&j, "sysv_segments");
	if (r->sysv_ok) {
		json_arr_begin(&j);
		for (i = 0; i < r->sysv.n; i++) {
			const struct sysv_seg *s = &r->sysv.s[i];

			json_obj_begin(&j);
			json_ki64(&j, "key", s->key);
			json_ki64(&j, "shmid", s->shmid);
			json_ku64(&j, "size", s->size);
			json_kopt_u64(&j, "rss", s->has_rss, s->rss);
			json_kopt_u64(&j, "nattch", s->has_nattch, s->nattch);
			json_ki64(&j, "creator_pid", s->cpid);
			json_ki64(&j, "last_pid", s->lpid);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	} else {
		json_null(&j);
	}

	json_key(&j, "deleted_open");
	json_files(&j, r, false);
	json_key(&j, "memfds");
	json_files(&j, r, true);
	json_key(&j, "processes");
	json_procs(&j, r, o);
	json_kernel(&j, r, o);

	json_key(&j, "oom_kill_order");
	json_arr_begin(&j);
	for (i = 0; i < r->noom && i < (size_t)o->top && r->oom[i].killable; i++) {
		const struct oom_rank *x = &r->oom[i];

		json_obj_begin(&j);
		json_ki64(&j, "pid", x->proc.pid);
		json_kstr(&j, "comm", x->proc.comm);
		json_ki64(&j, "badness", x->badness);
		if (x->oom_score >= 0)
			json_ki64(&j, "oom_score", x->oom_score);
		else
			json_knull(&j, "oom_score");
		json_ki64(&j, "oom_score_adj", x->oom_score_adj);
		json_ku64(&j, "rss", x->proc.rss);
		json_ku64(&j, "swap", x->proc.swap);
		json_kstr(&j, "cgroup", x->cgroup);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_key(&j, "growth");
	if (r->watching) {
		json_arr_begin(&j);
		for (i = 0; i < r->ngrowth; i++) {
			json_obj_begin(&j);
			json_kstr(&j, "name", r->growth[i].name);
			json_ku64(&j, "bytes", r->growth[i].bytes);
			json_ki64(&j, "delta", r->growth[i].delta);
			json_ki64(&j, "interval_delta", r->growth[i].interval_delta);
			json_obj_end(&j);
		}
		json_arr_end(&j);
	} else {
		json_null(&j);
	}

	json_key(&j, "findings");
	json_arr_begin(&j);
	for (i = 0; i < r->nfindings; i++) {
		const struct why_finding *f = &r->findings[i];

		json_obj_begin(&j);
		json_kstr(&j, "severity", f->severity);
		json_kstr(&j, "text", f->text);
		json_kstr(&j, "evidence", f->evidence);
		json_kstr(&j, "next_command", f->next_command[0] ? f->next_command : NULL);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	json_key(&j, "unreadable");
	json_arr_begin(&j);
	for (i = 0; i < r->nunreadable; i++) {
		json_obj_begin(&j);
		json_kstr(&j, "what", r->unreadable[i].what);
		json_kstr(&j, "detail", r->unreadable[i].detail);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}
