/* Parser of the kernel's OOM report as read from /dev/kmsg: header
 * (trigger, gfp_mask, order), dump_stack's PID line and Call Trace, memcg
 * usage/limit, the task table, the oom-kill: constraint line and the
 * "Killed process" line.  Lines from other sources may interleave, records
 * may be lost (seq gaps, EPIPE) and reports may be cut short: whatever was
 * seen is kept, and `gap`/`complete` say how much to trust it. */
#ifndef MEMLEAKBPF_OOM_KMSG_H
#define MEMLEAKBPF_OOM_KMSG_H

#include <stdbool.h>
#include <stddef.h>

#define KMSG_COMM_LEN 64
#define KMSG_PATH_LEN 256
#define KMSG_STACK_MAX 64
#define KMSG_SYM_LEN 96

struct kmsg_task {
	int pid, uid, tgid;
	unsigned long long total_vm, rss, rss_anon, rss_file, rss_shmem; /* pages */
	unsigned long long pgtables_bytes, swapents;
	bool has_rss_split;	/* rss_anon/file/shmem columns (6.8+) */
	int oom_score_adj;
	char name[KMSG_COMM_LEN];
};

struct kmsg_report {
	unsigned long long first_seq, last_seq;
	unsigned long long header_ts_us, kill_ts_us;

	bool has_header;	/* "X invoked oom-killer: gfp_mask=..." */
	char trigger_comm[KMSG_COMM_LEN];
	unsigned int gfp_mask;
	char gfp_text[128];	/* "GFP_KERNEL" from %pGg */
	int order;
	int trigger_adj;

	bool has_trigger_pid;	/* dump_stack's "CPU: N UID: U PID: P Comm: C" */
	int trigger_pid;

	int nstack;		/* reliable Call Trace frames, innermost first */
	char stack[KMSG_STACK_MAX][KMSG_SYM_LEN];

	bool has_memcg_usage;	/* "memory: usage NkB, limit NkB, failcnt N" */
	unsigned long long memcg_usage_kb, memcg_limit_kb;
	char stats_memcg[KMSG_PATH_LEN]; /* "Memory cgroup stats for /x:" */

	bool has_meminfo;	/* global OOMs: show_mem's totals */
	unsigned long long ram_pages, swap_total_kb, swap_free_kb;

	bool has_tasks;		/* the "Tasks state" table header was seen */
	bool tasks_done;	/* ended by the constraint line, no gap inside */
	int ntasks, cap_tasks;
	struct kmsg_task *tasks;

	bool has_constraint;	/* "oom-kill:constraint=..." */
	char constraint[32];
	char cpuset[KMSG_PATH_LEN];
	char oom_memcg[KMSG_PATH_LEN]; /* empty for global_oom */
	char task_memcg[KMSG_PATH_LEN];
	bool global_oom;
	int victim_pid, victim_uid;
	char victim_comm[KMSG_COMM_LEN];

	bool has_kill;		/* "<message>: Killed process P (C) total-vm:..." */
	char kill_message[64];
	int kill_pid;
	char kill_comm[KMSG_COMM_LEN];
	unsigned long long total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb, pgtables_kb;
	unsigned int kill_uid;
	int kill_adj;

	bool gap;		/* records were lost while this report was open */
	bool complete;		/* header through kill line, no gap */
};

struct kmsg_parser {
	struct kmsg_report cur;
	bool active;		/* cur holds an open report */
	bool in_stack;		/* between "Call Trace:" and </TASK> */
	bool have_seq;
	unsigned long long last_seq;
	unsigned long long lost;	/* records lost (seq gaps and overruns) */
	unsigned long long records;
	int tasks_cols[16];	/* column kinds of the current task table */
	int ncols;
	/* finished reports, oldest first */
	struct kmsg_report *done;
	int ndone, cap_done;
};

void kmsg_parser_init(struct kmsg_parser *p);
void kmsg_parser_free(struct kmsg_parser *p);
void kmsg_report_free(struct kmsg_report *r);
/* One /dev/kmsg record: "PRI,SEQ,TS_US,FLAGS[,..];text" (dictionary lines
 * after the first newline are ignored).  Malformed records are skipped. */
void kmsg_feed_record(struct kmsg_parser *p, const char *rec, size_t len);
/* read() said EPIPE: the ring buffer overwrote records we had not read. */
void kmsg_overrun(struct kmsg_parser *p);
/* Close an open report as it stands (end of input, or it went stale). */
void kmsg_flush(struct kmsg_parser *p);
/* Move out the finished report for this victim (matched by the kill or
 * constraint line's pid, else by trigger pid).  The caller frees it. */
bool kmsg_take(struct kmsg_parser *p, int victim_pid, int trigger_pid,
	       struct kmsg_report *out);
/* Drop finished reports older than the newest `keep`. */
void kmsg_trim(struct kmsg_parser *p, int keep);

#endif
