// SPDX-License-Identifier: GPL-2.0
/* User-space leak tracing: malloc-family uprobes and anonymous mmap/munmap/
 * mremap/brk tracepoints of one process.  Outstanding bytes and counts are
 * aggregated per call stack in the kernel, so a report only reads maps.
 * Stacks are unwound here with .eh_frame rows that userspace extracts per
 * module (frame pointers only where a module has no rows yet). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "memleak.h"

#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define PROT_EXEC 0x4
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4
#define MADV_DONTNEED 4
#define MADV_REMOVE 9
#define MADV_DONTNEED_LOCKED 24
#define X86_PF_PROT 1
#define X86_PF_WRITE 2
#define VM_EXEC 0x4
#define MAX_ERRNO 4095

/* The syscall a thread is inside, between sys_enter and sys_exit. */
enum { SYS_NONE, SYS_MMAP, SYS_MUNMAP, SYS_MREMAP, SYS_BRK, SYS_MADVISE };

const volatile __u32 target_tgid = 0;
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;
const volatile __u32 sample_every = 1;
const volatile __u64 page_size = 4096;
const volatile bool trace_mmap = true;
const volatile __u32 max_depth = MAX_FRAMES;
/* --older needs each allocation's time; without it the clock is not read */
const volatile bool record_time = false;
/* memleakbpf growth: no allocator probes; the allocs map holds pages, keyed
 * by address, attributed to the stack of the fault that first wrote them. */
const volatile bool growth = false;
/* scripts/bench-growth's floor: the programs attached, each returning at
 * its first test (MEMLEAKBPF_EMPTY_PROGS=1) */
const volatile bool empty_progs = false;

/* Written by userspace through the mmapped .bss. */
__u64 armed;          /* 0 until the target runs its own program (-c: after exec) */
__u64 maps_gen;       /* bumped when mappings or module tables change */
__u32 next_module_id = 1;
__u64 snapshot_gen; /* maps_gen + 1 of the last snapshot request */

#define ROW_CACHE 16
#define STACK_COPY 1024

struct vma_cache_entry {
	__u64 start;
	__u64 end;
	__u64 pgoff_bytes;
	__u32 module_id; /* 0: anonymous, frames are absolute addresses */
	__u32 state;
	__u32 row_start;
	__u32 row_count;
};

/* Everything one thread needs between an allocator's entry and return,
 * plus its unwinding scratch: per-thread storage cannot be clobbered by
 * another task preempting this one on the same CPU. */
struct thread_state {
	__u64 entry_sp;
	__u64 size;
	__u64 arg; /* realloc: old pointer; posix_memalign: memptr */
	__u64 extra; /* xallocx: bytes wanted beyond size */
	__u32 kind;
	/* Allocator calls nested inside the outer one: an allocator that
	 * hands the call to another (an interposer calling __libc_malloc or
	 * dlsym(RTLD_NEXT) malloc, libc's reallocarray jumping to jemalloc's
	 * realloc) or calls one for itself.  Only the outermost call of a
	 * thread counts, so such a block counts once. */
	__u32 depth;
	__u8 active;
	__u8 record;
	__u8 sys_pending;
	__u8 exec_map; /* an mmap of a file with PROT_EXEC is in flight */
	__u32 sys_kind;
	__u64 sys_args[4];
	/* unwinder */
	__u64 cache_gen;
	__u32 cache_next;
	__u32 n;
	__u64 ip, sp, bp, hash;
	__u8 used_fp;
	__u8 absolute; /* a frame recorded as an absolute address */
	__u8 exact_first; /* the first ip faulted: it is no return address */
	struct vma_cache_entry cache[VMA_CACHE];
	/* Rows found for recent return addresses: a loop calling malloc
	 * from the same places skips the binary searches. */
	struct {
		__u64 frame;
		struct ml_unwind_row row;
	} rowcache[ROW_CACHE];
	struct ml_stack stack;
	/* The top of the user stack, copied once per unwind: most saved
	 * return addresses and frame pointers are read from here instead of
	 * one bpf_probe_read_user each. */
	__u64 stack_base, stack_len;
	__u64 stackbuf[STACK_COPY / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} tstate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, __u64);
	__type(value, struct ml_alloc);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, struct ml_region);
} regions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, struct ml_stack);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ml_module_key);
	__type(value, struct ml_module);
} modules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1 << 21);
	__type(key, __u32);
	__type(value, struct ml_unwind_row);
} rows SEC(".maps");

/* Mappings found by any thread, so a new thread need not take the mmap
 * lock (bpf_find_vma only trylocks it and fails while another thread
 * maps memory).  Entries carry a checksum: concurrent writers may tear. */
#define SHARED_VMAS 32
struct shared_vma {
	struct vma_cache_entry e;
	__u64 gen;
	__u64 check;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SHARED_VMAS);
	__type(key, __u32);
	__type(value, struct shared_vma);
} shared_vmas SEC(".maps");

__u32 shared_next;

/* Every executable mapping a cache may hold (start -> end): an unmap or
 * remap invalidates the caches only when it touches one of these, so the
 * allocator's own munmaps (arena trimming, large frees) leave them be. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} exec_ranges SEC(".maps");

struct range_ctx {
	__u64 start, end;
	bool hit;
};

static long range_cb(struct bpf_map *map, __u64 *start, __u64 *end, struct range_ctx *c)
{
	if (*start < c->end && *end > c->start) {
		c->hit = true;
		bpf_map_delete_elem(map, start);
	}
	return 0;
}

/* Called before a range is unmapped or replaced. */
static __always_inline void maps_changing(__u64 start, __u64 len)
{
	struct range_ctx c = { .start = start, .end = start + len };

	bpf_for_each_map_elem(&exec_ranges, range_cb, &c, 0);
	if (c.hit)
		__sync_fetch_and_add(&maps_gen, 1);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ML_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void drop(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&drops, &reason);

	if (v)
		(*v)++;
}

/* nmemb * size, or `overflow` when it does not fit.  The barrier keeps
 * clang from turning the check into a 128-bit multiply BPF lacks. */
static __always_inline __u64 mul_or(__u64 nmemb, __u64 size, __u64 overflow)
{
	__u64 total = nmemb * size;

	asm volatile("" : "+r"(total));
	return (nmemb && total / nmemb != size) ? overflow : total;
}

/* Every program asks first: with empty_progs, all return here. */
static __always_inline bool is_target(void)
{
	return !empty_progs && (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

/* ---- unwinding ---------------------------------------------------------- */

struct vma_result {
	__u64 start, end, pgoff, flags, dev, ino, file;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, struct vma_result *r)
{
	struct file *f = vma->vm_file;

	r->start = vma->vm_start;
	r->end = vma->vm_end;
	r->pgoff = vma->vm_pgoff;
	r->flags = BPF_CORE_READ(vma, vm_flags);
	r->file = (__u64)f;
	if (f) {
		r->ino = BPF_CORE_READ(f, f_inode, i_ino);
		r->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	}
	return 0;
}

/* Tell userspace about a module it has not loaded rows for: send the path
 * from the file system's root, so it can be found after the process exits. */
static __noinline void announce_module(struct vma_result *r, __u32 id)
{
	struct file *f = (struct file *)r->file;
	struct ml_module_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	struct dentry *d, *parent;
	__u32 i;

	if (!ev) {
		drop(ML_DROP_EVENTS_FULL);
		return;
	}
	ev->type = ML_EVENT_NEW_MODULE;
	ev->module_id = id;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->dev = r->dev;
	ev->ino = r->ino;
	ev->vm_start = r->start;
	ev->vm_end = r->end;
	ev->ncomps = 0;
	d = BPF_CORE_READ(f, f_path.dentry);
	for (i = 0; i < PATH_DEPTH; i++) {
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);

		if (bpf_probe_read_kernel_str(ev->comps[i], PATH_COMP_LEN, name) < 0)
			break;
		ev->ncomps = i + 1;
		parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d)
			break;
		d = parent;
	}
	bpf_ringbuf_submit(ev, 0);
}

/* Asks userspace to read /proc/PID/maps now, while the process lives, so
 * absolute frames can be resolved after it exits: once per maps_gen. */
static __noinline void request_snapshot(void)
{
	__u64 want = maps_gen + 1;
	__u32 *ev;

	if (snapshot_gen == want)
		return;
	snapshot_gen = want;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		drop(ML_DROP_EVENTS_FULL);
		return;
	}
	*ev = ML_EVENT_MAPS_SNAPSHOT;
	bpf_ringbuf_submit(ev, 0);
}

/* A file became executable in the target (dlopen, exec): userspace opens
 * it through /proc/PID/map_files while the process still has it mapped,
 * not when a stack first passes through it (it may have exited by then). */
static __noinline void request_capture(__u64 start, __u64 len)
{
	struct ml_exec_mapped *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		drop(ML_DROP_EVENTS_FULL);
		return;
	}
	ev->type = ML_EVENT_EXEC_MAPPED;
	ev->pad = 0;
	ev->start = start;
	ev->end = start + len;
	bpf_ringbuf_submit(ev, 0);
}

/* Module of a file-backed mapping; registers unknown ones as pending. */
static __always_inline struct ml_module *module_of(struct vma_result *r, struct ml_module *tmp)
{
	struct ml_module_key key = { .dev = r->dev, .ino = r->ino };
	struct ml_module *m = bpf_map_lookup_elem(&modules, &key);

	if (m)
		return m;
	tmp->id = __sync_fetch_and_add(&next_module_id, 1);
	tmp->state = ML_MODULE_PENDING;
	tmp->row_start = 0;
	tmp->row_count = 0;
	if (bpf_map_update_elem(&modules, &key, tmp, BPF_NOEXIST) == 0)
		announce_module(r, tmp->id);
	return bpf_map_lookup_elem(&modules, &key);
}

struct unwind_ctx {
	struct thread_state *ts;
	struct task_struct *task;
};

static __always_inline __u64 vma_check(const struct vma_cache_entry *e, __u64 gen)
{
	return (e->start * 0x9e3779b97f4a7c15ULL) ^ (e->end * 31) ^ (e->pgoff_bytes * 7) ^
	       ((__u64)e->module_id << 32 | e->state) ^ ((__u64)e->row_start << 32 | e->row_count) ^
	       (gen * 0xff51afd7ed558ccdULL);
}

struct shared_scan {
	__u64 ip, gen;
	struct vma_cache_entry *e;
	int found;
};

static long shared_scan_cb(__u32 i, struct shared_scan *c)
{
	struct shared_vma *sv = bpf_map_lookup_elem(&shared_vmas, &i);

	if (!sv || c->ip < sv->e.start || c->ip >= sv->e.end || sv->gen != c->gen)
		return 0;
	*c->e = sv->e;
	if (vma_check(c->e, c->gen) != sv->check)
		return 0;
	c->found = 1;
	return 1;
}

/* The mapping holding ip: this thread's cache, then the process-wide one,
 * then the kernel's VMA tree.  *busy when the tree was locked. */
static __always_inline struct vma_cache_entry *vma_lookup(struct unwind_ctx *c, __u64 ip, bool *busy)
{
	struct thread_state *ts = c->ts;
	struct vma_result r = {};
	struct ml_module tmp, *m;
	struct vma_cache_entry *e;
	struct shared_scan scan;
	struct shared_vma *sv;
	__u64 gen = maps_gen;
	__u32 i, slot;
	long err;

	for (i = 0; i < VMA_CACHE; i++) {
		e = &ts->cache[i];
		if (ip >= e->start && ip < e->end)
			return e;
	}
	e = &ts->cache[ts->cache_next & (VMA_CACHE - 1)];
	scan.ip = ip;
	scan.gen = gen;
	scan.e = e;
	scan.found = 0;
	bpf_loop(SHARED_VMAS, shared_scan_cb, &scan, 0);
	if (scan.found) {
		ts->cache_next++;
		return e;
	}
	err = bpf_find_vma(c->task, ip, vma_cb, &r, 0);
	if (err || !(r.flags & VM_EXEC)) {
		*busy = err == -16; /* EBUSY */
		return NULL;
	}
	ts->cache_next++;
	bpf_map_update_elem(&exec_ranges, &r.start, &r.end, BPF_ANY);
	e->start = r.start;
	e->end = r.end;
	e->pgoff_bytes = r.pgoff * page_size;
	e->module_id = 0;
	e->state = ML_MODULE_NO_TABLE;
	e->row_start = 0;
	e->row_count = 0;
	if (r.file) {
		m = module_of(&r, &tmp);
		if (m) {
			e->module_id = m->id;
			e->state = m->state;
			e->row_start = m->row_start;
			e->row_count = m->row_count;
		}
	}
	slot = __sync_fetch_and_add(&shared_next, 1) % SHARED_VMAS;
	sv = bpf_map_lookup_elem(&shared_vmas, &slot);
	if (sv) {
		sv->e = *e;
		sv->gen = gen;
		sv->check = vma_check(e, gen);
	}
	return e;
}

/* Last row with pc <= off among a module's rows. */
static __always_inline struct ml_unwind_row *find_row(__u32 start, __u32 count, __u32 off)
{
	__u32 lo = start, hi = start + count, mid, k;
	struct ml_unwind_row *r;

	if (!count)
		return NULL;
	for (k = 0; k < 24 && lo + 1 < hi; k++) {
		mid = lo + (hi - lo) / 2;
		r = bpf_map_lookup_elem(&rows, &mid);
		if (!r)
			return NULL;
		if (r->pc <= off)
			lo = mid;
		else
			hi = mid;
	}
	r = bpf_map_lookup_elem(&rows, &lo);
	if (!r || r->pc > off)
		return NULL;
	return r;
}

static __always_inline __u64 mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x100000001b3ULL;
	return h ^ (h >> 29);
}

/* A saved word of the user stack: from the copy when it holds it. */
static __always_inline long read_slot(struct thread_state *ts, __u64 *out, __u64 addr)
{
	__u64 off = addr - ts->stack_base;

	if (addr >= ts->stack_base && off + 8 <= ts->stack_len && !(off & 7)) {
		*out = ts->stackbuf[(off / 8) & (STACK_COPY / 8 - 1)];
		return 0;
	}
	return bpf_probe_read_user(out, sizeof(*out), (void *)addr);
}

/* One frame: record ip, then step ip/sp/bp to the caller. */
static long unwind_step(__u32 i, struct unwind_ctx *c)
{
	struct thread_state *ts = c->ts;
	struct vma_cache_entry *e;
	struct ml_unwind_row *row = NULL;
	__u64 ip = ts->ip, sp = ts->sp, bp = ts->bp, cfa, ra = 0, off = 0, frame;
	__u32 n = ts->n, slot;
	bool busy = false;

	if (!ip || n >= max_depth || n >= MAX_FRAMES) {
		if (ip && max_depth >= MAX_FRAMES)
			drop(ML_DROP_UNWIND_TRUNCATED);
		return 1;
	}
	e = vma_lookup(c, ip, &busy);
	if (!e && !busy)
		return 1; /* not in an executable mapping: the walk is over */
	if (e && e->module_id) {
		off = ip - e->start + e->pgoff_bytes;
		frame = ((__u64)e->module_id << FRAME_MODULE_SHIFT) | (off & FRAME_OFFSET_MASK);
	} else {
		/* anonymous code, or the mapping could not be looked up now:
		 * an absolute address, resolved by userspace from the maps */
		frame = ip;
		ts->absolute |= busy;
	}
	ts->stack.frames[n & (MAX_FRAMES - 1)] = frame;
	ts->n = n + 1;
	ts->hash = mix(ts->hash, frame);

	/* Every recorded ip is a return address (or follows a syscall):
	 * the rules of the call instruction are at ip - 1. */
	if (e && e->state == ML_MODULE_READY && off && !n && ts->exact_first) {
		/* A faulting instruction: its own rules (it may be the first
		 * of a function, a push growing the stack), not the cached
		 * ones of a return address that happens to equal it. */
		row = find_row(e->row_start, e->row_count, (__u32)off);
	} else if (e && e->state == ML_MODULE_READY && off) {
		slot = (frame ^ (frame >> 17)) & (ROW_CACHE - 1);
		if (ts->rowcache[slot].frame == frame) {
			row = &ts->rowcache[slot].row;
		} else {
			row = find_row(e->row_start, e->row_count, (__u32)(off - 1));
			if (row) {
				ts->rowcache[slot].frame = frame;
				ts->rowcache[slot].row = *row;
			}
		}
	}
	if (row && row->cfa_type == ML_CFA_END)
		return 1;
	if (row && row->cfa_type != ML_CFA_UNDEF) {
		if (row->cfa_type == ML_CFA_RSP)
			cfa = sp + row->cfa_off;
		else if (row->cfa_type == ML_CFA_RBP)
			cfa = bp + row->cfa_off;
		else /* ML_CFA_PLT */
			cfa = sp + 8 + (((ip & 15) >= (__u64)row->rbp_off) ? 8 : 0);
		if (read_slot(ts, &ra, cfa - 8))
			return 1;
		if (row->cfa_type != ML_CFA_PLT && row->rbp_off &&
		    read_slot(ts, &bp, cfa + 8 * (__s64)row->rbp_off))
			return 1;
	} else {
		/* No CFI: frame pointers. */
		if (!bp || bp < sp)
			return 1;
		if (read_slot(ts, &ra, bp + 8))
			return 1;
		cfa = bp + 16;
		if (read_slot(ts, &bp, bp))
			return 1;
		ts->used_fp = 1;
	}
	if (cfa <= sp)
		return 1; /* the stack must grow toward callers: stop on garbage */
	ts->ip = ra;
	ts->sp = cfa;
	ts->bp = bp;
	return 0;
}

/* Unwinds the user stack from (ip, sp, bp) into ts->stack; returns its hash. */
static __always_inline __u64 unwind(struct thread_state *ts, struct task_struct *task, __u32 kind,
				    __u64 ip, __u64 sp, __u64 bp)
{
	struct unwind_ctx c = { .ts = ts, .task = task };
	__u32 i;

	if (ts->cache_gen != maps_gen) {
		for (i = 0; i < VMA_CACHE; i++) {
			ts->cache[i].start = 0;
			ts->cache[i].end = 0;
		}
		ts->cache_gen = maps_gen;
	}
	ts->ip = ip;
	ts->sp = sp;
	ts->bp = bp;
	ts->stack_base = sp & ~7ULL;
	/* near the top of a stack mapping a full copy faults: then slots
	 * are read one by one */
	ts->stack_len = bpf_probe_read_user(ts->stackbuf, sizeof(ts->stackbuf), (void *)ts->stack_base) ? 0
														: STACK_COPY;
	ts->n = 0;
	ts->used_fp = 0;
	ts->absolute = 0;
	ts->exact_first = kind == ML_KIND_FAULT;
	ts->hash = 0xcbf29ce484222325ULL ^ kind;
	bpf_loop(max_depth + 1, unwind_step, &c, 0);
	if (ts->used_fp)
		drop(ML_DROP_UNWIND_FP);
	if (ts->absolute)
		request_snapshot();
	ts->stack.kind = kind;
	/* frames past nframes are stale scratch: readers stop at nframes */
	ts->stack.nframes = ts->n;
	return ts->hash;
}

/* The stack aggregate for the stack just unwound into ts->stack. */
static __always_inline struct ml_stack *stack_of(struct thread_state *ts, __u64 hash)
{
	struct ml_stack *s = bpf_map_lookup_elem(&stacks, &hash);
	/* int, not long: before 6.4 ("bpf: return long from bpf_map_ops
	 * funcs") an inlined map update returns its error in eax only, and
	 * 6.1's -EEXIST read as a long is 4294967279. */
	int err;

	if (s)
		return s;
	ts->stack.bytes = 0;
	ts->stack.count = 0;
	err = bpf_map_update_elem(&stacks, &hash, &ts->stack, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: another CPU inserted it */) {
		drop(ML_DROP_STACKS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&stacks, &hash);
}

static __always_inline void stack_sub(__u64 hash, __u64 bytes, __s64 count)
{
	struct ml_stack *s = bpf_map_lookup_elem(&stacks, &hash);

	if (s) {
		__sync_fetch_and_add(&s->bytes, -(__s64)bytes);
		__sync_fetch_and_add(&s->count, -count);
	}
}

/* ---- heap allocations ----------------------------------------------------- */

static __always_inline void record_alloc(struct thread_state *ts, struct task_struct *task,
					 struct pt_regs *regs, __u64 addr, __u64 size, __u32 kind)
{
	struct ml_alloc a = { .size = size, .ts_ns = record_time ? bpf_ktime_get_ns() : 0 }, *old;
	struct ml_stack *s;
	int err; /* int: see stack_of() */

	a.stack_hash = unwind(ts, task, kind, PT_REGS_IP(regs), PT_REGS_SP(regs), PT_REGS_FP(regs));
	s = stack_of(ts, a.stack_hash);
	if (!s)
		return;
	err = bpf_map_update_elem(&allocs, &addr, &a, BPF_NOEXIST);
	if (err == -17) {
		/* A free we never saw (e.g. inside a library's own allocator
		 * path): the old block is gone, account it out. */
		old = bpf_map_lookup_elem(&allocs, &addr);
		if (old)
			stack_sub(old->stack_hash, old->size, 1);
		drop(ML_DROP_REUSED_ADDRESS);
		err = bpf_map_update_elem(&allocs, &addr, &a, BPF_ANY);
	}
	if (err) {
		drop(ML_DROP_ALLOCS_FULL);
		return;
	}
	__sync_fetch_and_add(&s->bytes, size);
	__sync_fetch_and_add(&s->count, 1);
	/* Userspace prunes stacks idle for a whole report interval: if this
	 * one went between our lookup and our adds, they landed on the dead
	 * entry.  Rare (an idle stack hit in that window), and counted. */
	if (bpf_map_lookup_elem(&stacks, &a.stack_hash) != s)
		drop(ML_DROP_PRUNE_RACE);
}

static __always_inline void untrack(__u64 addr)
{
	struct ml_alloc *a = bpf_map_lookup_elem(&allocs, &addr);
	__u64 size, hash;

	if (!a)
		return; /* allocated before tracing, or not sampled */
	size = a->size;
	hash = a->stack_hash;
	/* Only the thread whose delete succeeds accounts (double free). */
	if (bpf_map_delete_elem(&allocs, &addr) == 0)
		stack_sub(hash, size, 1);
}

/* xallocx: the block at addr was resized in place; it keeps its stack. */
static __always_inline void resize(__u64 addr, __u64 size)
{
	struct ml_alloc *a = bpf_map_lookup_elem(&allocs, &addr);
	struct ml_stack *s;
	__s64 delta;

	if (!a)
		return; /* allocated before tracing, or not sampled */
	delta = (__s64)(size - a->size);
	a->size = size;
	s = bpf_map_lookup_elem(&stacks, &a->stack_hash);
	if (s)
		__sync_fetch_and_add(&s->bytes, delta);
}

static __always_inline struct thread_state *thread_state(bool create)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct thread_state *ts;

	ts = bpf_task_storage_get(&tstate, task, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!ts && create)
		drop(ML_DROP_NO_THREAD_STATE);
	return ts;
}

static __always_inline int alloc_enter(struct pt_regs *ctx, __u32 kind, __u64 size, __u64 arg,
				       __u64 extra)
{
	struct thread_state *ts;
	__u64 sp = PT_REGS_SP(ctx);

	if (!is_target())
		return 0;
	ts = thread_state(true);
	if (!ts)
		return 0;
	if (ts->active) {
		/* Deeper (or a tail call at the same depth): an allocator
		 * called by an allocator, e.g. realloc(NULL, n) -> malloc.
		 * The outer call accounts for it. */
		if (sp <= ts->entry_sp) {
			ts->depth++;
			return 0;
		}
		drop(ML_DROP_STALE_ENTRY);
	}
	ts->active = 1;
	ts->depth = 0;
	ts->entry_sp = sp;
	ts->kind = kind;
	ts->size = size;
	ts->arg = arg;
	ts->extra = extra;
	ts->record = armed && size >= min_size && size <= max_size &&
		     (sample_every <= 1 || bpf_get_prandom_u32() % sample_every == 0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit)
{
	struct task_struct *task;
	struct thread_state *ts;
	__u64 addr = PT_REGS_RC(ctx), size;
	__u32 kind;

	if (!is_target())
		return 0;
	task = bpf_get_current_task_btf();
	ts = bpf_task_storage_get(&tstate, task, 0, 0);
	if (!ts || !ts->active)
		return 0;
	if (ts->depth) {
		ts->depth--;
		return 0;
	}
	ts->active = 0;
	kind = ts->kind;
	size = ts->size;
	if (kind == ML_KIND_REALLOC || kind == ML_KIND_REALLOCARRAY || kind == ML_KIND_RALLOCX) {
		/* realloc frees the old block when it returns a new one, and
		 * when asked for 0 bytes. */
		if (ts->arg && (addr || size == 0) && armed)
			untrack(ts->arg);
	} else if (kind == ML_HOOK_XALLOCX) {
		/* Returns the block's real size: below size when it could not
		 * grow in place (then it is unchanged).  The caller asked for
		 * at most size + extra of it. */
		__u64 want = size + ts->extra < size ? ~0ULL : size + ts->extra;

		if (armed && addr >= size)
			resize(ts->arg, addr < want ? addr : want);
		return 0;
	} else if (kind == ML_KIND_POSIX_MEMALIGN) {
		if ((int)addr != 0 || bpf_probe_read_user(&addr, sizeof(addr), (void *)ts->arg))
			return 0;
	}
	if (!addr || !ts->record)
		return 0;
	record_alloc(ts, task, ctx, addr, size, kind);
	return 0;
}

/* One entry program for every allocator function: the attach cookie says
 * which (so all entries can share one uprobe_multi link). */
SEC("uprobe")
int BPF_KPROBE(alloc_enter_any)
{
	__u64 hook = bpf_get_attach_cookie(ctx), a1 = PT_REGS_PARM1(ctx), a2 = PT_REGS_PARM2(ctx),
	      a3 = PT_REGS_PARM3(ctx), size;

	switch (hook) {
	case ML_HOOK_FREE:
		/* free(p), dallocx(p, flags), sdallocx(p, size, flags).  A free
		 * nested in another allocator's call is no block of ours: its
		 * lookup misses, so no depth check is paid for here. */
		if (is_target() && a1 && armed)
			untrack(a1);
		return 0;
	case ML_KIND_MALLOC:
	case ML_KIND_VALLOC:
	case ML_KIND_MALLOCX: /* mallocx(size, flags) */
		return alloc_enter(ctx, hook, a1, 0, 0);
	case ML_KIND_CALLOC:
		/* on overflow calloc fails: nothing to record */
		return alloc_enter(ctx, hook, mul_or(a1, a2, 0), 0, 0);
	case ML_KIND_REALLOC:
	case ML_KIND_RALLOCX: /* rallocx(ptr, size, flags) */
		return alloc_enter(ctx, hook, a2, a1, 0);
	case ML_KIND_REALLOCARRAY:
		/* on overflow it fails with ENOMEM and the old block stays */
		return alloc_enter(ctx, hook, mul_or(a2, a3, ~0ULL), a1, 0);
	case ML_KIND_POSIX_MEMALIGN:
		return alloc_enter(ctx, hook, a3, a1, 0);
	case ML_KIND_ALIGNED_ALLOC:
	case ML_KIND_MEMALIGN:
		return alloc_enter(ctx, hook, a2, 0, 0);
	case ML_KIND_PVALLOC:
		/* pvalloc rounds up to whole pages (0 becomes one page) */
		size = a1 ? (a1 + page_size - 1) & ~(page_size - 1) : page_size;
		return alloc_enter(ctx, hook, size, 0, 0);
	case ML_HOOK_XALLOCX: /* xallocx(ptr, size, extra, flags) */
		return alloc_enter(ctx, hook, a2, a1, a3);
	}
	return 0;
}

/* ---- address-space growth outside malloc --------------------------------- */

struct unmap_ctx {
	__u64 start, end;
	__u64 moved_hash; /* mremap: stack of the first region found */
	__u64 pending_key;
	struct ml_region pending;
};

static long unmap_cb(struct bpf_map *map, __u64 *key, struct ml_region *r, struct unmap_ctx *c)
{
	__u64 s = *key, e = r->end, removed;
	__s64 count = 0;

	if (e <= c->start || s >= c->end)
		return 0;
	if (!c->moved_hash)
		c->moved_hash = r->stack_hash;
	if (c->start <= s && c->end >= e) {
		removed = e - s;
		count = 1;
		bpf_map_delete_elem(map, key);
	} else if (c->start <= s) {
		/* head trimmed: the rest gets a new key after the walk */
		removed = c->end - s;
		c->pending_key = c->end;
		c->pending = *r;
		bpf_map_delete_elem(map, key);
	} else if (c->end >= e) {
		removed = e - c->start;
		r->end = c->start;
	} else {
		/* split in two */
		removed = c->end - c->start;
		count = -1;
		c->pending_key = c->end;
		c->pending = *r;
		r->end = c->start;
	}
	stack_sub(r->stack_hash, removed, count);
	return 0;
}

static __always_inline void region_unmap(__u64 start, __u64 len, struct unmap_ctx *c)
{
	c->start = start;
	c->end = start + len;
	c->moved_hash = 0;
	c->pending_key = 0;
	bpf_for_each_map_elem(&regions, unmap_cb, c, 0);
	if (c->pending_key && bpf_map_update_elem(&regions, &c->pending_key, &c->pending, BPF_NOEXIST)) {
		drop(ML_DROP_REGIONS_FULL);
		stack_sub(c->pending.stack_hash, c->pending.end - c->pending_key, 1);
	}
}

static __always_inline void region_add(struct thread_state *ts, struct task_struct *task,
				       __u64 start, __u64 len, __u32 kind, __u64 hash)
{
	struct ml_region r = { .end = start + len, .ts_ns = record_time ? bpf_ktime_get_ns() : 0 };
	struct pt_regs *regs;
	struct ml_stack *s;

	if (!len)
		return;
	if (!hash) {
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
		hash = unwind(ts, task, kind, BPF_CORE_READ(regs, ip), BPF_CORE_READ(regs, sp),
			      BPF_CORE_READ(regs, bp));
		s = stack_of(ts, hash);
	} else {
		s = bpf_map_lookup_elem(&stacks, &hash);
	}
	if (!s)
		return;
	r.stack_hash = hash;
	if (bpf_map_update_elem(&regions, &start, &r, BPF_ANY)) {
		drop(ML_DROP_REGIONS_FULL);
		return;
	}
	__sync_fetch_and_add(&s->bytes, len);
	__sync_fetch_and_add(&s->count, 1);
}

static __always_inline __u64 page_round(__u64 len)
{
	return (len + page_size - 1) & ~(page_size - 1);
}

/* ---- growth mode: pages first written, until given back ------------------ */

/* Pages tracked in allocs: a range walk is per page while the range holds
 * fewer pages than this, per tracked page beyond (a munmap of a huge
 * reservation must not loop over terabytes). */
__u64 growth_pages;

struct pages_ctx {
	__u64 start, end;   /* the range given back or moved */
	__s64 delta;        /* mremap: the pages' new address - old; 0: release */
	__u32 moved, lost;
};

/* An entry is one page, or a huge page (size 2 MiB, keyed by its first
 * page: huge_fault_exit): given back whole. */
static __always_inline void page_release_at(__u64 page)
{
	struct ml_alloc *a = bpf_map_lookup_elem(&allocs, &page);
	__u64 hash, size;

	if (!a)
		return;
	hash = a->stack_hash;
	size = a->size;
	if (bpf_map_delete_elem(&allocs, &page) == 0) {
		stack_sub(hash, size, size / page_size);
		__sync_fetch_and_add(&growth_pages, -(__s64)(size / page_size));
	}
}

/* mremap: the page keeps its stack at its new address. */
static __always_inline void page_move_at(__u64 page, struct pages_ctx *c)
{
	struct ml_alloc *a = bpf_map_lookup_elem(&allocs, &page), copy;
	__u64 to = page + c->delta;

	if (!a)
		return;
	copy = *a;
	if (bpf_map_delete_elem(&allocs, &page))
		return;
	if (bpf_map_update_elem(&allocs, &to, &copy, BPF_ANY)) {
		stack_sub(copy.stack_hash, copy.size, copy.size / page_size);
		__sync_fetch_and_add(&growth_pages, -(__s64)(copy.size / page_size));
		c->lost++;
		return;
	}
	c->moved++;
}

static long pages_step(__u32 i, struct pages_ctx *c)
{
	__u64 page = c->start + (__u64)i * page_size;

	if (page >= c->end)
		return 1;
	if (c->delta)
		page_move_at(page, c);
	else
		page_release_at(page);
	return 0;
}

static long pages_scan(struct bpf_map *map, __u64 *key, struct ml_alloc *a, struct pages_ctx *c)
{
	if (*key >= c->start && *key < c->end)
		page_release_at(*key);
	return 0;
}

/* The pages of [start, start + len) are gone (munmap, MADV_DONTNEED, a
 * shrinking brk, a MAP_FIXED mapping over them, exec). */
static __always_inline void pages_release(__u64 start, __u64 len)
{
	struct pages_ctx c = { .start = start & ~(page_size - 1) };
	__u64 n;

	c.end = start + len < start ? ~0ULL : start + len;
	n = (c.end - c.start) / page_size;
	if (n <= growth_pages && n < (1U << 23))
		bpf_loop((__u32)n, pages_step, &c, 0);
	else
		bpf_for_each_map_elem(&allocs, pages_scan, &c, 0);
}

/* mremap moved [old, old + len) to new (the kernel never moves onto an
 * overlapping range).  Page by page: moving entries while walking the
 * map could meet a moved one again.  Past 8M pages (32 GiB) the pages are
 * released instead, counted as a drop. */
static __always_inline void pages_move(__u64 old, __u64 len, __u64 new)
{
	struct pages_ctx c = { .start = old, .end = old + len, .delta = (__s64)(new - old) };
	__u64 n = len / page_size;

	if (new == old || !len)
		return;
	if (n > (1U << 23)) {
		pages_release(old, len);
		drop(ML_DROP_ALLOCS_FULL);
		return;
	}
	bpf_loop((__u32)n, pages_step, &c, 0);
	if (c.lost)
		drop(ML_DROP_ALLOCS_FULL);
}

/* x86: exceptions:page_fault_user, before the fault is handled. */
struct page_fault_args {
	__u64 common;
	__u64 address;
	__u64 ip;
	__u64 error_code;
};

/* A write to a page of the target not yet seen: the page becomes resident
 * (or, on a present page, a private copy: the zero page's first write,
 * copy-on-write after fork).  Read faults map the zero page or page
 * cache: no private memory.  A page already tracked keeps its first
 * writer; one the fault fails to provide is given back by the munmap or
 * exit that follows. */
SEC("tracepoint/exceptions/page_fault_user")
int page_fault(struct page_fault_args *ctx)
{
	struct ml_alloc a = { .size = page_size }, *old;
	struct task_struct *task;
	struct thread_state *ts;
	struct pt_regs *regs;
	struct ml_stack *s;
	__u64 page;
	int err;

	if (!growth || !is_target() || !armed || !(ctx->error_code & X86_PF_WRITE))
		return 0;
	page = ctx->address & ~(page_size - 1);
	old = bpf_map_lookup_elem(&allocs, &page);
	if (old)
		return 0;
	ts = thread_state(true);
	if (!ts)
		return 0;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	a.stack_hash = unwind(ts, task, ML_KIND_FAULT, BPF_CORE_READ(regs, ip), BPF_CORE_READ(regs, sp),
			      BPF_CORE_READ(regs, bp));
	if (record_time)
		a.ts_ns = bpf_ktime_get_ns();
	s = stack_of(ts, a.stack_hash);
	if (!s)
		return 0;
	err = bpf_map_update_elem(&allocs, &page, &a, BPF_NOEXIST);
	if (err) {
		if (err != -17) /* EEXIST: another thread's fault on it won */
			drop(ML_DROP_ALLOCS_FULL);
		return 0;
	}
	__sync_fetch_and_add(&growth_pages, 1);
	__sync_fetch_and_add(&s->bytes, page_size);
	__sync_fetch_and_add(&s->count, 1);
	if (bpf_map_lookup_elem(&stacks, &a.stack_hash) != s)
		drop(ML_DROP_PRUNE_RACE);
	return 0;
}

#define HPAGE_PMD_SIZE (2ULL << 20) /* x86_64 */
#define FAULT_FLAG_WRITE 1

/* A write fault that mapped a transparent huge page: the page recorded
 * by page_fault for it is 2 MiB, not 4 KiB.  (fexit: no tracepoint says
 * which size a fault got; where it does not load the page counts 4 KiB,
 * and -v says so.) */
SEC("fexit/do_huge_pmd_anonymous_page")
int BPF_PROG(huge_fault_exit, struct vm_fault *vmf, vm_fault_t ret)
{
	__u64 addr, page, huge, extra;
	struct ml_alloc *a, copy;

	/* ret: 0 mapped one; VM_FAULT_FALLBACK (4 KiB pages follow) or an
	 * error mapped none */
	if (!growth || !is_target() || !armed || ret || !(BPF_CORE_READ(vmf, flags) & FAULT_FLAG_WRITE))
		return 0;
	addr = BPF_CORE_READ(vmf, address);
	page = addr & ~(page_size - 1);
	huge = addr & ~(HPAGE_PMD_SIZE - 1);
	a = bpf_map_lookup_elem(&allocs, &page);
	if (!a || a->size != page_size)
		return 0;
	copy = *a;
	copy.size = HPAGE_PMD_SIZE;
	if (page != huge) {
		if (bpf_map_update_elem(&allocs, &huge, &copy, BPF_NOEXIST))
			return 0;
		bpf_map_delete_elem(&allocs, &page);
	} else {
		a->size = HPAGE_PMD_SIZE;
	}
	extra = HPAGE_PMD_SIZE - page_size;
	__sync_fetch_and_add(&growth_pages, extra / page_size);
	a = bpf_map_lookup_elem(&allocs, &huge);
	if (a) {
		struct ml_stack *st = bpf_map_lookup_elem(&stacks, &copy.stack_hash);

		if (st) {
			__sync_fetch_and_add(&st->bytes, extra);
			__sync_fetch_and_add(&st->count, extra / page_size);
		}
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_madvise")
int sys_enter_madvise(struct trace_event_raw_sys_enter *ctx)
{
	struct thread_state *ts;
	__u64 advice = ctx->args[2];

	/* MADV_FREE is not a release: the pages stay resident, and a write
	 * reuses them without a fault until reclaim takes them. */
	if (!growth || !is_target() || !armed ||
	    (advice != MADV_DONTNEED && advice != MADV_REMOVE && advice != MADV_DONTNEED_LOCKED))
		return 0;
	ts = thread_state(true);
	if (!ts)
		return 0;
	ts->sys_pending = 1;
	ts->sys_kind = SYS_MADVISE;
	ts->sys_args[0] = ctx->args[0];
	ts->sys_args[1] = ctx->args[1];
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int sys_exit_madvise(struct trace_event_raw_sys_exit *ctx)
{
	struct thread_state *ts;

	if (!growth || !is_target())
		return 0;
	ts = thread_state(false);
	if (!ts || !ts->sys_pending || ts->sys_kind != SYS_MADVISE)
		return 0;
	ts->sys_pending = 0;
	/* DONTNEED may have dropped part of the range before an error */
	pages_release(ts->sys_args[0], page_round(ts->sys_args[1]));
	return 0;
}

/* Syscalls made by the allocator itself are already accounted as heap. */
static __always_inline struct thread_state *syscall_state(void)
{
	struct thread_state *ts;

	if (!trace_mmap || !is_target() || !armed)
		return NULL;
	ts = thread_state(true);
	if (!ts || ts->active)
		return NULL;
	return ts;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int sys_enter_mmap(struct trace_event_raw_sys_enter *ctx)
{
	struct thread_state *ts;

	if (!is_target())
		return 0;
	/* Only MAP_FIXED (dlopen's segments) can replace a cached mapping;
	 * other new mappings are simply not cached yet. */
	if (ctx->args[3] & MAP_FIXED)
		maps_changing(ctx->args[0], ctx->args[1]);
	ts = syscall_state();
	if (!ts)
		return 0;
	ts->sys_pending = 0;
	ts->exec_map = !(ctx->args[3] & MAP_ANONYMOUS) && (ctx->args[2] & PROT_EXEC);
	if (growth) {
		/* New mappings grow by their faults; a fixed one replaces the
		 * pages under it, file-backed or not. */
		ts->sys_args[0] = ctx->args[1];
		ts->sys_args[1] = ctx->args[3];
		ts->sys_pending = !!(ctx->args[3] & MAP_FIXED);
		ts->sys_kind = SYS_MMAP;
		return 0;
	}
	if (!(ctx->args[3] & MAP_ANONYMOUS)) {
		ts->sys_args[0] = ctx->args[1]; /* len, for the exec_map event */
		return 0;
	}
	ts->sys_pending = 1;
	ts->sys_kind = SYS_MMAP;
	ts->sys_args[0] = ctx->args[1]; /* len */
	ts->sys_args[1] = ctx->args[3]; /* flags */
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int sys_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	struct thread_state *ts = syscall_state();
	struct unmap_ctx c = {};
	__u64 addr = ctx->ret, len;

	if (!ts)
		return 0;
	if (ts->exec_map) {
		ts->exec_map = 0;
		if (addr < (__u64)-MAX_ERRNO)
			request_capture(addr, page_round(ts->sys_args[0]));
	}
	if (!ts->sys_pending || ts->sys_kind != SYS_MMAP)
		return 0;
	ts->sys_pending = 0;
	if (addr >= (__u64)-MAX_ERRNO)
		return 0;
	len = page_round(ts->sys_args[0]);
	if (growth) {
		pages_release(addr, len);
		return 0;
	}
	if (ts->sys_args[1] & MAP_FIXED)
		region_unmap(addr, len, &c);
	region_add(ts, bpf_get_current_task_btf(), addr, len, ML_KIND_MMAP, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int sys_enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	struct thread_state *ts;

	if (!is_target() || !trace_mmap)
		return 0;
	maps_changing(ctx->args[0], ctx->args[1]);
	ts = thread_state(true);
	if (!ts)
		return 0;
	ts->sys_pending = 1;
	ts->sys_kind = SYS_MUNMAP;
	ts->sys_args[0] = ctx->args[0];
	ts->sys_args[1] = ctx->args[1];
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int sys_exit_munmap(struct trace_event_raw_sys_exit *ctx)
{
	struct thread_state *ts;
	struct unmap_ctx c = {};

	if (!is_target() || !trace_mmap)
		return 0;
	ts = thread_state(false);
	if (!ts || !ts->sys_pending || ts->sys_kind != SYS_MUNMAP)
		return 0;
	ts->sys_pending = 0;
	if (ctx->ret == 0 && growth)
		pages_release(ts->sys_args[0], page_round(ts->sys_args[1]));
	else if (ctx->ret == 0)
		region_unmap(ts->sys_args[0], page_round(ts->sys_args[1]), &c);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int sys_enter_mremap(struct trace_event_raw_sys_enter *ctx)
{
	struct thread_state *ts;

	if (!is_target())
		return 0;
	maps_changing(ctx->args[0], ctx->args[1]);
	if (ctx->args[3] & MREMAP_FIXED)
		maps_changing(ctx->args[4], ctx->args[2]);
	ts = syscall_state();
	if (!ts)
		return 0;
	ts->sys_pending = 1;
	ts->sys_kind = SYS_MREMAP;
	ts->sys_args[0] = ctx->args[0]; /* old address */
	ts->sys_args[1] = ctx->args[1]; /* old length */
	ts->sys_args[2] = ctx->args[2]; /* new length */
	ts->sys_args[3] = ctx->args[3]; /* flags */
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int sys_exit_mremap(struct trace_event_raw_sys_exit *ctx)
{
	struct thread_state *ts = syscall_state();
	__u64 addr = ctx->ret, old, old_len, new_len;
	struct unmap_ctx c = {};

	if (!ts || !ts->sys_pending || ts->sys_kind != SYS_MREMAP)
		return 0;
	ts->sys_pending = 0;
	if (addr >= (__u64)-MAX_ERRNO)
		return 0;
	old = ts->sys_args[0];
	old_len = page_round(ts->sys_args[1]);
	new_len = page_round(ts->sys_args[2]);
	if (growth) {
		/* A shrink unmaps the tail; the rest keeps its pages, moved
		 * or not (MREMAP_DONTUNMAP too: the old range is left empty). */
		if (new_len < old_len)
			pages_release(old + new_len, old_len - new_len);
		pages_move(old, new_len < old_len ? new_len : old_len, addr);
		return 0;
	}
	if (!(ts->sys_args[3] & MREMAP_DONTUNMAP))
		region_unmap(old, old_len, &c);
	if (c.moved_hash)
		/* a tracked region moved or resized: it keeps its stack */
		region_add(ts, bpf_get_current_task_btf(), addr, new_len, ML_KIND_MREMAP, c.moved_hash);
	else if (new_len > old_len)
		/* untracked memory grew: only the growth is new */
		region_add(ts, bpf_get_current_task_btf(), addr + old_len, new_len - old_len,
			   ML_KIND_MREMAP, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_brk")
int sys_enter_brk(struct trace_event_raw_sys_enter *ctx)
{
	struct thread_state *ts = syscall_state();
	struct task_struct *task;

	if (!ts)
		return 0;
	task = bpf_get_current_task_btf();
	ts->sys_pending = 1;
	ts->sys_kind = SYS_BRK;
	ts->sys_args[0] = BPF_CORE_READ(task, mm, brk);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_brk")
int sys_exit_brk(struct trace_event_raw_sys_exit *ctx)
{
	struct thread_state *ts = syscall_state();
	__u64 old, now = ctx->ret;
	struct unmap_ctx c = {};

	if (!ts || !ts->sys_pending || ts->sys_kind != SYS_BRK)
		return 0;
	ts->sys_pending = 0;
	old = ts->sys_args[0];
	if (growth) {
		/* the pages past the new break, whole pages only */
		if (now < old)
			pages_release(page_round(now), page_round(old) - page_round(now));
		return 0;
	}
	if (now > old)
		region_add(ts, bpf_get_current_task_btf(), old, now - old, ML_KIND_BRK, 0);
	else if (now < old)
		region_unmap(now, old - now, &c);
	return 0;
}

static long forget_alloc(struct bpf_map *map, __u64 *key, struct ml_alloc *a, void *ctx)
{
	__u64 hash = a->stack_hash, size = a->size;

	if (bpf_map_delete_elem(map, key) == 0)
		stack_sub(hash, size, growth ? size / page_size : 1);
	return 0;
}

static long forget_region(struct bpf_map *map, __u64 *key, struct ml_region *r, void *ctx)
{
	__u64 hash = r->stack_hash, len = r->end - *key;

	if (bpf_map_delete_elem(map, key) == 0)
		stack_sub(hash, len, 1);
	return 0;
}

/* -c: the child is traced from its exec on; what it did before (our own
 * code in the forked child) is not its program's doing. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!is_target())
		return 0;
	__sync_fetch_and_add(&maps_gen, 1);
	/* Exec freed the old image's whole address space: its blocks,
	 * regions and pages are no leaks of the new one.  (-c arms here: its
	 * first exec had nothing before it.) */
	if (armed) {
		bpf_for_each_map_elem(&allocs, forget_alloc, NULL, 0);
		bpf_for_each_map_elem(&regions, forget_region, NULL, 0);
		growth_pages = 0;
	}
	armed = 1;
	request_capture(0, 0); /* the new executable and its interpreter */
	return 0;
}

/* The target's executable file mappings with the kernel's (dev, ino), so
 * userspace can key modules (and load their rows) before any stack needs
 * them, also where that identity is not visible from /proc (overlay). */
SEC("iter/task_vma")
int exec_vmas(struct bpf_iter__task_vma *ctx)
{
	struct vm_area_struct *vma = ctx->vma;
	struct task_struct *task = ctx->task;
	struct ml_vma_rec rec;
	struct file *f;

	/* the leader only: threads share its mm */
	if (!task || !vma || task->pid != target_tgid || !(vma->vm_flags & VM_EXEC))
		return 0;
	f = vma->vm_file;
	if (!f)
		return 0;
	rec.start = vma->vm_start;
	rec.end = vma->vm_end;
	rec.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	rec.ino = BPF_CORE_READ(f, f_inode, i_ino);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
