/* Joins one OOM kill's sources into a report (see oom_join.h). */
#include "oom/oom_join.h"

#include <stdlib.h>
#include <string.h>

#include "lib/common.h"
#include "oom/oom_candidates.h"
#include "oom/oom_memcg.h"

/* The nearest memcg (victim's first) that is at its limit: where the
 * charge failed.  Root has no limit and never qualifies. */
static int infer_domain_level(const struct oom_event *e)
{
	unsigned int i;

	for (i = 0; i < e->memcg_levels && i < OOM_MEMCG_LEVELS; i++) {
		const struct oom_memcg_level *l = &e->memcg[i];

		if (l->max_pages >= (1ULL << 50))
			continue;
		/* a charge of up to 2 MiB (a THP) may be what failed */
		if (l->usage_pages + 512 >= l->max_pages)
			return i;
	}
	return -1;
}

static int level_by_path(const struct oom_pending *p, const char *path)
{
	unsigned int i;

	for (i = 0; i < p->ev.memcg_levels && i < OOM_MEMCG_LEVELS; i++)
		if (p->paths[i][0] && strcmp(p->paths[i], path) == 0)
			return i;
	return -1;
}

static int level_by_id(const struct oom_pending *p, unsigned long long id)
{
	unsigned int i;

	for (i = 0; i < p->ev.memcg_levels && i < OOM_MEMCG_LEVELS; i++)
		if (p->ev.memcg[i].id == id)
			return i;
	return -1;
}

static unsigned long long memcg_totalpages(const struct oom_join_env *st, const struct oom_pending *p,
					   const struct oom_memcg_level *l)
{
	unsigned long long max = l->max_pages, swap;

	/* mem_cgroup_get_max(): the limit plus the swap the memcg may use */
	if (!st->total_swap_pages)
		return max;
	swap = p->v2 ? l->swap_max_pages : (l->swap_max_pages > max ? l->swap_max_pages - max : 0);
	return max + (swap < st->total_swap_pages ? swap : st->total_swap_pages);
}

static const char *const constraint_names[] = {
	"CONSTRAINT_NONE", "CONSTRAINT_CPUSET", "CONSTRAINT_MEMORY_POLICY", "CONSTRAINT_MEMCG",
};

static void fill_domain(const struct oom_join_env *st, struct oom_pending *p, struct oom_report *r,
			const struct kmsg_report *k)
{
	int lvl = -1;

	if (p->has_kill || p->has_invoke) {
		const struct oom_event *oc = p->has_kill ? &p->kill : &p->invoke;

		if (oc->constraint < ARRAY_SIZE(constraint_names)) {
			snprintf(r->constraint, sizeof(r->constraint), "%s",
				 constraint_names[oc->constraint]);
			r->src_constraint = SRC_FENTRY;
		}
		r->memcg_domain = oc->has_memcg_oc;
		if (oc->has_memcg_oc) {
			lvl = level_by_id(p, oc->oc_memcg_id);
			if (lvl >= 0 && p->paths[lvl][0]) {
				snprintf(r->memcg, sizeof(r->memcg), "%s", p->paths[lvl]);
				r->src_memcg = SRC_CGROUPFS;
			}
		}
		r->totalpages = oc->totalpages;
	}
	if (!r->constraint[0] && k && k->has_constraint) {
		snprintf(r->constraint, sizeof(r->constraint), "%s", k->constraint);
		r->src_constraint = SRC_KMSG;
		r->memcg_domain = !k->global_oom && k->oom_memcg[0];
	}
	if (r->memcg_domain && !r->memcg[0] && k && k->oom_memcg[0]) {
		snprintf(r->memcg, sizeof(r->memcg), "%s", k->oom_memcg);
		r->src_memcg = SRC_KMSG;
		lvl = level_by_path(p, k->oom_memcg);
	}
	if (!r->constraint[0] && !p->ev.memcg_levels) {
		/* pid-only mark_victim and no kernel report: nothing to go on */
		oom_report_note(r, "constraint unknown (no memcg data and no kernel report); "
				   "candidates and points are the whole machine's");
		r->totalpages = st->totalram_pages + st->total_swap_pages;
		return;
	}
	if (!r->constraint[0]) {
		lvl = infer_domain_level(&p->ev);
		r->memcg_domain = lvl >= 0;
		snprintf(r->constraint, sizeof(r->constraint), "%s",
			 lvl >= 0 ? "CONSTRAINT_MEMCG" : "CONSTRAINT_NONE");
		r->src_constraint = SRC_INFERRED;
		if (lvl >= 0) {
			if (p->paths[lvl][0]) {
				snprintf(r->memcg, sizeof(r->memcg), "%s", p->paths[lvl]);
				r->src_memcg = SRC_CGROUPFS;
			}
			oom_report_note(r, "constraint inferred: memcg %s was at its limit "
					   "(cpuset/mempolicy constraints need the kmsg report)",
					r->memcg[0] ? r->memcg : p->ev.memcg[lvl].name);
		} else {
			oom_report_note(r, "constraint inferred: no memcg of the victim was at its "
					   "limit (cpuset/mempolicy constraints need the kmsg report)");
		}
	}
	if (r->memcg_domain && lvl >= 0) {
		const struct oom_memcg_level *l = &p->ev.memcg[lvl];

		r->has_limit = true;
		r->limit_kb = l->max_pages * 4;
		r->usage_kb = l->usage_pages * 4;
		r->src_limit = SRC_BPF;
		if (!r->totalpages)
			r->totalpages = memcg_totalpages(st, p, l);
	} else if (r->memcg_domain && k && k->has_memcg_usage) {
		r->has_limit = true;
		r->limit_kb = k->memcg_limit_kb;
		r->usage_kb = k->memcg_usage_kb;
		r->src_limit = SRC_KMSG;
		if (!r->totalpages)
			r->totalpages = k->memcg_limit_kb / 4;
	} else if (!r->memcg_domain) {
		r->has_limit = true;
		r->limit_kb = (st->totalram_pages + st->total_swap_pages) * 4;
		/* usage of the whole machine at the kill is not recorded:
		 * a domain that is out of memory uses all of it */
		r->usage_kb = r->limit_kb;
		r->src_limit = SRC_PROC;
		if (!r->totalpages)
			r->totalpages = st->totalram_pages + st->total_swap_pages;
	}
	if (r->memcg_domain && !r->memcg[0])
		oom_report_note(r, "the OOM memcg's path could not be resolved");
}

/* The old mark_victim gave the pid only: name, uid and adj come from the
 * kill line, else from /proc read when the event arrived. */
static void victim_without_task(struct oom_pending *p, struct oom_report *r,
				const struct kmsg_report *k)
{
	size_t i;

	if (k && k->has_kill) {
		snprintf(r->v_comm, sizeof(r->v_comm), "%s", k->kill_comm);
		r->v_uid = k->kill_uid;
		r->v_adj = k->kill_adj;
		r->src_victim = SRC_KMSG;
		return;
	}
	r->src_victim = SRC_NONE;
	for (i = 0; i < p->nsnap; i++) {
		const struct oom_rank *t = &p->snap[i];

		if (t->proc.pid != r->v_pid)
			continue;
		snprintf(r->v_comm, sizeof(r->v_comm), "%s", t->proc.comm);
		r->v_uid = t->proc.uid;
		r->v_adj = t->oom_score_adj;
		if (t->cgroup[0] && !r->v_memcg[0]) {
			snprintf(r->v_memcg, sizeof(r->v_memcg), "%s", t->cgroup);
			r->src_v_memcg = SRC_PROC;
		}
		r->src_victim = SRC_PROC;
		oom_report_note(r, "victim read from /proc after the kill (no kernel report; "
				   "this kernel's mark_victim gives the pid only)");
		return;
	}
	oom_report_note(r, "victim gone before /proc was read, and no kernel report: pid only");
}

static void fill_victim(const struct oom_join_env *st, struct oom_pending *p, struct oom_report *r,
			const struct kmsg_report *k)
{
	const struct oom_event *e = &p->ev;
	int i;

	r->ts_ns = e->ts_ns;
	r->timestamp = p->timestamp;
	r->v_pid = e->pid;
	r->v_uid = e->uid;
	snprintf(r->v_comm, sizeof(r->v_comm), "%.*s", OOM_COMM_LEN, e->comm);
	r->v_adj = e->oom_score_adj;
	r->src_victim = SRC_BPF;
	if (e->has_mm) {
		r->has_victim_mem = true;
		r->total_vm_kb = e->total_vm * 4;
		r->anon_kb = e->anon_pages * 4;
		r->file_kb = e->file_pages * 4;
		r->shmem_kb = e->shmem_pages * 4;
		r->pgtables_kb = e->pgtables_bytes / 1024;
		r->swap_kb = e->swap_ents * 4;
	} else if (k && k->has_kill) {
		r->has_victim_mem = true;
		r->total_vm_kb = k->total_vm_kb;
		r->anon_kb = k->anon_rss_kb;
		r->file_kb = k->file_rss_kb;
		r->shmem_kb = k->shmem_rss_kb;
		r->pgtables_kb = k->pgtables_kb;
		r->src_victim = SRC_KMSG;
	}
	if (!e->has_task)
		victim_without_task(p, r, k);
	if (e->memcg_levels && p->paths[0][0]) {
		snprintf(r->v_memcg, sizeof(r->v_memcg), "%s", p->paths[0]);
		r->src_v_memcg = SRC_CGROUPFS;
	} else if (k && k->task_memcg[0]) {
		snprintf(r->v_memcg, sizeof(r->v_memcg), "%s", k->task_memcg);
		r->src_v_memcg = SRC_KMSG;
	} else if (e->memcg_levels) {
		/* gone before we looked, and no kmsg: only the leaf name */
		snprintf(r->v_memcg, sizeof(r->v_memcg), "%.*s", OOM_CGNAME_LEN, e->memcg[0].name);
		r->src_v_memcg = SRC_BPF;
		oom_report_note(r, "victim memcg path unresolved: leaf name only");
	}
	for (i = 0; i < p->nbadness; i++) {
		if (p->badness[i].pid == (__u32)r->v_pid) {
			r->v_points = p->badness[i].points;
			r->has_points = true;
			r->src_points = SRC_FENTRY;
		}
	}
}

static void fill_trigger(const struct oom_join_env *st, struct oom_pending *p, struct oom_report *r,
			 const struct kmsg_report *k)
{
	const struct oom_event *e = &p->ev;
	int i;

	r->has_trigger = true;
	r->t_pid = e->trigger_pid;
	snprintf(r->t_comm, sizeof(r->t_comm), "%.*s", OOM_COMM_LEN, e->trigger_comm);
	r->src_trigger = SRC_BPF;
	if (p->has_invoke) {
		r->has_gfp = true;
		r->gfp_mask = p->invoke.gfp_mask;
		r->order = p->invoke.order;
		r->src_gfp = SRC_FENTRY;
	}
	if (k && k->has_header) {
		if (!r->has_gfp) {
			r->has_gfp = true;
			r->gfp_mask = k->gfp_mask;
			r->order = k->order;
			r->src_gfp = SRC_KMSG;
		}
		snprintf(r->gfp_text, sizeof(r->gfp_text), "%s", k->gfp_text);
	}
	if (!r->nstack && k && k->nstack) {
		for (i = 0; i < k->nstack && i < OOM_MAX_FRAMES; i++)
			snprintf(r->stack[i], OOM_FRAME_LEN, "%s", k->stack[i]);
		r->nstack = i;
		r->src_stack = SRC_KMSG;
	}
	if (!r->nstack && e->kstack_id < 0)
		oom_report_note(r, "trigger stack not captured (bpf_get_stackid: %s)",
				strerror(-e->kstack_id));
}

static void fill_candidates(const struct oom_join_env *st, struct oom_pending *p, struct oom_report *r,
			    const struct kmsg_report *k)
{
	int i;

	if (r->has_victim_mem && !r->has_points) {
		bool ok;

		r->v_points = oom_points((r->anon_kb + r->file_kb + r->shmem_kb) / 4, r->swap_kb / 4,
					 r->pgtables_kb * 1024, r->v_adj, r->totalpages, &ok);
		r->has_points = true;
		r->src_points = SRC_COMPUTED;
	}
	if (p->badness_lost)
		oom_report_note(r, "oom_badness events were dropped: fentry candidates discarded");
	if (p->nbadness) {
		for (i = 0; i < p->nbadness; i++) {
			const struct oom_event *b = &p->badness[i];
			struct oom_cand *c, *n = realloc(r->cand, (r->ncand + 1) * sizeof(*n));

			if (!n)
				break;
			r->cand = n;
			c = &r->cand[r->ncand++];
			memset(c, 0, sizeof(*c));
			c->pid = b->pid;
			c->uid = b->uid;
			snprintf(c->comm, sizeof(c->comm), "%.*s", OOM_COMM_LEN, b->comm);
			c->rss_kb = (b->anon_pages + b->file_pages + b->shmem_pages) * 4;
			c->swap_kb = b->swap_ents * 4;
			c->pgtables_kb = b->pgtables_bytes / 1024;
			c->oom_score_adj = b->oom_score_adj;
			/* LONG_MIN: oom_badness() found it unkillable */
			c->eligible = b->points != (__s64)(1ULL << 63);
			c->points = b->points;
			c->victim = c->pid == r->v_pid;
		}
		r->src_cand = SRC_FENTRY;
	} else if (k && k->tasks_done && k->ntasks) {
		oom_cands_from_kmsg(r, k);
		r->src_cand = SRC_KMSG;
	} else {
		oom_cands_from_proc(r, p->snap, p->nsnap,
				    r->memcg_domain && r->memcg[0] ? r->memcg : NULL);
		r->src_cand = SRC_PROC;
		if (!k)
			oom_report_note(r, "%s: candidates read from /proc after the kill",
					!st->kmsg_read ? "kmsg not read"
						       : "no kernel OOM report matched (rate-limited or lost)");
		else if (!k->has_tasks)
			oom_report_note(r, "kernel report has no task table%s: candidates read "
					   "from /proc after the kill",
					st->dump_tasks ? "" : " (vm.oom_dump_tasks=0)");
		else
			oom_report_note(r, "kernel task table incomplete (%s): candidates read from "
					   "/proc after the kill",
					k->gap ? "kmsg records lost" : "report cut short");
		if (r->memcg_domain && !r->memcg[0])
			oom_report_note(r, "OOM memcg unknown: /proc candidates are the whole machine's");
	}
	oom_cands_ensure_victim(r);
	oom_report_rank(r);
	for (i = 0; i < r->ncand && !r->has_points; i++) {
		if (r->cand[i].victim && r->cand[i].eligible) {
			r->v_points = r->cand[i].points;
			r->has_points = true;
			r->src_points = SRC_COMPUTED;
		}
	}
}

static void fill_reap(struct oom_pending *p, struct oom_report *r, const struct kmsg_report *k)
{
	unsigned long long inv = p->ev.ts_ns, done = 0;

	if (p->has_invoke) {
		inv = p->invoke.ts_ns;
	} else if (k && k->has_header && k->has_kill && k->kill_ts_us >= k->header_ts_us) {
		/* kmsg and BPF clocks differ; their intervals do not */
		inv = p->ev.ts_ns - (k->kill_ts_us - k->header_ts_us) * 1000;
	}
	if (p->reaped && (!p->exited || p->reap_ns <= p->exit_ns)) {
		done = p->reap_ns;
		r->reaped_by = "oom_reaper";
	} else if (p->exited) {
		done = p->exit_ns;
		r->reaped_by = "exit";
	}
	if (done && done >= inv) {
		r->has_reap = true;
		r->reap_s = (done - inv) / 1e9;
	}
}

void oom_join(const struct oom_join_env *st, struct oom_pending *p, const struct kmsg_report *k,
	      struct oom_report *r)
{
	fill_victim(st, p, r, k);
	fill_trigger(st, p, r, k);
	fill_domain(st, p, r, k);
	fill_candidates(st, p, r, k);
	fill_reap(p, r, k);
	if (k && k->gap)
		oom_report_note(r, "kmsg records were lost inside the kernel report");
	if (k && !k->complete && !k->gap)
		oom_report_note(r, "kernel report partial (%s%s%s)", k->has_header ? "" : "no header ",
				k->has_constraint ? "" : "no constraint line ",
				k->has_kill ? "" : "no kill line");
}

void oom_pending_free(struct oom_pending *p)
{
	oom_rank_free(p->snap);
	free(p->badness);
	memset(p, 0, sizeof(*p));
}
