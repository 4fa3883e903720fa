// SPDX-License-Identifier: GPL-2.0
/* Outstanding kernel allocations per (kernel stack, kind, cache).
 *
 * Every allocation hook records the address in `allocs` and adds its size to
 * the stack's entry in `agg`; every free hook looks the address up and takes
 * it back out.  Userspace only reads `agg` (or walks `allocs` for --older),
 * so a busy machine never pushes events through a ring buffer.  An address
 * that was allocated before we started is not in `allocs`: its free is
 * ignored and it is never reported. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kmem.h"

#ifndef EEXIST
#define EEXIST 17
#endif
#ifndef E2BIG
#define E2BIG 7
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif
#define PAGE_SIZE_BYTES 4096ULL

/* Set by userspace before load. */
const volatile __u32 target_tgid = 0;  /* 0: every process */
const volatile __u32 self_tgid = 0;    /* the tracer: its map reads allocate */
const volatile __u32 kind_mask = 0x1f; /* bit per enum kmem_kind */
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;
const volatile __u32 sample_every = 1;
/* Reuse stack ids by fingerprint (--exact-stacks turns it off). */
const volatile bool stack_cache = true;
/* alloc_vmap_area sizes include the guard page that most areas carry. */
const volatile __u64 vmap_guard = PAGE_SIZE_BYTES;

/* Sizes are set from options before load; these are placeholders. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct kmem_alloc_key);
	__type(value, struct kmem_alloc_val);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct kmem_agg_key);
	__type(value, struct kmem_agg_val);
} agg SEC(".maps");

/* Stacks, stored by us rather than in a BPF_MAP_TYPE_STACK_TRACE map.  A
 * stack-trace map is an array of max_entries buckets indexed by a hash of
 * the frames: a second stack landing in a taken bucket is refused (-EEXIST)
 * without BPF_F_REUSE_STACKID, and with it replaces the first one, whose
 * allocations then print the wrong frames.  With 100-200 stacks per run in
 * 16384 buckets, about one run in three lost a stack that way, and when it
 * was one a test looked for, a held category read 0.  Keyed by a 64-bit hash
 * in a hash map, two stacks collide with probability ~n^2/2^65 (checked on
 * every walk, counted, never merged), and the map only refuses a stack when
 * it is full, which is counted and reported as "stack lost". */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct kmem_stack);
} stacks SEC(".maps");

/* Where a walk lands before it is hashed; see KMEM_SCRATCH_LEVELS. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KMEM_SCRATCH_LEVELS);
	__type(key, __u32);
	__type(value, struct kmem_stack);
} scratch SEC(".maps");

/* Scratch buffers in use on this CPU.  Plain ++/--: a hook that interrupts
 * another on this CPU restores the count before the interrupted one goes
 * on, and programs do not migrate while they run.  Tracepoint and kprobe
 * hooks run with preemption off; the one preemptible walker, fexit on the
 * vmalloc allocator, has one instance per CPU at a time (the trampoline's
 * recursion check), so uses still nest strictly. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} scratch_depth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct kmem_fp_key);
	__type(value, struct kmem_fp_val);
} fp_cache SEC(".maps");

/* Per task: our stack position at sys_enter and the syscall number; 0
 * outside a syscall. */
struct task_ref {
	__u64 sp0;
	__u64 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ref);
} task_refs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KMEM_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		(*v)++;
}

/* Where a hook runs on the kernel stack, as a number.  The BPF frame itself
 * may sit on a private per-CPU stack (6.13+ JITs), but a tp_btf or raw_tp
 * context is
 * the argument array in the tracepoint's own frame on the kernel stack.  The
 * pointer is copied out of a stack slot by a helper, which the verifier lets
 * root programs do. */
static __always_inline __u64 stack_pos(void *ctx)
{
	void *p = ctx;
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/* Walk the stack into a scratch buffer, hash it and store it under its
 * hash.  Returns KMEM_LOST_NONE with *stack set, or why it was lost. */
static __always_inline __u32 walk_stack(void *ctx, __u64 *stack)
{
	__u32 zero = 0, level, lost = KMEM_LOST_NONE, i, n;
	struct kmem_stack *buf, *old;
	__u32 *depth;
	__u64 h = STACK_HASH_SEED;
	long len;
	/* int, not long: before 6.4 ("bpf: return long from bpf_map_ops
	 * funcs") a JIT-inlined map update returns an int in eax, so the
	 * upper half of r0 is not the sign (6.1: -E2BIG read as 4294967289). */
	int err;

	depth = bpf_map_lookup_elem(&scratch_depth, &zero);
	if (!depth)
		return KMEM_LOST_WALK;
	level = (*depth)++;
	buf = level < KMEM_SCRATCH_LEVELS ? bpf_map_lookup_elem(&scratch, &level) : NULL;
	if (!buf) {
		lost = KMEM_LOST_WALK;
		goto out;
	}
	/* The helper zeroes what it does not fill: frames end at a 0. */
	len = bpf_get_stack(ctx, buf->ips, sizeof(buf->ips), 0);
	if (len <= 0) {
		lost = KMEM_LOST_WALK;
		goto out;
	}
	n = len / sizeof(__u64);
	for (i = 0; i < KMEM_STACK_DEPTH && i < n; i++)
		h = stack_hash_step(h, buf->ips[i]);
	h = stack_hash_final(h, n);

	old = bpf_map_lookup_elem(&stacks, &h);
	if (!old) {
		err = bpf_map_update_elem(&stacks, &h, buf, BPF_NOEXIST);
		if (err == -EEXIST) { /* another CPU stored it just now */
			old = bpf_map_lookup_elem(&stacks, &h);
		} else if (err) {
			/* -E2BIG/-ENOMEM: full; else e.g. -EBUSY, the bucket
			 * locked by the hook this one interrupted. */
			lost = err == -E2BIG || err == -ENOMEM ? KMEM_LOST_MAP_FULL : KMEM_LOST_WALK;
			goto out;
		}
	}
	/* Same hash, different frames: keep the first owner's stack intact
	 * and file this one as lost rather than under its frames. */
	if (old) {
		for (i = 0; i < KMEM_STACK_DEPTH; i++) {
			if (old->ips[i] != buf->ips[i]) {
				lost = KMEM_LOST_COLLISION;
				break;
			}
			if (!buf->ips[i])
				break;
		}
	}
	*stack = h;
out:
	(*depth)--;
	return lost;
}

/* The kernel stack walk is most of a hook's cost (about 2 us of 2.7 here):
 * reuse the stack of an earlier walk from the same call site, depth and
 * syscall, checking it against a real walk now and then.  Hooks without a
 * call site (pages, vmap areas) pass 0: depth and syscall alone collide
 * more often, which the checks catch.  Lost walks are never cached. */
static __always_inline __u32 get_stack(void *ctx, __u64 call_site, __u32 kind, __u64 *stack)
{
	struct kmem_fp_key fk = { .call_site = call_site, .kind = kind };
	struct kmem_fp_val *fv = NULL, init = {};
	struct task_ref *ref;
	bool have_fk = false;
	__u32 lost;
	__u64 sp;

	if (stack_cache) {
		ref = bpf_task_storage_get(&task_refs, bpf_get_current_task_btf(), 0, 0);
		if (ref && ref->sp0) {
			sp = stack_pos(ctx);
			/* Off the task stack (an interrupt): no fingerprint. */
			if (sp < ref->sp0 && ref->sp0 - sp < 32768) {
				fk.depth = ref->sp0 - sp;
				fk.nr = ref->nr;
				have_fk = true;
				fv = bpf_map_lookup_elem(&fp_cache, &fk);
			}
		}
		if (fv && !fv->ambiguous) {
			/* Racy on purpose: it only paces the checks. */
			__u32 hits = fv->hits;

			fv->hits = hits + 1;

			if (hits >= KMEM_FP_VALIDATE_FIRST && hits % KMEM_FP_VALIDATE_EVERY) {
				stat_inc(KMEM_ST_STACK_CACHED);
				*stack = fv->stack;
				return KMEM_LOST_NONE;
			}
		}
	}
	lost = walk_stack(ctx, stack);
	stat_inc(KMEM_ST_STACK_WALKS);
	if (!have_fk || lost)
		return lost;
	if (!fv) {
		init.stack = *stack;
		bpf_map_update_elem(&fp_cache, &fk, &init, BPF_NOEXIST);
	} else if (fv->stack != *stack && !fv->ambiguous) {
		fv->ambiguous = 1;
		stat_inc(KMEM_ST_STACK_CONFLICT);
	}
	return lost;
}

static __always_inline void agg_sub(const struct kmem_alloc_val *a)
{
	struct kmem_agg_val *v = bpf_map_lookup_elem(&agg, &a->agg);

	if (!v)
		return;
	__sync_fetch_and_add(&v->bytes, -(__s64)a->size);
	__sync_fetch_and_add(&v->count, -1);
}

static __always_inline struct kmem_agg_val *agg_get(const struct kmem_agg_key *k,
						    const struct kmem_cache *s)
{
	struct kmem_agg_val *v = bpf_map_lookup_elem(&agg, k);
	struct kmem_agg_val init = {};
	__u64 id;
	int err;

	if (v)
		return v;
	id = bpf_get_current_pid_tgid();
	init.pid = id >> 32;
	init.tid = (__u32)id;
	bpf_get_current_comm(init.comm, sizeof(init.comm));
	if (s)
		bpf_probe_read_kernel_str(init.cache_name, sizeof(init.cache_name),
					  BPF_CORE_READ(s, name));
	err = bpf_map_update_elem(&agg, k, &init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(&agg, k);
}

static __always_inline void track_alloc(void *ctx, __u64 addr, __u32 space, __u64 size,
					__u32 kind, const struct kmem_cache *s, __u64 call_site)
{
	struct kmem_alloc_key key = { .addr = addr, .space = space };
	struct kmem_alloc_val val = {}, *old;
	struct kmem_agg_val *v;
	__u64 stack = 0;
	__u32 tgid, lost;

	if (!(kind_mask & (1U << kind)) || addr < PAGE_SIZE_BYTES)
		return;
	if (size < min_size || size > max_size)
		return;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if ((target_tgid && tgid != target_tgid) || tgid == self_tgid)
		return;
	if (sample_every > 1 && bpf_get_prandom_u32() % sample_every) {
		stat_inc(KMEM_ST_SAMPLED_OUT);
		return;
	}
	lost = get_stack(ctx, call_site, kind, &stack);
	if (lost) {
		/* Never file an allocation under another stack: keep it under
		 * (no stack, reason), shown as "[stack lost]", so its bytes and
		 * its free still balance and the totals stay whole. */
		stat_inc(lost == KMEM_LOST_MAP_FULL ? KMEM_ST_STACK_FULL :
			 lost == KMEM_LOST_COLLISION ? KMEM_ST_STACK_COLLISION :
						       KMEM_ST_STACK_ERROR);
		stack = 0;
	}
	val.size = size;
	val.ts = bpf_ktime_get_ns();
	val.agg.stack = stack;
	val.agg.lost = lost;
	val.agg.kind = kind;
	val.agg.cache = kind == KMEM_CACHE ? (__u64)s : 0;
	v = agg_get(&val.agg, kind == KMEM_CACHE ? s : NULL);
	if (!v) {
		stat_inc(KMEM_ST_AGG_FULL);
		return;
	}
	if (bpf_map_update_elem(&allocs, &key, &val, BPF_NOEXIST)) {
		/* A tracked address handed out again means its free went
		 * unseen (recursion, bulk frees): retire the old one. */
		old = bpf_map_lookup_elem(&allocs, &key);
		if (old) {
			agg_sub(old);
			stat_inc(KMEM_ST_STALE);
		}
		if (bpf_map_update_elem(&allocs, &key, &val, BPF_ANY)) {
			stat_inc(KMEM_ST_ALLOCS_FULL);
			return;
		}
	}
	__sync_fetch_and_add(&v->bytes, (__s64)size);
	__sync_fetch_and_add(&v->count, 1);
	/* Userspace prunes rows idle for a whole report interval: if this
	 * one went between our lookup and our adds, they landed on the dead
	 * entry.  Rare (an idle row hit in that window), and counted. */
	if (bpf_map_lookup_elem(&agg, &val.agg) != v)
		stat_inc(KMEM_ST_PRUNE_RACE);
	stat_inc(KMEM_ST_ALLOCS);
}

static __always_inline void track_free(__u64 addr, __u32 space)
{
	struct kmem_alloc_key key = { .addr = addr, .space = space };
	struct kmem_alloc_val *a, copy;

	if (addr < PAGE_SIZE_BYTES)
		return;
	a = bpf_map_lookup_elem(&allocs, &key);
	if (!a)
		return; /* allocated before we started, or not tracked */
	copy = *a;
	/* Only the CPU whose delete succeeds gives the bytes back. */
	if (bpf_map_delete_elem(&allocs, &key))
		return;
	agg_sub(&copy);
	stat_inc(KMEM_ST_FREES);
}

/* ---- syscall boundaries, for the stack fingerprints */

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_ref, struct pt_regs *regs, long id)
{
	struct task_ref *ref;

	if (target_tgid && (bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	ref = bpf_task_storage_get(&task_refs, bpf_get_current_task_btf(), 0,
				   BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ref) {
		ref->sp0 = stack_pos(ctx);
		ref->nr = id;
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_ref, struct pt_regs *regs, long ret)
{
	struct task_ref *ref = bpf_task_storage_get(&task_refs, bpf_get_current_task_btf(), 0, 0);

	/* Page faults and signals between syscalls have no reference. */
	if (ref)
		ref->sp0 = 0;
	return 0;
}

/* ---- slab and percpu: raw_tp, not tp_btf.  Their `void *ptr` arguments
 * are refused as tp_btf by older verifiers (6.1: "arg1 type UNKNOWN is not a
 * struct"), and a raw_tp reads the same argument array at the same cost,
 * with no tracefs either.  BPF_PROG's types are only our view of it. */

SEC("raw_tp/kmalloc")
int BPF_PROG(kmalloc_tp, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	track_alloc(ctx, (__u64)ptr, KMEM_SPACE_SLAB, bytes_alloc, KMEM_KMALLOC, NULL, call_site);
	return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(kfree_tp, unsigned long call_site, const void *ptr)
{
	track_free((__u64)ptr, KMEM_SPACE_SLAB);
	return 0;
}

SEC("raw_tp/kmem_cache_alloc")
int BPF_PROG(kmem_cache_alloc_tp, unsigned long call_site, const void *ptr,
	     struct kmem_cache *s, gfp_t gfp_flags, int node)
{
	track_alloc(ctx, (__u64)ptr, KMEM_SPACE_SLAB, BPF_CORE_READ(s, size), KMEM_CACHE, s,
		    call_site);
	return 0;
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(kmem_cache_free_tp, unsigned long call_site, const void *ptr,
	     const struct kmem_cache *s)
{
	track_free((__u64)ptr, KMEM_SPACE_SLAB);
	return 0;
}

/* ---- percpu: bytes_alloc is size times the number of possible CPUs */

SEC("raw_tp/percpu_alloc_percpu")
int BPF_PROG(percpu_alloc_tp, unsigned long call_site, bool reserved, bool is_atomic,
	     size_t size, size_t align, void *base_addr, int off, void *ptr,
	     size_t bytes_alloc, gfp_t gfp_flags)
{
	track_alloc(ctx, (__u64)ptr, KMEM_SPACE_PERCPU, bytes_alloc, KMEM_PERCPU, NULL, call_site);
	return 0;
}

SEC("raw_tp/percpu_free_percpu")
int BPF_PROG(percpu_free_tp, void *base_addr, int off, void *ptr)
{
	track_free((__u64)ptr, KMEM_SPACE_PERCPU);
	return 0;
}

/* ---- vmalloc by vmap area.  Approximation (see the man page): every vmap
 * area counts (vmalloc, vmap, ioremap, execmem); its size includes a guard
 * page, removed here; areas released through free_vmap_area() (error paths,
 * vmap blocks) fire no tracepoint and stay outstanding until the address is
 * reused. */

SEC("tp_btf/alloc_vmap_area")
int BPF_PROG(alloc_vmap_area_tp, unsigned long addr, unsigned long size,
	     unsigned long align, unsigned long vstart, unsigned long vend, int failed)
{
	if (failed)
		return 0;
	if (size > vmap_guard)
		size -= vmap_guard;
	track_alloc(ctx, addr, KMEM_SPACE_VMALLOC, size, KMEM_VMALLOC, NULL, 0);
	return 0;
}

SEC("tp_btf/free_vmap_area_noflush")
int BPF_PROG(free_vmap_area_tp, unsigned long va_start, unsigned long nr_lazy,
	     unsigned long nr_lazy_max)
{
	track_free(va_start, KMEM_SPACE_VMALLOC);
	return 0;
}

/* ---- vmalloc, exact, where fentry loads: the attach target is set by
 * userspace to __vmalloc_node_range_noprof (6.10+, memory allocation
 * profiling series, "mm: vmalloc: enable memory allocation profiling") or
 * __vmalloc_node_range before it. */

SEC("fexit/__vmalloc_node_range")
int vmalloc_fexit(unsigned long long *ctx)
{
	/* (size, align, start, end, gfp, pgprot_t prot, vm_flags, node, caller):
	 * pgprot_t is one 8-byte slot, which BPF_PROG cannot cast, so read the
	 * context directly; the return value through the helper, since the
	 * argument count is the kernel's business (5.17+, as is fexit here). */
	__u64 size = ctx[0], ret = 0;

	if (bpf_get_func_ret(ctx, &ret))
		return 0;

	track_alloc(ctx, ret, KMEM_SPACE_VMALLOC, (size + PAGE_SIZE_BYTES - 1) &
		    ~(PAGE_SIZE_BYTES - 1), KMEM_VMALLOC, NULL, 0);
	return 0;
}

SEC("fentry/vfree")
int vfree_fentry(unsigned long long *ctx)
{
	__u64 addr = 0;

	/* Through the helper: 6.1's verifier refuses a typed load of a
	 * `const void *` argument ("arg0 type UNKNOWN is not a struct"). */
	if (bpf_get_func_arg(ctx, 0, &addr))
		return 0;
	track_free(addr, KMEM_SPACE_VMALLOC);
	return 0;
}

/* ---- vmalloc, exact, with kprobes: where fexit cannot attach (6.1's x86
 * trampoline takes at most 6 arguments; __vmalloc_node_range has 9) but
 * kprobes exist.  The size is kept per thread from entry to return;
 * userspace attaches both to the same function name. */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);	/* pid_tgid */
	__type(value, __u64);	/* requested size */
} vmalloc_sizes SEC(".maps");

SEC("kprobe/__vmalloc_node_range")
int BPF_KPROBE(vmalloc_kprobe, unsigned long size)
{
	__u64 id = bpf_get_current_pid_tgid(), sz = size;

	if (bpf_map_update_elem(&vmalloc_sizes, &id, &sz, BPF_ANY))
		stat_inc(KMEM_ST_ALLOCS_FULL);
	return 0;
}

SEC("kretprobe/__vmalloc_node_range")
int BPF_KRETPROBE(vmalloc_kretprobe, void *ret)
{
	__u64 id = bpf_get_current_pid_tgid(), size;
	__u64 *sz = bpf_map_lookup_elem(&vmalloc_sizes, &id);

	if (!sz)
		return 0;
	size = *sz;
	bpf_map_delete_elem(&vmalloc_sizes, &id);
	if (ret)
		track_alloc(ctx, (__u64)ret, KMEM_SPACE_VMALLOC,
			    (size + PAGE_SIZE_BYTES - 1) & ~(PAGE_SIZE_BYTES - 1), KMEM_VMALLOC,
			    NULL, 0);
	return 0;
}

SEC("kprobe/vfree")
int BPF_KPROBE(vfree_kprobe, const void *addr)
{
	track_free((__u64)addr, KMEM_SPACE_VMALLOC);
	return 0;
}

/* ---- pages (--pages): struct page pointers; a high-order page split and
 * freed piecewise gives back its whole size at the first piece. */

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(mm_page_alloc_tp, struct page *page, unsigned int order, gfp_t gfp_flags,
	     int migratetype)
{
	track_alloc(ctx, (__u64)page, KMEM_SPACE_PAGE, PAGE_SIZE_BYTES << (order & 31),
		    KMEM_PAGE, NULL, 0);
	return 0;
}

SEC("tp_btf/mm_page_free")
int BPF_PROG(mm_page_free_tp, struct page *page, unsigned int order)
{
	track_free((__u64)page, KMEM_SPACE_PAGE);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
