// SPDX-License-Identifier: GPL-2.0
/* memleakbpf shmem: attribute every page added to a shmem inode (tmpfs,
 * memfd, SysV, shared anonymous) to the task that caused it.
 *
 * Three hook sets; userspace (src/shmem.c) loads the first that loads and
 * attaches, in this order:
 *  - fentry/fexit on the shmem functions, where the kernel allows it (the
 *    only precise set on Debian 12's 6.1 and 6.12, which have no
 *    memcg:mod_memcg_lruvec_state tracepoint);
 *  - tracepoints (6.18 here refuses fentry): a task's last movable page
 *    allocation (kmem:mm_page_alloc) is taken as the new shmem folio when
 *    NR_SHMEM grows in that same task (memcg:mod_memcg_lruvec_state fires
 *    synchronously inside shmem_add_to_page_cache, after folio->mapping and
 *    folio->index are set); removal at filemap:mm_filemap_delete_from_page_cache
 *    (all BTF-typed tracepoints: nothing needs tracefs);
 *  - mm_lru_insertion as last resort (writers may be wrong).
 * Adds are coalesced per CPU into runs of consecutive pages (one
 * ring-buffer record per run), deletes go out as one record per folio,
 * ordered against the runs by a removal clock (include/shmem.h, struct
 * shmem_run); userspace keeps the page table.
 *
 * Measured on 6.18 (tests/e2e/shmem-accounting.sh holds the cases):
 *  - filemap:mm_filemap_add_to_page_cache never fires for shmem, and LRU
 *    insertion is batched per CPU (late, often in another task), so neither
 *    can name the writer;
 *  - compaction within a zone moves shmem folios with no NR_SHMEM change
 *    and no delete: keys by file position make it a non-event;
 *  - a tmpfs huge=always file is added as order-9 folios (one NR_SHMEM
 *    +512) and a partial truncate splits and deletes the tail pages one by
 *    one, all of which the per-page keys follow exactly.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "core_fixes.bpf.h"
#include "shmem.h"

char LICENSE[] SEC("license") = "GPL";

#define TMPFS_MAGIC 0x01021994
#define EBUSY 16
/* Low bits of folio->mapping tag anon/KSM/movable-ops folios. */
#define MAPPING_FLAGS 0x3UL

const volatile bool want_stacks = false;
/* Benchmark floor (scripts/bench-shmem): every program returns at once,
 * so the cost of the hooks themselves can be told from ours.  Read-only
 * data: the verifier drops the rest of each program as dead code. */
const volatile bool empty_progs = false;
/* Coalesce adds into per-CPU runs (MEMLEAKBPF_SHMEM_NO_COALESCE=1 turns
 * it off, for benchmarks: one record per folio). */
const volatile bool coalesce = true;

/* The removal clock (include/shmem.h): incremented by every delete that
 * is sent, read by every add.  Userspace reads it too (.bss is mmapped). */
__u64 del_clock = 0;

/* Each CPU's pending run of adds.  Only the add program of the hook set
 * in use (tp_lruvec_state or fx_add_to_page_cache) touches it, and a
 * program does not run twice at once on one CPU (the kernel's per-CPU
 * recursion guard of each program), so no lock is needed.  Deletes never
 * touch it: the clock orders them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct shmem_run);
} runs SEC(".maps");

/* Sized from options by userspace before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* --stacks: new writers only, read by a thread of their own, so that a
 * writer's mappings are copied while it lives even when the main loop is
 * busy with a report (a dd lives about a millisecond). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} writer_events SEC(".maps");

/* Devices that have had shmem pages added: deletes on other filesystems
 * are dropped here instead of crossing to userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} devs SEC(".maps");

/* Pages per inode whose add event was lost (LRU: bounded, the oldest
 * inodes go first; the global counter stays exact). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct shmem_inode_key);
	__type(value, __u64);
} dropped_adds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct shmem_writer_key);
	__type(value, struct shmem_writer_val);
} writers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, SHMEM_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHC_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per thread: the last movable allocation, waiting for NR_SHMEM, and the
 * writer id of the last add, valid while comm and css_set are unchanged
 * (interning a writer costs more than the rest of an add). */
struct alloc_slot {
	struct page *page;
	__u32 order;
	__u32 wid;
	__u64 css_set;
	__u64 comm[SHMEM_COMM_LEN / 8];
	__u32 last_dev;		/* already in the devs table */
	__u32 neg_pending;	/* NR_SHMEM just fell by this much here */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct alloc_slot);
} slots SEC(".maps");

/* Writer ids come from a per-CPU sequence (cpu in the low 10 bits): an
 * atomic fetch-add needs -mcpu=v3, which the build does not assume. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} wid_seq SEC(".maps");

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += n;
}

/* A lost add: counted, and remembered per inode (see dropped_adds). */
static __always_inline void drop_add(__u32 dev, __u64 ino, __u32 nr)
{
	struct shmem_inode_key k = { .dev = dev, .ino = ino };
	__u64 *v, n = nr;

	count(SHC_DROP_EVENTS, nr);
	v = bpf_map_lookup_elem(&dropped_adds, &k);
	if (v)
		__sync_fetch_and_add(v, n);
	else
		bpf_map_update_elem(&dropped_adds, &k, &n, BPF_NOEXIST);
}

static __always_inline void emit(__u32 type, __u32 dev, __u64 ino, __u64 index, __u32 nr,
				 __u32 wid, __u64 seq)
{
	struct shmem_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		if (type == SHMEM_EV_ADD)
			drop_add(dev, ino, nr);
		else
			count(SHC_DROP_EVENTS, nr);
		return;
	}
	e->type = type;
	e->dev = dev;
	e->ino = ino;
	e->index = index;
	e->nr = nr;
	e->wid = wid;
	e->seq = seq;
	/* Userspace drains on a timer: a wakeup per page would cost more
	 * than the record itself. */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* A new writer, with a wakeup: its mappings must be copied before it
 * exits.  Lost (ring full), its frames stay addresses: counted. */
/* A new writer's event, built here (too large for the stack, and
 * bpf_find_vma's callback context must be the stack), with its user
 * stack read again to find the mappings of its frames. */
struct writer_scratch {
	struct shmem_writer_event e;
	__u64 ips[SHMEM_STACK_DEPTH];
	__u32 nips;
	__u32 busy;	/* bpf_find_vma said -EBUSY: finish later */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct writer_scratch);
} writer_scratch SEC(".maps");

/* Writers whose frames' mappings could not all be read at the add, per
 * thread.  The tracepoint hook sets fire with interrupts off (under the
 * xarray's or the LRU's irq lock), where bpf_find_vma leaves mmap_lock's
 * unlock to an irq_work and refuses a second call (-EBUSY) until that
 * has run: the first mapping is read there, the rest at the thread's next
 * page allocation (kmem:mm_page_alloc, interrupts on), sent as a second
 * event for the same writer. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct writer_scratch);
} writer_pending SEC(".maps");

/* Entries in writer_pending, roughly: the page allocation hook looks only
 * while some are. */
__u32 writers_pending = 0;

static long vma_found(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct writer_scratch *ws;
	struct file *file;
	struct shmem_vma *v;
	__u32 zero = 0, n;

	(void)task;
	(void)data;
	ws = bpf_map_lookup_elem(&writer_scratch, &zero);
	file = BPF_CORE_READ(vma, vm_file);
	if (!ws || !file)
		return 0;
	n = ws->e.nvma;
	if (n >= SHMEM_WRITER_VMAS)
		return 0;
	v = &ws->e.vma[n];
	v->start = BPF_CORE_READ(vma, vm_start);
	v->end = BPF_CORE_READ(vma, vm_end);
	v->off = BPF_CORE_READ(vma, vm_pgoff) << 12;
	v->ino = BPF_CORE_READ(file, f_inode, i_ino);
	v->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	v->pad = 0;
	bpf_probe_read_kernel_str(v->name, sizeof(v->name),
				  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	ws->e.nvma = n + 1;
	return 0;
}

/* One frame (bpf_loop): its mapping, unless a frame before had it. */
static long walk_frame(__u32 i, void *data)
{
	struct writer_scratch *ws;
	__u32 zero = 0, j, n;
	__u64 ip;
	int ctx = 0;

	(void)data;
	ws = bpf_map_lookup_elem(&writer_scratch, &zero);
	if (!ws || i >= ws->nips || i >= SHMEM_STACK_DEPTH)
		return 1;
	n = ws->e.nvma;
	if (n >= SHMEM_WRITER_VMAS)
		return 1;
	ip = ws->ips[i];
	for (j = 0; j < SHMEM_WRITER_VMAS && j < n; j++)
		if (ip >= ws->e.vma[j].start && ip < ws->e.vma[j].end)
			return 0;
	if (bpf_find_vma(bpf_get_current_task_btf(), ip, vma_found, &ctx, 0) == -EBUSY) {
		ws->busy = 1;
		return 1;
	}
	return 0;
}

/* Sends the scratch writer event; keeps it for later when a mapping was
 * refused for now. */
static __always_inline void send_writer(struct writer_scratch *ws, __u32 tid)
{
	/* userspace reads vma[0..nvma) only */
	if (bpf_ringbuf_output(&writer_events, &ws->e, sizeof(ws->e), BPF_RB_FORCE_WAKEUP))
		count(SHC_DROP_WRITER_EVENTS, 1);
	if (ws->busy && bpf_map_update_elem(&writer_pending, &tid, ws, BPF_ANY) == 0)
		__sync_fetch_and_add(&writers_pending, 1);
}

/* Once per writer: its tgid, and the mappings of its stack's frames,
 * which userspace needs after the writer has exited. */
static __always_inline void emit_writer(void *ctx, __u32 tgid, __u32 wid)
{
	struct writer_scratch *ws;
	__u32 zero = 0;
	long sz;

	ws = bpf_map_lookup_elem(&writer_scratch, &zero);
	if (!ws)
		return;
	ws->e.type = SHMEM_EV_WRITER;
	ws->e.tgid = tgid;
	ws->e.wid = wid;
	ws->e.nvma = 0;
	ws->busy = 0;
	sz = bpf_get_stack(ctx, ws->ips, sizeof(ws->ips), BPF_F_USER_STACK);
	ws->nips = sz > 0 ? sz / sizeof(__u64) : 0;
	if (ws->nips)
		bpf_loop(SHMEM_STACK_DEPTH, walk_frame, NULL, 0);
	send_writer(ws, (__u32)bpf_get_current_pid_tgid());
}

/* The current thread's writer left pending (writer_pending), if any:
 * the rest of its mappings, now that interrupts are on. */
static __always_inline void finish_pending_writer(void)
{
	struct writer_scratch *ws, *p;
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();

	if (!writers_pending)
		return;
	p = bpf_map_lookup_elem(&writer_pending, &tid);
	ws = bpf_map_lookup_elem(&writer_scratch, &zero);
	if (!p || !ws)
		return;
	if (bpf_probe_read_kernel(ws, sizeof(*ws), p))
		return;
	if (bpf_map_delete_elem(&writer_pending, &tid) == 0)
		__sync_fetch_and_add(&writers_pending, -1);
	ws->busy = 0;
	bpf_loop(SHMEM_STACK_DEPTH, walk_frame, NULL, 0);
	send_writer(ws, tid);
}

static __always_inline __u64 memcg_v1_ino(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return 0;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return 0;
	return BPF_CORE_READ(task, cgroups, subsys[id], cgroup, kn, id);
}

static __always_inline __u32 writer_id(void *ctx)
{
	struct shmem_writer_key k = {};
	struct shmem_writer_val nv = {}, *v;
	__u32 zero = 0, *seq;
	long sid;

	k.tgid = bpf_get_current_pid_tgid() >> 32;
	k.cgid = bpf_get_current_cgroup_id();
	k.memcg_ino = memcg_v1_ino();
	k.stack_id = -1;
	if (want_stacks) {
		sid = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (sid >= 0)
			k.stack_id = sid;
		else
			count(SHC_DROP_STACKS, 1);
	}
	bpf_get_current_comm(k.comm, sizeof(k.comm));

	v = bpf_map_lookup_elem(&writers, &k);
	if (v)
		return v->wid;
	seq = bpf_map_lookup_elem(&wid_seq, &zero);
	if (!seq)
		return SHMEM_WID_UNKNOWN;
	*seq += 1;
	nv.wid = (*seq << 10) | (bpf_get_smp_processor_id() & 0x3ff);
	if (bpf_map_update_elem(&writers, &k, &nv, BPF_NOEXIST) == 0) {
		/* Once per writer: lets userspace copy the writer's mappings
		 * while it lives, to symbolize its stacks after it exits. */
		if (want_stacks)
			emit_writer(ctx, k.tgid, nv.wid);
		return nv.wid;
	}
	/* Not used: a full table must not run the sequence into a wrap. */
	*seq -= 1;
	/* Another CPU interned the same writer first, or the table is full. */
	v = bpf_map_lookup_elem(&writers, &k);
	if (v)
		return v->wid;
	count(SHC_DROP_WRITERS, 1);
	return SHMEM_WID_UNKNOWN;
}

/* The task's side of its writer key but the tgid (the css_set gives both
 * cgroup ids): what a cached writer id (alloc_slot) or a pending run
 * (shmem_run) keeps to tell that the current task is still the same writer.
 * Plain loads from the trusted current task: a helper call each would cost
 * more than the whole comparison. */
static __always_inline bool same_task_key(struct task_struct *task, __u64 css_set,
					  const __u64 *comm)
{
	return css_set == (__u64)task->cgroups && comm[0] == *(__u64 *)&task->comm[0] &&
	       comm[1] == *(__u64 *)&task->comm[8];
}

static __always_inline void keep_task_key(struct task_struct *task, __u64 *css_set, __u64 *comm)
{
	*css_set = (__u64)task->cgroups;
	comm[0] = *(__u64 *)&task->comm[0];
	comm[1] = *(__u64 *)&task->comm[8];
}

static __always_inline __u32 cached_writer_id(void *ctx, struct alloc_slot *s)
{
	struct task_struct *task = bpf_get_current_task_btf();

	/* A stack differs per add: nothing to cache. */
	if (want_stacks)
		return writer_id(ctx);
	if (s->wid && same_task_key(task, s->css_set, s->comm))
		return s->wid;
	s->wid = writer_id(ctx);
	keep_task_key(task, &s->css_set, s->comm);
	return s->wid;
}

/* (dev, ino) of a folio's inode when it is a shmem inode, else false. */
static __always_inline bool shmem_folio_id(struct folio *folio, __u32 *dev, __u64 *ino,
					   __u64 *index)
{
	struct address_space *mapping = BPF_CORE_READ(folio, mapping);
	struct super_block *sb;
	struct inode *host;

	if (!mapping || ((unsigned long)mapping & MAPPING_FLAGS))
		return false;
	host = BPF_CORE_READ(mapping, host);
	if (!host)
		return false;
	sb = BPF_CORE_READ(host, i_sb);
	if (BPF_CORE_READ(sb, s_magic) != TMPFS_MAGIC)
		return false;
	*dev = BPF_CORE_READ(sb, s_dev);
	*ino = BPF_CORE_READ(host, i_ino);
	*index = BPF_CORE_READ(folio, index);
	return true;
}

/* Weak: the kfunc exists from v6.2 (commit fd264ca02094 "bpf: Add a
 * kfunc to type cast from bpf uapi ctx to kernel ctx"), and a strong
 * extern that the kernel lacks fails the whole object at load, fentry
 * programs included.  Only tp_lruvec_state calls it, and that tracepoint
 * (memcg:mod_memcg_lruvec_state) exists only on kernels that have the
 * kfunc: userspace never loads that program elsewhere. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* Same as shmem_folio_id for a folio known only as a number (kept in task
 * storage): the kernel's read-only cast (v6.2+) turns the field reads into
 * plain loads, each far cheaper than a bpf_probe_read_kernel call on this,
 * the hottest path.  Only the tagged mapping word goes through the helper,
 * since its low bits must be tested as a number. */
static __always_inline bool shmem_folio_id_fast(struct page *page, __u32 *dev, __u64 *ino,
						__u64 *index)
{
	struct folio *folio = bpf_rdonly_cast(page, bpf_core_type_id_kernel(struct folio));
	struct address_space *mapping;
	unsigned long m = 0;
	struct inode *host;
	struct super_block *sb;

	if (bpf_probe_read_kernel(&m, sizeof(m), (void *)page +
				  bpf_core_field_offset(struct folio, mapping)) ||
	    !m || (m & MAPPING_FLAGS))
		return false;
	mapping = bpf_rdonly_cast((void *)m, bpf_core_type_id_kernel(struct address_space));
	host = mapping->host;
	if (!host)
		return false;
	sb = host->i_sb;
	if (!sb || sb->s_magic != TMPFS_MAGIC)
		return false;
	*dev = sb->s_dev;
	*ino = host->i_ino;
	*index = folio->index;
	return true;
}

/* Page count of a folio: folio->flags holds PG_head for large folios;
 * the order is folio->_folio_order before v6.4 and the low byte of the
 * first tail's flags (_flags_1) since (see core_fixes.bpf.h). */
static __always_inline __u32 folio_pages(struct folio *folio)
{
	int head = bpf_core_enum_value(enum pageflags, PG_head);
	unsigned long flags = folio_flags_word(folio);

	if (!(flags & (1UL << head)))
		return 1;
	return 1u << folio_order_large(folio);
}

/* The clock as an add reads it: one plain load. */
static __always_inline __u64 clock_now(void)
{
	return *(volatile __u64 *)&del_clock;
}

/* The pending run r ends just before page index, and may take nr more
 * pages: the clock did not move since it began (now is the clock's value). */
static __always_inline bool run_reaches(struct shmem_run *r, __u64 index, __u32 nr, __u64 now)
{
	return r->nr && r->first + r->nr == index && r->seq == now &&
	       r->nr <= SHMEM_MAX_RUN_PAGES - nr;
}

/* An add of nr pages from index, its device already in the devs table.
 * It extends this CPU's pending run when it is the run's next page, from
 * the same writer, and no delete was sent since the run began (the clock
 * did not move: every page of a run has the same clock value, which is
 * what lets userspace order deletes against it).  Anything else sends the
 * pending run and starts a new one.  A run that cannot be sent counts as
 * dropped adds of its inode, page for page, as a single add would. */
static __always_inline void add_pages(void *mapping, __u32 dev, __u64 ino, __u64 index, __u32 nr,
				      __u32 wid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 now = clock_now();
	struct shmem_run *r;
	__u32 zero = 0;

	r = coalesce ? bpf_map_lookup_elem(&runs, &zero) : NULL;
	if (!r) {
		emit(SHMEM_EV_ADD, dev, ino, index, nr, wid, now);
		return;
	}
	if (run_reaches(r, index, nr, now) && r->ino == ino && r->dev == dev && r->wid == wid) {
		r->nr += nr;
		return;
	}
	/* Sent before the slot is reused: a report reading the slots may
	 * see the run twice (in the slot and in the ring), never zero times;
	 * userspace recognises its own copy by the clock value. */
	if (r->nr)
		emit(SHMEM_EV_ADD, r->dev, r->ino, r->first, r->nr, r->wid, r->seq);
	/* Seen by a report half replaced, the slot would name pages of one
	 * run in another's inode: gen is odd meanwhile (struct shmem_run). */
	r->gen++;
	barrier();
	*r = (struct shmem_run){ .ino = ino, .first = index, .seq = now, .dev = dev, .nr = nr,
				 .wid = wid, .gen = r->gen, .mapping = (__u64)mapping,
				 .tgid = task->tgid };
	keep_task_key(task, &r->css_set, r->comm);
	barrier();
	r->gen++;
}

/* A delete: the clock moves first, then the record carries its value. */
static __always_inline void emit_del(__u32 dev, __u64 ino, __u64 index, __u32 nr)
{
	emit(SHMEM_EV_DEL, dev, ino, index, nr, 0, __sync_add_and_fetch(&del_clock, 1));
}

/* False when the device could not be recorded (the add is then dropped:
 * its deletes would be filtered out and the pages never leave). */
static __always_inline bool record_dev(__u32 dev, __u64 ino, __u32 nr)
{
	__u8 one = 1;

	/* (int): before 6.4 a map update's error comes back in eax only */
	if (!bpf_map_lookup_elem(&devs, &dev) &&
	    (int)bpf_map_update_elem(&devs, &dev, &one, BPF_NOEXIST) == -7 /* E2BIG */) {
		drop_add(dev, ino, nr);
		return false;
	}
	return true;
}

static __always_inline bool emit_add(void *mapping, __u32 dev, __u64 ino, __u64 index, __u32 nr,
				     __u32 wid)
{
	if (!record_dev(dev, ino, nr))
		return false;
	add_pages(mapping, dev, ino, index, nr, wid);
	return true;
}

/* The LRU fallback's add: never coalesced (its program is not the one
 * that owns the runs). */
static __always_inline void emit_lru_add(__u32 dev, __u64 ino, __u64 index, __u32 nr, __u32 wid)
{
	if (record_dev(dev, ino, nr))
		emit(SHMEM_EV_ADD, dev, ino, index, nr, wid, clock_now());
}

/* ---- tracepoint design ---- */

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(tp_page_alloc, struct page *page, unsigned int order, gfp_t gfp, int migratetype)
{
	struct alloc_slot *s;

	if (empty_progs)
		return 0;
	if (want_stacks)
		finish_pending_writer();

	/* shmem folios come from GFP_HIGHUSER_MOVABLE; slab pages taken on
	 * the way (xarray nodes) are unmovable and must not replace them. */
	if (!page || migratetype != bpf_core_enum_value(enum migratetype, MIGRATE_MOVABLE))
		return 0;
	s = bpf_task_storage_get(&slots, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s)
		return 0;
	s->page = page;
	s->order = order;
	s->neg_pending = 0;
	return 0;
}

/* --stacks on the tracepoint sets: a writer that allocated no page after
 * its first add (bpf/shmem.bpf.c, writer_pending) has the rest of its
 * mappings read as it exits, where its mm is still there on the kernels
 * that fire this before exit_mm (elsewhere the event adds nothing). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_writer_exit)
{
	if (want_stacks && !empty_progs)
		finish_pending_writer();
	return 0;
}

SEC("tp_btf/mod_memcg_lruvec_state")
int BPF_PROG(tp_lruvec_state, struct mem_cgroup *memcg, int item, int val)
{
	struct alloc_slot *s;
	struct page *page;
	__u64 ino, index;
	__u32 dev, order;

	if (empty_progs)
		return 0;

	if (item != bpf_core_enum_value(enum node_stat_item, NR_SHMEM))
		return 0;
	s = bpf_task_storage_get(&slots, bpf_get_current_task_btf(), 0, 0);
	/* A folio moving to another zone or memcg (migration, swap-cache
	 * replacement) shows as -nr then +nr in the same task with no delete
	 * and no add: its (dev, ino, index) pages keep their writer. */
	if (val < 0) {
		if (s)
			s->neg_pending = -val;
		return 0;
	}
	if (s && s->neg_pending && s->neg_pending == (__u32)val) {
		s->neg_pending = 0;
		s->page = NULL;
		count(SHC_MOVED, val);
		return 0;
	}
	if (!s || !s->page) {
		count(SHC_NO_ALLOC, val);
		return 0;
	}
	page = s->page;
	order = s->order;
	/* Consume once: a later NR_SHMEM rise in this task (migration moving
	 * a folio it did not allocate) must not reuse this page. */
	s->page = NULL;
	if (order > 9 || (1 << order) != val || !shmem_folio_id_fast(page, &dev, &ino, &index)) {
		count(SHC_MISMATCH, val);
		return 0;
	}
	/* The devs lookup is skipped while a thread keeps adding to the
	 * device it added to last. */
	if (s->last_dev == dev && dev)
		add_pages(NULL, dev, ino, index, val, cached_writer_id(ctx, s));
	else if (emit_add(NULL, dev, ino, index, val, cached_writer_id(ctx, s)))
		s->last_dev = dev;
	return 0;
}

/* BTF-typed, not the classic tracepoint: no tracefs to depend on, and the
 * device is three plain loads, enough to drop other filesystems' deletes. */
SEC("tp_btf/mm_filemap_delete_from_page_cache")
int BPF_PROG(tp_delete, struct folio *folio)
{
	struct address_space *mapping;
	struct inode *host;
	struct super_block *sb;
	__u32 dev;

	if (empty_progs)
		return 0;
	mapping = folio->mapping;
	if (!mapping)
		return 0;
	host = mapping->host;
	if (!host)
		return 0;
	sb = host->i_sb;
	if (!sb)
		return 0;
	dev = sb->s_dev;
	if (!bpf_map_lookup_elem(&devs, &dev))
		return 0;
	emit_del(dev, host->i_ino, folio->index, folio_pages(folio));
	return 0;
}

/* Fallback where NR_SHMEM is not traced (memory controller disabled):
 * LRU insertion may run in another task, so the writer is recorded only
 * when the inserting task is plausibly the writer; duplicates from
 * re-insertion are dropped by NOEXIST. */
SEC("tp_btf/mm_lru_insertion")
int BPF_PROG(tp_lru_insertion, struct folio *folio)
{
	__u64 ino, index;
	__u32 dev;

	if (empty_progs)
		return 0;

	if (!shmem_folio_id(folio, &dev, &ino, &index))
		return 0;
	count(SHC_LRU_ADDED, 1);
	emit_lru_add(dev, ino, index, folio_pages(folio), writer_id(ctx));
	return 0;
}

/* ---- fentry design (kernels that allow it) ---- */

/* shmem_folio_id for a folio that is in the page cache (just added, or
 * about to be removed): its mapping is a plain address_space, never tagged,
 * so the chain is walked with BTF loads (the verifier makes each a guarded
 * load) instead of one bpf_probe_read_kernel call per field. */
static __always_inline bool mapping_id(struct address_space *mapping, __u32 *dev, __u64 *ino)
{
	struct super_block *sb;
	struct inode *host;

	if (!mapping)
		return false;
	host = mapping->host;
	if (!host)
		return false;
	sb = host->i_sb;
	if (!sb || sb->s_magic != TMPFS_MAGIC)
		return false;
	*dev = sb->s_dev;
	*ino = host->i_ino;
	return true;
}

static __always_inline bool cached_folio_id(struct folio *folio, __u32 *dev, __u64 *ino,
					    __u64 *index)
{
	*index = folio->index;
	return mapping_id(folio->mapping, dev, ino);
}

/* A folio's page count by a plain load of its flags: this is the hot path,
 * where folio_pages()'s helper call per read costs more than the rest of
 * an extension.  flags is the first word of struct folio (struct page's)
 * on every kernel, a plain unsigned long or (v6.18) memdesc_flags_t. */
static __always_inline __u32 cached_folio_pages(struct folio *folio)
{
	int head = bpf_core_enum_value(enum pageflags, PG_head);

	if (!(*(unsigned long *)folio & (1UL << head)))
		return 1;
	return 1u << folio_order_large(folio);
}

/* The return value comes from bpf_get_func_ret(), not a BPF_PROG argument:
 * its position moves with the signature (6.1 has a sixth argument,
 * charge_mm, which 6.2+ dropped).  The mapping and index are the first
 * arguments' (the function sets folio->mapping and folio->index from them):
 * read from the trampoline's frame by plain loads, where the folio's
 * fields would each be a guarded load (about 8 instructions on x86). */
SEC("fexit/shmem_add_to_page_cache")
int BPF_PROG(fx_add_to_page_cache, struct folio *folio, struct address_space *mapping,
	     unsigned long index)
{
	struct task_struct *task;
	__u64 ino, idx = index, ret = 0;
	struct alloc_slot *s;
	struct shmem_run *r;
	__u32 dev, wid, nr, zero = 0;

	if (empty_progs)
		return 0;
	if (bpf_get_func_ret(ctx, &ret) || (int)ret != 0)
		return 0;
	nr = cached_folio_pages(folio);
	/* Nearly every add extends this CPU's run for the same writer (each
	 * page of a sequential write, or of faults in order): then plain
	 * loads and one increment, nothing looked up but the slot (struct
	 * shmem_run's BPF-side fields).  Target: the floor + 1 point of a
	 * 4 KiB tmpfs write (scripts/bench-shmem). */
	r = coalesce && !want_stacks ? bpf_map_lookup_elem(&runs, &zero) : NULL;
	if (r && r->mapping == (__u64)mapping && run_reaches(r, idx, nr, clock_now())) {
		task = bpf_get_current_task_btf();
		if (r->tgid == (__u32)task->tgid && same_task_key(task, r->css_set, r->comm)) {
			r->nr += nr;
			return 0;
		}
	}
	if (!mapping_id(mapping, &dev, &ino))
		return 0;
	/* As in tp_lruvec_state: the writer id and the device are cached per
	 * thread; interning a writer each time costs more than the rest. */
	s = bpf_task_storage_get(&slots, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		emit_add(mapping, dev, ino, idx, nr, writer_id(ctx));
		return 0;
	}
	wid = cached_writer_id(ctx, s);
	if (s->last_dev == dev && dev)
		add_pages(mapping, dev, ino, idx, nr, wid);
	else if (emit_add(mapping, dev, ino, idx, nr, wid))
		s->last_dev = dev;
	return 0;
}

/* Entry, not exit: the folio still has its mapping here. */
SEC("fentry/__filemap_remove_folio")
int BPF_PROG(fe_remove_folio, struct folio *folio)
{
	__u64 ino, index;
	__u32 dev;

	if (empty_progs)
		return 0;
	if (!cached_folio_id(folio, &dev, &ino, &index))
		return 0;
	emit_del(dev, ino, index, folio_pages(folio));
	return 0;
}

/* Swap-out keeps the page counted (st_blocks still includes it) but marks
 * it, so the report can show it as swapped rather than resident.  Before
 * v6.16 the function is shmem_writepage(struct page *, wbc) (userspace
 * retargets this program): the page passed is the folio's head, whose
 * first words are the folio's. */
SEC("fentry/shmem_writeout")
int BPF_PROG(fe_writeout, struct folio *folio)
{
	__u64 ino, index;
	__u32 dev, nr;

	if (empty_progs)
		return 0;
	nr = folio_pages(folio);
	if (!shmem_folio_id(folio, &dev, &ino, &index))
		return 0;
	count(SHC_SWAPPED, nr);
	emit(SHMEM_EV_SWAP_OUT, dev, ino, index, nr, 0, 0);
	return 0;
}

/* foliop through bpf_get_func_arg(): 6.1's verifier refuses a typed
 * context load of a pointer to a pointer ("invalid bpf_context access"). */
SEC("fexit/shmem_swapin_folio")
int BPF_PROG(fx_swapin_folio)
{
	struct folio *folio;
	__u64 ino, idx, ret = 0, foliop = 0;
	__u32 dev;

	if (empty_progs)
		return 0;
	if (bpf_get_func_ret(ctx, &ret) || (int)ret != 0 || bpf_get_func_arg(ctx, 2, &foliop) ||
	    bpf_probe_read_kernel(&folio, sizeof(folio), (void *)foliop) || !folio)
		return 0;
	if (!shmem_folio_id(folio, &dev, &ino, &idx))
		return 0;
	emit(SHMEM_EV_SWAP_IN, dev, ino, idx, folio_pages(folio), 0, 0);
	return 0;
}
