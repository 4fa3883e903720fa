/* memleakbpf oom: records shared by bpf/oom.bpf.c and src/oom*.c. */
#ifndef MEMLEAKBPF_OOM_H
#define MEMLEAKBPF_OOM_H

#define OOM_COMM_LEN 16
#define OOM_CGNAME_LEN 64
/* Ancestors of the victim's memcg recorded at the kill: the OOM domain may
 * be any of them (a parent at its limit kills in a child). */
#define OOM_MEMCG_LEVELS 8
#define OOM_STACK_DEPTH 64

enum oom_event_kind {
	OOM_EV_VICTIM = 1,	/* oom:mark_victim: victim + trigger (current) */
	OOM_EV_REAP_START,	/* oom:start_task_reaping */
	OOM_EV_REAP_FINISH,	/* oom:finish_task_reaping */
	OOM_EV_REAP_SKIP,	/* oom:skip_task_reaping */
	OOM_EV_EXIT,		/* sched:sched_process_exit of a victim */
	OOM_EV_INVOKE,		/* fentry out_of_memory: the oom_control */
	OOM_EV_BADNESS,		/* fexit oom_badness inside out_of_memory */
	OOM_EV_KILL,		/* fentry oom_kill_process: the final choice */
};

struct oom_memcg_level {
	__u64 id;		/* kernfs node id = inode in cgroupfs */
	__u64 usage_pages;
	__u64 max_pages;
	__u64 swap_max_pages;	/* memsw.max on v1, swap.max on v2 */
	char name[OOM_CGNAME_LEN];
};

struct oom_event {
	__u32 kind;
	__u32 pid;		/* subject's tgid */
	__u32 tid;
	__u32 uid;
	__u64 ts_ns;		/* bpf_ktime_get_ns */
	char comm[OOM_COMM_LEN];
	/* subject's mm, in pages (pgtables in bytes) */
	__u64 total_vm;
	__u64 file_pages;
	__u64 anon_pages;
	__u64 shmem_pages;
	__u64 swap_ents;
	__u64 pgtables_bytes;
	__s32 oom_score_adj;
	__u32 has_mm;
	/* the task that ran the OOM killer (current) */
	__u32 trigger_pid;
	__u32 trigger_tid;
	char trigger_comm[OOM_COMM_LEN];
	__s32 kstack_id;	/* <0: -errno from bpf_get_stackid */
	__u32 memcg_levels;	/* filled entries of memcg[], victim's first */
	__u32 has_task;		/* 0: old mark_victim(int pid): only the pid */
	__u32 pad;
	struct oom_memcg_level memcg[OOM_MEMCG_LEVELS];
	/* fentry only */
	__u32 gfp_mask;
	__s32 order;
	__u32 constraint;	/* enum oom_constraint */
	__u32 has_memcg_oc;	/* oc->memcg set (memcg OOM) */
	__u64 oc_memcg_id;
	__u64 totalpages;
	__s64 points;		/* oom_badness / chosen_points */
};

#endif
