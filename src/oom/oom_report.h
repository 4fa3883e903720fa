/* One OOM kill as memleakbpf reports it: filled from the BPF events, the
 * kernel's kmsg report and /proc, printed as text or JSON from the same
 * struct.  Every group of fields records where it came from. */
#ifndef MEMLEAKBPF_OOM_REPORT_H
#define MEMLEAKBPF_OOM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#define OOM_PATH_LEN 256
#define OOM_NAME_LEN 64
#define OOM_FRAME_LEN 128
#define OOM_MAX_FRAMES 64
#define OOM_MAX_NOTES 8

enum oom_source {
	SRC_NONE = 0,	/* unknown: printed as null */
	SRC_BPF,	/* tracepoint, at the kill */
	SRC_FENTRY,	/* fentry/fexit on the OOM killer's own functions */
	SRC_KMSG,	/* the kernel's OOM report on /dev/kmsg */
	SRC_PROC,	/* /proc after the kill */
	SRC_CGROUPFS,	/* memcg id resolved in the mounted hierarchy */
	SRC_COMPUTED,	/* oom_badness() recomputed from the other fields */
	SRC_INFERRED,	/* deduced (memcg at its limit => CONSTRAINT_MEMCG) */
};

const char *oom_source_name(enum oom_source s);

struct oom_cand {
	int pid;
	unsigned int uid;
	char comm[OOM_NAME_LEN];
	unsigned long long rss_kb, swap_kb, pgtables_kb;
	int oom_score_adj;
	long long points;
	bool eligible;		/* false: oom_score_adj -1000, never picked */
	bool victim;
};

struct oom_report {
	unsigned long long ts_ns;	/* mark_victim, CLOCK_MONOTONIC */
	long long timestamp;		/* epoch seconds the kill was seen */
	bool final;			/* no report follows in this run */
	unsigned long long dropped;	/* events lost so far (ring buffer full) */

	/* victim */
	int v_pid;
	unsigned int v_uid;
	char v_comm[OOM_NAME_LEN];
	char v_memcg[OOM_PATH_LEN];	/* victim's own memcg; "" unknown */
	unsigned long long total_vm_kb, anon_kb, file_kb, shmem_kb, pgtables_kb, swap_kb;
	int v_adj;
	bool has_victim_mem;
	bool has_points;
	long long v_points;
	enum oom_source src_victim, src_v_memcg, src_points;

	/* trigger */
	bool has_trigger;
	int t_pid;
	char t_comm[OOM_NAME_LEN];
	bool has_gfp;
	unsigned int gfp_mask;
	char gfp_text[128];
	int order;
	int nstack;
	char stack[OOM_MAX_FRAMES][OOM_FRAME_LEN];
	enum oom_source src_trigger, src_gfp, src_stack;

	/* domain */
	char constraint[32];		/* "" unknown */
	enum oom_source src_constraint;
	bool memcg_domain;
	char memcg[OOM_PATH_LEN];	/* the OOM domain's memcg; "" unknown */
	enum oom_source src_memcg;
	bool has_limit;
	unsigned long long limit_kb, usage_kb;
	enum oom_source src_limit;
	unsigned long long totalpages;	/* oom_badness() denominator; 0 unknown */

	/* candidates, ranked */
	int ncand;
	struct oom_cand *cand;
	enum oom_source src_cand;

	/* invocation -> memory freed */
	bool has_reap;
	double reap_s;
	const char *reaped_by;		/* "oom_reaper" or "exit" */

	int nnotes;
	char notes[OOM_MAX_NOTES][200];
};

void oom_report_note(struct oom_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Kill order: points descending, ineligible last; the real victim first
 * among equal points (the kernel keeps the LAST scanned of equal points:
 * oom_evaluate_task() skips only `points < chosen_points`; its scan order
 * is not visible from userspace). */
void oom_report_rank(struct oom_report *r);
/* oom_badness() in pages; `eligible` false for adj -1000. */
long long oom_points(unsigned long long rss_pages, unsigned long long swap_pages,
		     unsigned long long pgtables_bytes, int adj,
		     unsigned long long totalpages, bool *eligible);
void oom_report_print_text(FILE *out, const struct oom_report *r);
void oom_report_print_json(FILE *out, const struct oom_report *r);
void oom_report_free(struct oom_report *r);

/* `memleakbpf serve` (oom_metrics.c): kills counted per (victim comm,
 * victim memcg), and the last one. */
struct oom_tally_kill {
	char victim[OOM_NAME_LEN];
	char memcg[OOM_PATH_LEN];
	unsigned long long kills;
};

struct oom_tally {
	struct oom_tally_kill *v;
	size_t n;
	bool has_last;
	struct oom_report last;	/* without its candidates */
};

int oom_tally_add(struct oom_tally *t, const struct oom_report *r);
void oom_tally_free(struct oom_tally *t);
struct metrics;
/* The tally's families, the counter bounded to `top` label sets. */
void oom_metrics(const struct oom_tally *t, unsigned int top, struct metrics *m);

#endif
