/* Text and JSON twins of one struct oom_report (see oom_report.h). */
#include "oom/oom_report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/common.h"
#include "lib/json.h"

static const char *const source_names[] = {
	[SRC_NONE] = NULL,	    [SRC_BPF] = "bpf",	     [SRC_FENTRY] = "fentry",
	[SRC_KMSG] = "kmsg",	    [SRC_PROC] = "proc",     [SRC_CGROUPFS] = "cgroupfs",
	[SRC_COMPUTED] = "computed", [SRC_INFERRED] = "inferred",
};

const char *oom_source_name(enum oom_source s)
{
	return (unsigned)s < ARRAY_SIZE(source_names) ? source_names[s] : NULL;
}

void oom_report_note(struct oom_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes >= OOM_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
}

long long oom_points(unsigned long long rss_pages, unsigned long long swap_pages,
		     unsigned long long pgtables_bytes, int adj,
		     unsigned long long totalpages, bool *eligible)
{
	/* mm/oom_kill.c oom_badness(): adj is scaled by totalpages / 1000
	 * with integer division, so tiny domains round it away. */
	*eligible = adj != -1000;
	return (long long)(rss_pages + swap_pages + pgtables_bytes / 4096) +
	       (long long)adj * (long long)(totalpages / 1000);
}

static int cmp_cand(const void *a, const void *b)
{
	const struct oom_cand *x = a, *y = b;

	if (x->eligible != y->eligible)
		return x->eligible ? -1 : 1;
	if (x->points != y->points)
		return x->points > y->points ? -1 : 1;
	if (x->victim != y->victim)
		return x->victim ? -1 : 1;
	return x->pid - y->pid;
}

void oom_report_rank(struct oom_report *r)
{
	if (r->ncand > 1)
		qsort(r->cand, r->ncand, sizeof(*r->cand), cmp_cand);
}

void oom_report_free(struct oom_report *r)
{
	free(r->cand);
	r->cand = NULL;
	r->ncand = 0;
}

static const char *src(enum oom_source s)
{
	const char *n = oom_source_name(s);

	return n ? n : "none";
}

static void text_sources(FILE *out, const struct oom_report *r)
{
	fprintf(out, "  sources   victim=%s memcg=%s points=%s trigger=%s gfp=%s stack=%s "
		     "constraint=%s domain=%s limit=%s candidates=%s\n",
		src(r->src_victim), src(r->src_v_memcg), src(r->src_points),
		src(r->src_trigger), src(r->src_gfp), src(r->src_stack),
		src(r->src_constraint), src(r->src_memcg), src(r->src_limit), src(r->src_cand));
}

void oom_report_print_text(FILE *out, const struct oom_report *r)
{
	char comm[OOM_NAME_LEN], path[OOM_PATH_LEN];
	int i;

	char tb[32];

	sanitize_text(comm, sizeof(comm), r->v_comm);
	fprintf(out, "%s OOM kill: pid %d (%s), %s%s%s\n", wall_time(r->timestamp, tb, sizeof(tb)),
		r->v_pid, comm,
		r->constraint[0] ? r->constraint : "constraint unknown",
		r->memcg[0] ? " in memcg " : "", r->memcg);

	sanitize_text(path, sizeof(path), r->v_memcg);
	fprintf(out, "  victim    pid %d  comm %s  uid %u  memcg %s\n", r->v_pid, comm, r->v_uid,
		path[0] ? path : "?");
	if (r->has_victim_mem)
		fprintf(out, "            total_vm %llu kB  anon_rss %llu kB  file_rss %llu kB  "
			     "shmem_rss %llu kB  pgtables %llu kB  swap %llu kB\n",
			r->total_vm_kb, r->anon_kb, r->file_kb, r->shmem_kb, r->pgtables_kb,
			r->swap_kb);
	fprintf(out, "            oom_score_adj %d  points ", r->v_adj);
	if (r->has_points)
		fprintf(out, "%lld\n", r->v_points);
	else
		fprintf(out, "?\n");

	if (r->has_trigger) {
		sanitize_text(comm, sizeof(comm), r->t_comm);
		fprintf(out, "  trigger   pid %d  comm %s", r->t_pid, comm);
	} else {
		fprintf(out, "  trigger   unknown");
	}
	if (r->has_gfp)
		fprintf(out, "  gfp_mask %#x(%s)  order %d", r->gfp_mask, r->gfp_text, r->order);
	fputc('\n', out);
	for (i = 0; i < r->nstack; i++)
		fprintf(out, "            %s\n", r->stack[i]);

	sanitize_text(path, sizeof(path), r->memcg);
	fprintf(out, "  domain    %s  %s%s", r->constraint[0] ? r->constraint : "?",
		r->memcg_domain ? "memcg " : "machine", r->memcg_domain ? (path[0] ? path : "?") : "");
	if (r->has_limit)
		fprintf(out, "  limit %llu kB  usage %llu kB", r->limit_kb, r->usage_kb);
	if (r->totalpages)
		fprintf(out, "  (totalpages %llu)", r->totalpages);
	fputc('\n', out);

	fprintf(out, "  candidates: %d from %s; points = rss + swap + pgtables + adj * totalpages / 1000 "
		     "(pages), * = victim\n", r->ncand, src(r->src_cand));
	if (r->ncand)
		fprintf(out, "     RANK      PID COMM             RSS_KB  SWAP_KB PGTABLES_KB   ADJ     POINTS\n");
	for (i = 0; i < r->ncand; i++) {
		const struct oom_cand *c = &r->cand[i];

		sanitize_text(comm, sizeof(comm), c->comm);
		fprintf(out, "   %c %4d %8d %-15.15s %8llu %8llu %11llu %5d ", c->victim ? '*' : ' ',
			i + 1, c->pid, comm, c->rss_kb, c->swap_kb, c->pgtables_kb, c->oom_score_adj);
		if (c->eligible)
			fprintf(out, "%10lld\n", c->points);
		else
			fprintf(out, "%10s\n", "never");
	}
	if (r->has_reap)
		fprintf(out, "  reaped    %.3f s after invocation (%s)\n", r->reap_s, r->reaped_by);
	else
		fprintf(out, "  reaped    unknown (no reaper or exit event for the victim)\n");
	text_sources(out, r);
	for (i = 0; i < r->nnotes; i++)
		fprintf(out, "  note: %s\n", r->notes[i]);
	fputc('\n', out);
	report_flush(out);
}

static void json_src(struct json *j, const char *key, enum oom_source s)
{
	json_kstr(j, key, oom_source_name(s));
}

static void json_opt_str(struct json *j, const char *key, const char *s)
{
	/* JSON escaping is lossless: the text goes out as it is. */
	if (!s || !*s)
		json_knull(j, key);
	else
		json_kstr(j, key, s);
}

void oom_report_print_json(FILE *out, const struct oom_report *r)
{
	struct json j;
	char buf[160];
	int i;

	char tb[32];

	json_report_begin(&j, out, "oom", r->timestamp, r->final);
	json_key(&j, "dropped");
	json_obj_begin(&j);
	json_ku64(&j, "events", r->dropped);
	json_obj_end(&j);
	json_kstr(&j, "time", wall_time(r->timestamp, tb, sizeof(tb)));

	json_key(&j, "victim");
	json_obj_begin(&j);
	json_ki64(&j, "pid", r->v_pid);
	json_opt_str(&j, "comm", r->v_comm);
	json_ku64(&j, "uid", r->v_uid);
	json_opt_str(&j, "memcg", r->v_memcg);
	if (r->has_victim_mem) {
		json_ku64(&j, "total_vm_kb", r->total_vm_kb);
		json_ku64(&j, "anon_rss_kb", r->anon_kb);
		json_ku64(&j, "file_rss_kb", r->file_kb);
		json_ku64(&j, "shmem_rss_kb", r->shmem_kb);
		json_ku64(&j, "pgtables_kb", r->pgtables_kb);
		json_ku64(&j, "swap_kb", r->swap_kb);
	} else {
		json_knull(&j, "total_vm_kb");
		json_knull(&j, "anon_rss_kb");
		json_knull(&j, "file_rss_kb");
		json_knull(&j, "shmem_rss_kb");
		json_knull(&j, "pgtables_kb");
		json_knull(&j, "swap_kb");
	}
	json_ki64(&j, "oom_score_adj", r->v_adj);
	if (r->has_points)
		json_ki64(&j, "points", r->v_points);
	else
		json_knull(&j, "points");
	json_obj_end(&j);

	json_key(&j, "trigger");
	json_obj_begin(&j);
	if (r->has_trigger) {
		json_ki64(&j, "pid", r->t_pid);
		json_opt_str(&j, "comm", r->t_comm);
	} else {
		json_knull(&j, "pid");
		json_knull(&j, "comm");
	}
	if (r->has_gfp) {
		snprintf(buf, sizeof(buf), "%#x", r->gfp_mask);
		json_kstr(&j, "gfp_mask", buf);
		json_opt_str(&j, "gfp_flags", r->gfp_text);
		json_ki64(&j, "order", r->order);
	} else {
		json_knull(&j, "gfp_mask");
		json_knull(&j, "gfp_flags");
		json_knull(&j, "order");
	}
	json_key(&j, "stack");
	if (r->nstack) {
		json_arr_begin(&j);
		for (i = 0; i < r->nstack; i++)
			json_str(&j, r->stack[i]);
		json_arr_end(&j);
	} else {
		json_null(&j);
	}
	json_obj_end(&j);

	json_opt_str(&j, "constraint", r->constraint);
	if (r->memcg_domain)
		json_opt_str(&j, "memcg", r->memcg);
	else
		json_knull(&j, "memcg");
	if (r->has_limit) {
		json_ku64(&j, "limit_kb", r->limit_kb);
		json_ku64(&j, "usage_kb", r->usage_kb);
	} else {
		json_knull(&j, "limit_kb");
		json_knull(&j, "usage_kb");
	}
	if (r->totalpages)
		json_ku64(&j, "totalpages", r->totalpages);
	else
		json_knull(&j, "totalpages");

	json_key(&j, "candidates");
	json_arr_begin(&j);
	for (i = 0; i < r->ncand; i++) {
		const struct oom_cand *c = &r->cand[i];

		json_obj_begin(&j);
		json_ki64(&j, "pid", c->pid);
		json_opt_str(&j, "comm", c->comm);
		json_ku64(&j, "uid", c->uid);
		json_ku64(&j, "rss_kb", c->rss_kb);
		json_ku64(&j, "swap_kb", c->swap_kb);
		json_ku64(&j, "pgtables_kb", c->pgtables_kb);
		json_ki64(&j, "oom_score_adj", c->oom_score_adj);
		if (c->eligible)
			json_ki64(&j, "points", c->points);
		else
			json_knull(&j, "points");
		json_key(&j, "victim");
		json_bool(&j, c->victim);
		json_obj_end(&j);
	}
	json_arr_end(&j);

	if (r->has_reap) {
		json_key(&j, "reap_seconds");
		json_double(&j, r->reap_s);
		json_kstr(&j, "reaped_by", r->reaped_by);
	} else {
		json_knull(&j, "reap_seconds");
		json_knull(&j, "reaped_by");
	}

	json_key(&j, "sources");
	json_obj_begin(&j);
	json_src(&j, "victim", r->src_victim);
	json_src(&j, "victim_memcg", r->src_v_memcg);
	json_src(&j, "points", r->src_points);
	json_src(&j, "trigger", r->src_trigger);
	json_src(&j, "gfp", r->src_gfp);
	json_src(&j, "stack", r->src_stack);
	json_src(&j, "constraint", r->src_constraint);
	json_src(&j, "memcg", r->src_memcg);
	json_src(&j, "limit", r->src_limit);
	json_src(&j, "candidates", r->src_cand);
	json_obj_end(&j);

	json_key(&j, "notes");
	json_arr_begin(&j);
	for (i = 0; i < r->nnotes; i++)
		json_str(&j, r->notes[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}
