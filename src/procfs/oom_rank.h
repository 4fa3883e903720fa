/* The OOM killer's choice, predicted from /proc: which process the kernel
 * would kill now, then next, and so on.  Shared by `why` and `oom --rank`.
 *
 * The kernel's global OOM (mm/oom_kill.c, oom_badness()) scores each
 * killable process as
 *     rss pages (anon + file + shmem) + swap entries + page-table bytes / PAGE_SIZE
 *     + oom_score_adj * totalpages / 1000
 * with totalpages = RAM pages + swap pages, and picks the highest score.
 * Not killable: pid 1, kernel threads, processes without an mm (zombies)
 * and oom_score_adj == -1000.  On equal scores the task scanned LAST wins
 * (oom_evaluate_task() skips only `points < chosen_points`), and the scan
 * walks the task list in creation order: the younger process goes first.
 * /proc/PID/oom_score is the same badness scaled to 0..2000 and rounded,
 * so it ties far more often than the real score: the rank is computed from
 * the status counters, and oom_score is reported next to it.
 *
 * A memcg OOM only considers the cgroup's tasks and uses the cgroup limit as
 * totalpages: filter by `cgroup` and call oom_rank_sort() with that limit.
 *
 * Usage:
 *	struct oom_rank *r; size_t n;
 *	if (oom_rank_collect(&r, &n) == 0) {
 *		for (i = 0; i < n && r[i].killable; i++) ...r[i].proc.pid...
 *		oom_rank_free(r);
 *	}
 */
#ifndef MEMLEAKBPF_OOM_RANK_H
#define MEMLEAKBPF_OOM_RANK_H

#include <stdbool.h>
#include <stddef.h>

#include "procfs/procfs.h"

struct oom_rank {
	struct proc_record proc; /* pid, comm, rss, swap, pgtables, start_time
				  * (ticks after boot: the tie-break) */
	bool killable;		/* false: never picked (listed last) */
	long long badness;	/* oom_badness() in pages, adj included */
	int oom_score;		/* /proc/PID/oom_score, -1 when unreadable */
	int oom_score_adj;	/* /proc/PID/oom_score_adj (0 when unreadable) */
	char cgroup[256];	/* memory cgroup: the v1 "memory" line, else the
				 * v2 "0::" line; "" when unknown */
};

/* Reads every process under /proc, ranked: out[0] is the next OOM victim.
 * Processes that vanish while reading are skipped.  Returns 0 or -errno
 * (-ENOENT: /proc not mounted); free with oom_rank_free(). */
int oom_rank_collect(struct oom_rank **out, size_t *n);
/* Same on another proc root (tests use a fixture tree). */
int oom_rank_collect_at(const char *proc_root, struct oom_rank **out, size_t *n);

/* Recomputes badness for `totalpages` (pages) and sorts into kill order:
 * killable first by badness descending, ties to the younger process. */
void oom_rank_sort(struct oom_rank *v, size_t n, unsigned long long totalpages,
		   unsigned long page_size);

void oom_rank_free(struct oom_rank *v);

#endif
