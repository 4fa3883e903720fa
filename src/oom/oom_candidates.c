/* Candidates of one OOM kill (see oom_candidates.h). */
#include "oom/oom_candidates.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oom/oom_memcg.h"

static struct oom_cand *cand_add(struct oom_report *r)
{
	struct oom_cand *n = realloc(r->cand, (r->ncand + 1) * sizeof(*n));

	if (!n)
		return NULL;
	r->cand = n;
	n = &r->cand[r->ncand++];
	memset(n, 0, sizeof(*n));
	return n;
}

int oom_cands_from_kmsg(struct oom_report *r, const struct kmsg_report *k)
{
	int i;

	for (i = 0; i < k->ntasks; i++) {
		const struct kmsg_task *t = &k->tasks[i];
		struct oom_cand *c = cand_add(r);

		if (!c)
			return -ENOMEM;
		/* The table's pid is the thread holding the mm; tgid names
		 * the process, as mark_victim's does. */
		c->pid = t->tgid ? t->tgid : t->pid;
		c->uid = t->uid;
		snprintf(c->comm, sizeof(c->comm), "%s", t->name);
		c->rss_kb = t->rss * 4;
		c->swap_kb = t->swapents * 4;
		c->pgtables_kb = t->pgtables_bytes / 1024;
		c->oom_score_adj = t->oom_score_adj;
		c->points = oom_points(t->rss, t->swapents, t->pgtables_bytes, t->oom_score_adj,
				       r->totalpages, &c->eligible);
		c->victim = c->pid == r->v_pid || t->pid == r->v_pid;
	}
	return 0;
}

int oom_cands_from_proc(struct oom_report *r, const struct oom_rank *snap, size_t n,
			const char *domain)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct oom_rank *t = &snap[i];
		struct oom_cand *c;

		/* kernel threads, zombies and init are never candidates; a
		 * process with adj -1000 is listed as such, never picked */
		if (t->proc.pid == 1 || (!t->killable && (t->oom_score_adj != -1000 || !t->proc.rss)))
			continue;
		if (domain && (!t->cgroup[0] || !memcg_within(t->cgroup, domain)))
			continue;
		c = cand_add(r);
		if (!c)
			return -ENOMEM;
		c->pid = t->proc.pid;
		c->uid = t->proc.uid;
		snprintf(c->comm, sizeof(c->comm), "%s", t->proc.comm);
		c->rss_kb = t->proc.rss / 1024;
		c->swap_kb = t->proc.swap / 1024;
		c->pgtables_kb = t->proc.pgtables / 1024;
		c->oom_score_adj = t->oom_score_adj;
		c->points = oom_points(t->proc.rss / 4096, t->proc.swap / 4096, t->proc.pgtables,
				       t->oom_score_adj, r->totalpages, &c->eligible);
		c->victim = c->pid == r->v_pid;
	}
	return 0;
}

int oom_cands_ensure_victim(struct oom_report *r)
{
	struct oom_cand *c;
	int i;

	for (i = 0; i < r->ncand; i++) {
		if (r->cand[i].pid != r->v_pid)
			continue;
		/* /proc read the victim mid-exit: the kill-time numbers win */
		if (r->has_victim_mem && r->src_cand == SRC_PROC) {
			r->cand[i].rss_kb = r->anon_kb + r->file_kb + r->shmem_kb;
			r->cand[i].swap_kb = r->swap_kb;
			r->cand[i].pgtables_kb = r->pgtables_kb;
			r->cand[i].oom_score_adj = r->v_adj;
			r->cand[i].points = r->v_points;
			r->cand[i].eligible = true;
		}
		r->cand[i].victim = true;
		return 0;
	}
	if (!r->has_victim_mem)
		return 0;
	c = cand_add(r);
	if (!c)
		return -ENOMEM;
	c->pid = r->v_pid;
	c->uid = r->v_uid;
	snprintf(c->comm, sizeof(c->comm), "%s", r->v_comm);
	c->rss_kb = r->anon_kb + r->file_kb + r->shmem_kb;
	c->swap_kb = r->swap_kb;
	c->pgtables_kb = r->pgtables_kb;
	c->oom_score_adj = r->v_adj;
	c->points = r->v_points;
	c->eligible = true;
	c->victim = true;
	return 0;
}
