/* The candidates of one OOM kill: every task of the OOM domain with its
 * memory, oom_score_adj and oom_badness() points.  From the kernel's task
 * table when kmsg had it whole; else from /proc at the event (the victim's
 * own row then comes from BPF, since it is dying or gone). */
#ifndef MEMLEAKBPF_OOM_CANDIDATES_H
#define MEMLEAKBPF_OOM_CANDIDATES_H

#include <stddef.h>

#include "oom/oom_kmsg.h"
#include "procfs/oom_rank.h"
#include "oom/oom_report.h"

/* r->totalpages, r->v_pid must be set.  0 or -ENOMEM. */
int oom_cands_from_kmsg(struct oom_report *r, const struct kmsg_report *k);
/* Tasks of `snap` inside memcg `domain` (NULL: the whole machine). */
int oom_cands_from_proc(struct oom_report *r, const struct oom_rank *snap, size_t n,
			const char *domain);
/* Adds the victim from the report's own (BPF) fields if no row has it. */
int oom_cands_ensure_victim(struct oom_report *r);

#endif
