/* Shared between bpf/kmem.bpf.c and the kernel mode's userspace: outstanding
 * kernel allocations, aggregated in the kernel per (stack, kind, cache). */
#ifndef MEMLEAKBPF_KMEM_H
#define MEMLEAKBPF_KMEM_H

#define KMEM_COMM_LEN 16
#define KMEM_CACHE_NAME_LEN 32
/* Syscall paths into the slab allocator are rarely deeper than ~40 frames;
 * 64 keeps each stack-map entry at 512 bytes. */
#define KMEM_STACK_DEPTH 64

/* Allocation kinds; also the bit numbers of the --kind mask. */
enum kmem_kind {
	KMEM_KMALLOC = 0,
	KMEM_CACHE = 1,
	KMEM_VMALLOC = 2,
	KMEM_PERCPU = 3,
	KMEM_PAGE = 4,
	KMEM_NR_KINDS,
};

/* Address spaces: slab objects (kmalloc and kmem_cache share one, since
 * kfree() frees either), vmap areas, percpu cookies and struct page
 * pointers never collide within a space, but may across spaces. */
enum kmem_space {
	KMEM_SPACE_SLAB = 0,
	KMEM_SPACE_VMALLOC = 1,
	KMEM_SPACE_PERCPU = 2,
	KMEM_SPACE_PAGE = 3,
};

/* In-kernel counters (array map "stats", one slot each, per CPU). */
enum kmem_stat {
	KMEM_ST_ALLOCS = 0,       /* allocations tracked */
	KMEM_ST_FREES,            /* tracked allocations freed */
	KMEM_ST_ALLOCS_FULL,      /* allocs map full: allocation not tracked */
	KMEM_ST_AGG_FULL,         /* per-stack map full: allocation not tracked */
	KMEM_ST_STACK_COLLISION,  /* stack map -EEXIST: allocation not tracked */
	KMEM_ST_STACK_ERROR,      /* other stack-walk failures */
	KMEM_ST_STALE,            /* address reused while tracked: a free was missed */
	KMEM_ST_SAMPLED_OUT,      /* skipped by --sample */
	KMEM_ST_STACK_WALKS,      /* stacks walked */
	KMEM_ST_STACK_CACHED,     /* stack ids taken from the fingerprint cache */
	KMEM_ST_STACK_CONFLICT,   /* a fingerprint found to cover two stacks */
	KMEM_NR_STATS,
};

/* Key of the per-stack aggregation map. */
struct kmem_agg_key {
	__s32 stackid;
	__u32 kind;
	__u64 cache; /* struct kmem_cache address for KMEM_CACHE, else 0 */
};

struct kmem_agg_val {
	__s64 bytes; /* outstanding */
	__s64 count; /* outstanding */
	__u32 pid;   /* tgid of the first allocator */
	__u32 tid;
	char comm[KMEM_COMM_LEN];
	char cache_name[KMEM_CACHE_NAME_LEN];
};

/* Stack fingerprint: where the allocator was called from (call_site), how
 * deep in the syscall the hook runs (bytes below the stack position seen at
 * sys_enter, so the per-syscall random stack offset cancels out), which
 * syscall, and the kind.  Maps to the stack id a real walk gave. */
struct kmem_fp_key {
	__u64 call_site;
	__u64 depth;
	__u32 nr;
	__u32 kind;
};

struct kmem_fp_val {
	__s32 stackid; /* KMEM_FP_AMBIGUOUS once two stacks were seen */
	__u32 hits;
};

#define KMEM_FP_AMBIGUOUS (-1000)
/* Walk anyway for the first hits of a fingerprint and then one in 64, and
 * mark the fingerprint ambiguous (always walk) when a walk disagrees. */
#define KMEM_FP_VALIDATE_FIRST 4
#define KMEM_FP_VALIDATE_EVERY 64

/* Key of the live-allocation map. */
struct kmem_alloc_key {
	__u64 addr;
	__u64 space;
};

struct kmem_alloc_val {
	__u64 size;
	__u64 ts; /* bpf_ktime_get_ns at allocation, for --older */
	struct kmem_agg_key agg;
};

#endif
