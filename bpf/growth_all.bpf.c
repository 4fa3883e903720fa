// SPDX-License-Identifier: GPL-2.0
/* memleakbpf growth -a: resident memory growth of every process, per user
 * stack, machine-wide.
 *
 * growth -p (bpf/memleak.bpf.c) follows one process with its own .eh_frame
 * unwinder, whose tables are loaded per process: that does not scale to
 * every process of a machine.  Here one object follows them all, with
 * frame-pointer stacks from the kernel's stack map; the pages a process
 * writes for the first time (user write faults) are keyed by (tgid, page)
 * and counted per (tgid, generation, stack) until given back (munmap,
 * MADV_DONTNEED/REMOVE, a shrinking brk or mremap, a fixed mapping over
 * them).  Exec and exit start a new generation of the process: the pages
 * of the old one are no longer counted, and userspace sweeps them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "growth.h"

char LICENSE[] SEC("license") = "GPL";

#define MAP_FIXED 0x10
#define MREMAP_DONTUNMAP 4
#define MADV_DONTNEED 4
#define MADV_REMOVE 9
#define MADV_DONTNEED_LOCKED 24
#define X86_PF_WRITE 2
#define MAX_ERRNO 4095
/* A range given back is walked page by page up to this many pages (4 GiB),
 * and by a walk of the page table beyond. */
#define WALK_MAX_PAGES (1U << 20)

const volatile __u32 self_tgid = 0;
const volatile __u64 page_size = 4096;
/* scripts/bench-growth's floor: the same hooks, each returning at once. */
const volatile bool empty_progs = false;

/* Sized from --max-pages and --max-stacks by userspace before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 20);
	__type(key, struct ga_page_key);
	__type(value, struct ga_page);
} pages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct ga_count_key);
	__type(value, __s64);
} counts SEC(".maps");

/* Keyed by a hash of the frames, not a BPF_MAP_TYPE_STACK_TRACE: its
 * buckets refuse a stack whose bucket another owns (-EEXIST), which on a
 * whole machine's stacks lost pages in every run (doc/kernel-notes.md,
 * kernel stacks). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, struct ga_stack_rec);
} stacks SEC(".maps");

/* Where a walk lands before it is hashed (page faults do not nest on a
 * CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ga_stack_rec);
} scratch SEC(".maps");

/* Bounded: a process evicted from it starts again at generation 0, which
 * can only make a dead process's pages look live until the next sweep. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, __u32);
	__type(value, struct ga_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GA_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* A thread's syscall in flight (its arguments, for the exit). */
enum { SYS_NONE, SYS_MMAP, SYS_MUNMAP, SYS_MREMAP, SYS_BRK, SYS_MADVISE };

struct sys_slot {
	__u32 kind;
	__u32 pad;
	__u64 args[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sys_slot);
} sys_slots SEC(".maps");

static __always_inline void count(__u32 k, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &k);

	if (v)
		*v += n;
}

static __always_inline __u64 page_round(__u64 len)
{
	return (len + page_size - 1) & ~(page_size - 1);
}

static __always_inline __u32 gen_of(__u32 tgid)
{
	struct ga_proc *p = bpf_map_lookup_elem(&procs, &tgid);

	return p ? p->gen : 0;
}

static __always_inline void count_add(__u32 tgid, __u32 gen, __u64 stack, __s64 n)
{
	struct ga_count_key k = { .tgid = tgid, .gen = gen, .stack = stack };
	__s64 *v = bpf_map_lookup_elem(&counts, &k), one = n;

	if (v) {
		__sync_fetch_and_add(v, n);
		/* userspace pruned it meanwhile (idle two reports): lost */
		if (bpf_map_lookup_elem(&counts, &k) != v)
			count(GA_DROP_PRUNE_RACE, 1);
		return;
	}
	if (n < 0)
		return;
	if (bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST) == 0)
		return;
	/* another CPU made it first, or the table is full */
	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, n);
	else
		count(GA_DROP_COUNTS_FULL, 1);
}

/* The current user stack, stored under its hash; GA_STACK_LOST when it
 * cannot be (counted). */
static __always_inline __u64 user_stack(void *ctx)
{
	struct ga_stack_rec *buf, *old;
	__u64 h = STACK_HASH_SEED;
	__u32 zero = 0, i, n;
	long len;
	int err;	/* int: a 6.1 JIT-inlined update's error is in eax only */

	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf)
		return GA_STACK_LOST;
	/* the helper zeroes what it does not fill: frames end at a 0 */
	len = bpf_get_stack(ctx, buf->ips, sizeof(buf->ips), BPF_F_USER_STACK);
	if (len <= 0) {
		count(GA_DROP_STACKS, 1);
		return GA_STACK_LOST;
	}
	n = len / sizeof(__u64);
	for (i = 0; i < GA_STACK_DEPTH && i < n; i++)
		h = stack_hash_step(h, buf->ips[i]);
	h = stack_hash_final(h, n);
	if (h == GA_STACK_LOST)
		h = 1;
	old = bpf_map_lookup_elem(&stacks, &h);
	if (!old) {
		err = bpf_map_update_elem(&stacks, &h, buf, BPF_NOEXIST);
		if (err == -17) { /* EEXIST: another CPU stored it just now */
			old = bpf_map_lookup_elem(&stacks, &h);
		} else if (err) {
			count(GA_DROP_STACKS, 1);
			return GA_STACK_LOST;
		}
	}
	/* same hash, other frames: the first owner keeps its stack */
	if (old)
		for (i = 0; i < GA_STACK_DEPTH; i++) {
			if (old->ips[i] != buf->ips[i]) {
				count(GA_DROP_STACK_COLLISION, 1);
				return GA_STACK_LOST;
			}
			if (!buf->ips[i])
				break;
		}
	return h;
}

/* x86: exceptions:page_fault_user, before the fault is handled. */
struct page_fault_args {
	__u64 common;
	__u64 address;
	__u64 ip;
	__u64 error_code;
};

/* A write to a page of a process not yet seen in its generation: the page
 * becomes resident (or a private copy of the zero page or after fork).  A
 * read fault maps the zero page or page cache: no private memory. */
SEC("tracepoint/exceptions/page_fault_user")
int ga_fault(struct page_fault_args *ctx)
{
	struct ga_page_key k = {};
	struct ga_page v = { .npages = 1 }, *old;
	__u32 tgid;
	int err;

	if (empty_progs || !(ctx->error_code & X86_PF_WRITE))
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == self_tgid)
		return 0;
	k.tgid = tgid;
	k.page = ctx->address & ~(page_size - 1);
	v.gen = gen_of(tgid);
	old = bpf_map_lookup_elem(&pages, &k);
	if (old && old->gen == v.gen)
		return 0;
	v.stack = user_stack(ctx);
	/* an older generation's page at this address is replaced */
	err = bpf_map_update_elem(&pages, &k, &v, old ? BPF_ANY : BPF_NOEXIST);
	if (err) {
		if (err != -17) /* EEXIST: another thread's fault on it won */
			count(GA_DROP_PAGES_FULL, 1);
		return 0;
	}
	count(GA_PAGES_ADDED, 1);
	count_add(tgid, v.gen, v.stack, 1);
	return 0;
}

#define HPAGE_PMD_SIZE (2ULL << 20) /* x86_64 */
#define FAULT_FLAG_WRITE 1

/* A write fault that mapped a transparent huge page: the page ga_fault
 * recorded for it is 512 pages.  (fexit: no tracepoint says which size a
 * fault got; where it does not load a huge page counts one page, and -v
 * says so.) */
SEC("fexit/do_huge_pmd_anonymous_page")
int BPF_PROG(ga_huge_fault_exit, struct vm_fault *vmf, vm_fault_t ret)
{
	struct ga_page_key k = {}, hk;
	struct ga_page *p, copy;
	__u64 addr;

	if (empty_progs || ret || !(BPF_CORE_READ(vmf, flags) & FAULT_FLAG_WRITE))
		return 0;
	k.tgid = bpf_get_current_pid_tgid() >> 32;
	if (k.tgid == self_tgid)
		return 0;
	addr = BPF_CORE_READ(vmf, address);
	k.page = addr & ~(page_size - 1);
	hk = k;
	hk.page = addr & ~(HPAGE_PMD_SIZE - 1);
	p = bpf_map_lookup_elem(&pages, &k);
	if (!p || p->npages != 1 || p->gen != gen_of(k.tgid))
		return 0;
	copy = *p;
	copy.npages = HPAGE_PMD_SIZE / page_size;
	if (hk.page != k.page) {
		if (bpf_map_update_elem(&pages, &hk, &copy, BPF_NOEXIST))
			return 0;
		bpf_map_delete_elem(&pages, &k);
	} else {
		p->npages = copy.npages;
	}
	count_add(k.tgid, copy.gen, copy.stack, copy.npages - 1);
	count(GA_PAGES_ADDED, copy.npages - 1);
	return 0;
}

struct range_ctx {
	__u32 tgid, gen;
	__u64 start, end;
	__s64 delta;	/* mremap: new address - old; 0: a release */
};

static __always_inline void page_release(struct ga_page_key *k, __u32 gen)
{
	struct ga_page *p = bpf_map_lookup_elem(&pages, k);
	__u64 sid;
	__u32 pgen, n;

	if (!p)
		return;
	sid = p->stack;
	pgen = p->gen;
	n = p->npages;
	if (bpf_map_delete_elem(&pages, k) == 0 && pgen == gen) {
		count_add(k->tgid, gen, sid, -(__s64)n);
		count(GA_PAGES_RELEASED, n);
	}
}

static __always_inline void page_move(struct ga_page_key *k, struct range_ctx *c)
{
	struct ga_page *p = bpf_map_lookup_elem(&pages, k), copy;
	struct ga_page_key to = *k;

	if (!p)
		return;
	copy = *p;
	if (bpf_map_delete_elem(&pages, k))
		return;
	if (copy.gen != c->gen)
		return;
	to.page = k->page + c->delta;
	if (bpf_map_update_elem(&pages, &to, &copy, BPF_ANY)) {
		count_add(k->tgid, copy.gen, copy.stack, -(__s64)copy.npages);
		count(GA_DROP_PAGES_FULL, 1);
	}
}

static long range_step(__u32 i, struct range_ctx *c)
{
	struct ga_page_key k = { .tgid = c->tgid };

	k.page = c->start + (__u64)i * page_size;
	if (k.page >= c->end)
		return 1;
	if (c->delta)
		page_move(&k, c);
	else
		page_release(&k, c->gen);
	return 0;
}

static long range_scan(struct bpf_map *map, struct ga_page_key *k, struct ga_page *p,
		       struct range_ctx *c)
{
	struct ga_page_key key = *k;

	if (key.tgid == c->tgid && key.page >= c->start && key.page < c->end)
		page_release(&key, c->gen);
	return 0;
}

/* The current process's pages in [start, start + len) are gone. */
static __always_inline void range_release(__u64 start, __u64 len)
{
	struct range_ctx c = { .start = start & ~(page_size - 1) };
	__u64 n;

	c.tgid = bpf_get_current_pid_tgid() >> 32;
	c.gen = gen_of(c.tgid);
	c.end = start + len < start ? ~0ULL : start + len;
	n = (c.end - c.start) / page_size;
	if (n <= WALK_MAX_PAGES)
		bpf_loop((__u32)n, range_step, &c, 0);
	else
		bpf_for_each_map_elem(&pages, range_scan, &c, 0);
}

/* mremap moved [old, old + len) to new (never onto an overlapping range). */
static __always_inline void range_move(__u64 old, __u64 len, __u64 new)
{
	struct range_ctx c = { .start = old, .end = old + len, .delta = (__s64)(new - old) };
	__u64 n = len / page_size;

	if (new == old || !len)
		return;
	if (n > WALK_MAX_PAGES) {
		range_release(old, len);
		count(GA_DROP_RANGE, 1);
		return;
	}
	c.tgid = bpf_get_current_pid_tgid() >> 32;
	c.gen = gen_of(c.tgid);
	bpf_loop((__u32)n, range_step, &c, 0);
}

static __always_inline struct sys_slot *slot(bool create)
{
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid || empty_progs)
		return NULL;
	return bpf_task_storage_get(&sys_slots, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

static __always_inline struct sys_slot *slot_done(__u32 kind)
{
	struct sys_slot *s = slot(false);

	if (!s || s->kind != kind)
		return NULL;
	s->kind = SYS_NONE;
	return s;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int ga_enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	struct sys_slot *s = slot(true);

	if (!s)
		return 0;
	s->kind = SYS_MUNMAP;
	s->args[0] = ctx->args[0];
	s->args[1] = ctx->args[1];
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int ga_exit_munmap(struct trace_event_raw_sys_exit *ctx)
{
	struct sys_slot *s = slot_done(SYS_MUNMAP);

	if (s && ctx->ret == 0)
		range_release(s->args[0], page_round(s->args[1]));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_madvise")
int ga_enter_madvise(struct trace_event_raw_sys_enter *ctx)
{
	__u64 advice = ctx->args[2];
	struct sys_slot *s;

	/* MADV_FREE is not a release: the pages stay resident until reclaim */
	if (advice != MADV_DONTNEED && advice != MADV_REMOVE && advice != MADV_DONTNEED_LOCKED)
		return 0;
	s = slot(true);
	if (!s)
		return 0;
	s->kind = SYS_MADVISE;
	s->args[0] = ctx->args[0];
	s->args[1] = ctx->args[1];
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int ga_exit_madvise(struct trace_event_raw_sys_exit *ctx)
{
	struct sys_slot *s = slot_done(SYS_MADVISE);

	/* DONTNEED may have dropped part of the range before an error */
	if (s)
		range_release(s->args[0], page_round(s->args[1]));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int ga_enter_mmap(struct trace_event_raw_sys_enter *ctx)
{
	struct sys_slot *s;

	/* a new mapping grows by its faults; a fixed one replaces the pages
	 * under it */
	if (!(ctx->args[3] & MAP_FIXED))
		return 0;
	s = slot(true);
	if (!s)
		return 0;
	s->kind = SYS_MMAP;
	s->args[0] = ctx->args[1];
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int ga_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	struct sys_slot *s = slot_done(SYS_MMAP);
	__u64 addr = ctx->ret;

	if (s && addr < (__u64)-MAX_ERRNO)
		range_release(addr, page_round(s->args[0]));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_brk")
int ga_enter_brk(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct sys_slot *s = slot(true);

	if (!s)
		return 0;
	s->kind = SYS_BRK;
	s->args[0] = BPF_CORE_READ(task, mm, brk);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_brk")
int ga_exit_brk(struct trace_event_raw_sys_exit *ctx)
{
	struct sys_slot *s = slot_done(SYS_BRK);
	__u64 old, now = ctx->ret;

	if (!s)
		return 0;
	old = s->args[0];
	/* the pages past the new break, whole pages only */
	if (now < old)
		range_release(page_round(now), page_round(old) - page_round(now));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int ga_enter_mremap(struct trace_event_raw_sys_enter *ctx)
{
	struct sys_slot *s = slot(true);

	if (!s)
		return 0;
	s->kind = SYS_MREMAP;
	s->args[0] = ctx->args[0]; /* old address */
	s->args[1] = ctx->args[1]; /* old length */
	s->args[2] = ctx->args[2]; /* new length */
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int ga_exit_mremap(struct trace_event_raw_sys_exit *ctx)
{
	struct sys_slot *s = slot_done(SYS_MREMAP);
	__u64 addr = ctx->ret, old, old_len, new_len;

	if (!s || addr >= (__u64)-MAX_ERRNO)
		return 0;
	old = s->args[0];
	old_len = page_round(s->args[1]);
	new_len = page_round(s->args[2]);
	/* A shrink unmaps the tail; the rest keeps its pages, moved or not. */
	if (new_len < old_len)
		range_release(old + new_len, old_len - new_len);
	range_move(old, new_len < old_len ? new_len : old_len, addr);
	return 0;
}

/* A new generation: what the process held is gone with its old image. */
static __always_inline void new_generation(__u32 tgid, bool exited)
{
	struct ga_proc *p = bpf_map_lookup_elem(&procs, &tgid), np = {};

	if (p) {
		__sync_fetch_and_add(&p->gen, 1);
		p->exited = exited;
		return;
	}
	np.gen = 1;
	np.exited = exited;
	bpf_map_update_elem(&procs, &tgid, &np, BPF_ANY);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ga_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!empty_progs)
		new_generation(bpf_get_current_pid_tgid() >> 32, false);
	return 0;
}

/* The process's last thread: its pages are gone (the pid may come back as
 * another process, which starts from the next generation). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(ga_exit, struct task_struct *p)
{
	if (empty_progs || BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	new_generation(BPF_CORE_READ(p, tgid), true);
	return 0;
}

/* A new process: its pid may have held pages of a process gone before. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ga_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid;

	if (empty_progs)
		return 0;
	tgid = BPF_CORE_READ(child, tgid);
	/* a new thread shares its process's pages */
	if (tgid == BPF_CORE_READ(parent, tgid))
		return 0;
	if (bpf_map_lookup_elem(&procs, &tgid))
		new_generation(tgid, false);
	return 0;
}
