// SPDX-License-Identifier: GPL-2.0
/* memleakbpf oom: the OOM killer's victim, its trigger and their memcgs.
 * Tracepoints (tp_btf) everywhere; where fentry loads, out_of_memory,
 * oom_badness and oom_kill_process add the oom_control and every
 * candidate's points straight from the kernel. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "oom.h"

char LICENSE[] SEC("license") = "GPL";

/* Anonymous enum in the kernel (no CO-RE name); stable since 4.5. */
#define MMC_FILE 0
#define MMC_ANON 1
#define MMC_SWAP 2
#define MMC_SHMEM 3

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, OOM_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, 1024);
} stacks SEC(".maps");

/* Victims by tid: only their reaping and exit are reported. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} victims SEC(".maps");

/* fentry path: tids inside out_of_memory, so oom_badness calls made for
 * /proc/PID/oom_score are not taken for candidates. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} in_oom SEC(".maps");

/* Ring buffer reservations that failed: reported by userspace. */
__u64 drops = 0;
/* Victims not yet exited: lets every other task's exit return at once. */
__s64 live_victims = 0;

static __always_inline struct oom_event *event_new(__u32 kind)
{
	struct oom_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&drops, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ts_ns = bpf_ktime_get_ns();
	return e;
}

static __always_inline void fill_task(struct oom_event *e, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);

	e->pid = BPF_CORE_READ(t, tgid);
	e->tid = BPF_CORE_READ(t, pid);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), &t->comm);
	e->oom_score_adj = BPF_CORE_READ(t, signal, oom_score_adj);
	if (!mm)
		return;
	e->has_mm = 1;
	e->total_vm = BPF_CORE_READ(mm, total_vm);
	e->file_pages = mm_counter_read(mm, MMC_FILE);
	e->anon_pages = mm_counter_read(mm, MMC_ANON);
	e->swap_ents = mm_counter_read(mm, MMC_SWAP);
	e->shmem_pages = mm_counter_read(mm, MMC_SHMEM);
	e->pgtables_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
}

static __always_inline void fill_trigger(struct oom_event *e, void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->trigger_pid = id >> 32;
	e->trigger_tid = (__u32)id;
	bpf_get_current_comm(e->trigger_comm, sizeof(e->trigger_comm));
	e->kstack_id = bpf_get_stackid(ctx, &stacks, 0);
}

static __always_inline void fill_memcg_level(struct oom_memcg_level *l,
					     struct cgroup_subsys_state *css)
{
	struct mem_cgroup *memcg = container_of(css, struct mem_cgroup, css);
	const char *name;

	l->id = BPF_CORE_READ(css, cgroup, kn, id);
	l->usage_pages = BPF_CORE_READ(memcg, memory.usage.counter);
	l->max_pages = BPF_CORE_READ(memcg, memory.max);
	l->swap_max_pages = BPF_CORE_READ(memcg, swap.max);
	name = BPF_CORE_READ(css, cgroup, kn, name);
	bpf_probe_read_kernel_str(l->name, sizeof(l->name), name);
}

/* The victim's memcg and its ancestors: the OOM domain is one of them. */
static __always_inline void fill_memcgs(struct oom_event *e, struct task_struct *t)
{
	int idx = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cset = BPF_CORE_READ(t, cgroups);
	int i;

	if (!cset || idx < 0 || idx >= CGROUP_SUBSYS_COUNT)
		return;
	bpf_core_read(&css, sizeof(css), &cset->subsys[idx]);
	for (i = 0; i < OOM_MEMCG_LEVELS && css; i++) {
		fill_memcg_level(&e->memcg[i], css);
		e->memcg_levels = i + 1;
		css = BPF_CORE_READ(css, parent);
	}
}

/* Remember a victim until it exits.  The value goes through the stack:
 * 6.1's verifier refuses ring-buffer memory as a map helper's argument
 * ("reg type unsupported for arg#0"), which sank the whole object there. */
static __always_inline bool mark_live_victim(__u32 tid, __u64 ts_ns)
{
	return bpf_map_update_elem(&victims, &tid, &ts_ns, BPF_NOEXIST) == 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim, struct task_struct *tsk, uid_t uid)
{
	struct oom_event *e = event_new(OOM_EV_VICTIM);
	__u32 tid;

	if (!e)
		return 0;
	fill_task(e, tsk);
	e->has_task = 1;
	e->uid = uid;
	/* mark_victim runs in the task that invoked the OOM killer */
	fill_trigger(e, ctx);
	fill_memcgs(e, tsk);
	tid = e->tid;
	if (mark_live_victim(tid, e->ts_ns))
		__sync_fetch_and_add(&live_victims, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Until the 2024 change that passed the task and uid, mark_victim's
 * prototype was (int pid) (4.13 and later): userspace picks this program
 * when vmlinux BTF says so, and takes the victim's details from kmsg and
 * /proc. */
SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim_pid, int pid)
{
	struct oom_event *e = event_new(OOM_EV_VICTIM);
	__u32 tid = pid;

	if (!e)
		return 0;
	e->pid = e->tid = pid;
	fill_trigger(e, ctx);
	if (mark_live_victim(tid, e->ts_ns))
		__sync_fetch_and_add(&live_victims, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int reap_event(__u32 kind, int pid)
{
	__u32 tid = pid;
	struct oom_event *e;

	if (!bpf_map_lookup_elem(&victims, &tid))
		return 0;
	e = event_new(kind);
	if (!e)
		return 0;
	e->tid = tid;
	e->pid = tid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/start_task_reaping")
int BPF_PROG(start_reaping, int pid)
{
	return reap_event(OOM_EV_REAP_START, pid);
}

SEC("tp_btf/finish_task_reaping")
int BPF_PROG(finish_reaping, int pid)
{
	return reap_event(OOM_EV_REAP_FINISH, pid);
}

SEC("tp_btf/skip_task_reaping")
int BPF_PROG(skip_reaping, int pid)
{
	return reap_event(OOM_EV_REAP_SKIP, pid);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(victim_exit, struct task_struct *p)
{
	__u32 tid;
	struct oom_event *e;

	if (live_victims <= 0)
		return 0;
	tid = BPF_CORE_READ(p, pid);
	if (!bpf_map_lookup_elem(&victims, &tid))
		return 0;
	if (bpf_map_delete_elem(&victims, &tid) == 0)
		__sync_fetch_and_add(&live_victims, -1);
	e = event_new(OOM_EV_EXIT);
	if (!e)
		return 0;
	e->tid = tid;
	e->pid = BPF_CORE_READ(p, tgid);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---- fentry path (autoload only where probe_fentry() succeeds) ---- */

static __always_inline void fill_oc(struct oom_event *e, struct oom_control *oc)
{
	struct mem_cgroup *memcg = BPF_CORE_READ(oc, memcg);

	e->gfp_mask = BPF_CORE_READ(oc, gfp_mask);
	e->order = BPF_CORE_READ(oc, order);
	e->totalpages = BPF_CORE_READ(oc, totalpages);
	e->constraint = BPF_CORE_READ(oc, constraint);
	e->points = BPF_CORE_READ(oc, chosen_points);
	if (memcg) {
		e->has_memcg_oc = 1;
		e->oc_memcg_id = BPF_CORE_READ(memcg, css.cgroup, kn, id);
	}
}

SEC("fentry/out_of_memory")
int BPF_PROG(oom_enter, struct oom_control *oc)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();
	struct oom_event *e;

	bpf_map_update_elem(&in_oom, &tid, &now, BPF_ANY);
	e = event_new(OOM_EV_INVOKE);
	if (!e)
		return 0;
	fill_oc(e, oc);
	fill_trigger(e, ctx);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fexit/out_of_memory")
int BPF_PROG(oom_exit, struct oom_control *oc, bool ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&in_oom, &tid);
	return 0;
}

SEC("fexit/oom_badness")
int BPF_PROG(badness_exit, struct task_struct *p, unsigned long totalpages, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct oom_event *e;

	if (!bpf_map_lookup_elem(&in_oom, &tid))
		return 0;
	e = event_new(OOM_EV_BADNESS);
	if (!e)
		return 0;
	fill_task(e, p);
	e->uid = BPF_CORE_READ(p, cred, uid.val);
	e->totalpages = totalpages;
	e->points = ret;
	e->trigger_tid = tid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fentry/oom_kill_process")
int BPF_PROG(kill_enter, struct oom_control *oc, const char *message)
{
	struct task_struct *chosen = BPF_CORE_READ(oc, chosen);
	struct oom_event *e = event_new(OOM_EV_KILL);

	if (!e)
		return 0;
	fill_oc(e, oc);
	if (chosen) {
		e->pid = BPF_CORE_READ(chosen, tgid);
		e->tid = BPF_CORE_READ(chosen, pid);
	}
	e->trigger_tid = (__u32)bpf_get_current_pid_tgid();
	bpf_ringbuf_submit(e, 0);
	return 0;
}
