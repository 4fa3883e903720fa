/* Joins one OOM kill's sources into a struct oom_report: the BPF events
 * (victim, trigger, memcgs; fentry's oom_control and candidates where it
 * loads), the kernel's kmsg report when one matched, and the /proc snapshot
 * taken when the event arrived.  Each field takes the best source present
 * and records which one it was. */
#ifndef MEMLEAKBPF_OOM_JOIN_H
#define MEMLEAKBPF_OOM_JOIN_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "oom.h"
#include "oom/oom_kmsg.h"
#include "procfs/oom_rank.h"
#include "oom/oom_report.h"

/* One kill waiting for its kmsg report and its reaping. */
struct oom_pending {
	struct oom_event ev;
	unsigned long long recv_ns;
	long long timestamp;	/* epoch seconds at receipt */
	char paths[OOM_MEMCG_LEVELS][OOM_PATH_LEN]; /* resolved at receipt */
	bool v2;
	struct oom_rank *snap;
	size_t nsnap;
	bool exited, reaped, reap_skipped;
	unsigned long long exit_ns, reap_ns;
	/* fentry path */
	bool has_invoke, has_kill;
	struct oom_event invoke, kill;
	struct oom_event *badness;
	int nbadness;
	bool badness_lost;	/* some oom_badness events were dropped */
};

struct oom_join_env {
	unsigned long long totalram_pages, total_swap_pages;
	bool dump_tasks;	/* vm.oom_dump_tasks at start */
	bool kmsg_read;		/* /dev/kmsg is being read */
};

/* Fills `r` (zeroed by the caller; r->stack may already hold the BPF
 * stack) from `p` and the matched kmsg report `k` (NULL if none). */
void oom_join(const struct oom_join_env *st, struct oom_pending *p, const struct kmsg_report *k,
	      struct oom_report *r);
void oom_pending_free(struct oom_pending *p);

#endif
