/* Shared between bpf/kmem.bpf.c and the kernel mode's userspace: outstanding
 * kernel allocations, aggregated in the kernel per (stack, kind, cache). */
#ifndef MEMLEAKBPF_KMEM_H
#define MEMLEAKBPF_KMEM_H

#define KMEM_COMM_LEN 16
#define KMEM_CACHE_NAME_LEN 32
/* Syscall paths into the slab allocator are rarely deeper than ~40 frames;
 * 64 keeps each stack-map entry at 512 bytes. */
#define KMEM_STACK_DEPTH 64
/* Per-CPU scratch buffers for a stack walk: one per context that can
 * interrupt another on one CPU (task, softirq, hardirq, NMI), so a hook
 * interrupted mid-walk never sees its buffer rewritten. */
#define KMEM_SCRATCH_LEVELS 4

/* Value of the "stacks" map (a hash keyed by kmem_stack_hash() of the
 * frames): return addresses, innermost first, zero after the last. */
struct kmem_stack {
	__u64 ips[KMEM_STACK_DEPTH];
};

/* Why an allocation has no stack; 0: it has one. */
enum kmem_lost {
	KMEM_LOST_NONE = 0,
	KMEM_LOST_MAP_FULL,  /* the stacks map had no room for a new stack */
	KMEM_LOST_COLLISION, /* two different stacks with one 64-bit hash */
	KMEM_LOST_WALK,      /* bpf_get_stack or the store failed, or nesting too deep */
	KMEM_NR_LOST,
};

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
	KMEM_ST_STACK_COLLISION,  /* 64-bit stack hash collision: filed as stack lost */
	KMEM_ST_STACK_ERROR,      /* stack walk failed: filed as stack lost */
	KMEM_ST_STALE,            /* address reused while tracked: a free was missed */
	KMEM_ST_SAMPLED_OUT,      /* skipped by --sample */
	KMEM_ST_STACK_WALKS,      /* stacks walked */
	KMEM_ST_STACK_CACHED,     /* stack ids taken from the fingerprint cache */
	KMEM_ST_STACK_CONFLICT,   /* a fingerprint found to cover two stacks */
	KMEM_ST_STACK_FULL,       /* stacks map full: filed as stack lost */
	KMEM_ST_PRUNE_RACE,       /* counted on an idle row pruned under it */
	KMEM_NR_STATS,
};

/* Key of the per-stack aggregation map.  An allocation whose stack was lost
 * has stack 0 and a reason in `lost`: it can never share a row with a real
 * stack, whatever that stack's hash. */
struct kmem_agg_key {
	__u64 stack; /* key in the stacks map; 0 when lost */
	__u64 cache; /* struct kmem_cache address for KMEM_CACHE, else 0 */
	__u32 kind;
	__u32 lost;  /* enum kmem_lost */
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
	__u64 stack;     /* stacks-map key a real walk gave */
	__u32 hits;
	__u32 ambiguous; /* set once two stacks were seen: always walk */
};

/* Walk anyway for the first hits of a fingerprint and then one in 64, and
 * mark the fingerprint ambiguous (always walk) when a walk disagrees. */
#define KMEM_FP_VALIDATE_FIRST 4
#define KMEM_FP_VALIDATE_EVERY 64

/* The stacks map's key: stack_hash.h's 64-bit hash of the frames. */
#include "stack_hash.h"

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
