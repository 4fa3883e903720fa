/* User-space leak tracing: data shared by bpf/memleak.bpf.c and src/user*.c.
 * Plain fixed-width types only. */
#ifndef MEMLEAKBPF_MEMLEAK_H
#define MEMLEAKBPF_MEMLEAK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Deepest user stack recorded, in frames. */
#define MAX_FRAMES 32
/* Per-thread cache of recently seen executable mappings. */
#define VMA_CACHE 8
/* Path components (leaf first) sent with a new-module event. */
#define PATH_DEPTH 16
#define PATH_COMP_LEN 64

/* A frame is (module id << FRAME_MODULE_SHIFT) | file offset, so stacks stay
 * symbolizable after the process exits and across ASLR.  Module id 0 means
 * the low bits are an absolute address (anonymous memory, e.g. JIT code). */
#define FRAME_MODULE_SHIFT 48
#define FRAME_OFFSET_MASK ((1ULL << FRAME_MODULE_SHIFT) - 1)

enum ml_kind {
	ML_KIND_MALLOC,
	ML_KIND_CALLOC,
	ML_KIND_REALLOC,
	ML_KIND_REALLOCARRAY,
	ML_KIND_POSIX_MEMALIGN,
	ML_KIND_ALIGNED_ALLOC,
	ML_KIND_MEMALIGN,
	ML_KIND_VALLOC,
	ML_KIND_PVALLOC,
	ML_KIND_MALLOCX, /* jemalloc's non-standard API */
	ML_KIND_RALLOCX,
	ML_KIND_MMAP,
	ML_KIND_MREMAP,
	ML_KIND_BRK,
	ML_KIND_FAULT, /* growth mode: a page first written (page fault) */
	ML_KIND_MAX,
};

/* Attach cookies of the hooks that make no block of their own (the others
 * carry their kind): free (also jemalloc's dallocx and sdallocx) and
 * jemalloc's xallocx, which resizes a block in place. */
#define ML_HOOK_FREE 100
#define ML_HOOK_XALLOCX 101

/* Counters of everything not recorded; reported in every report. */
enum ml_drop {
	ML_DROP_ALLOCS_FULL,   /* allocs map full: allocation not tracked */
	ML_DROP_STACKS_FULL,   /* stacks map full: allocation not tracked */
	ML_DROP_REGIONS_FULL,  /* mmap/brk regions map full */
	ML_DROP_NO_THREAD_STATE, /* task storage unavailable */
	ML_DROP_STALE_ENTRY,   /* an entry probe without its return (reset) */
	ML_DROP_REUSED_ADDRESS,/* allocation at an address still tracked: old one dropped */
	ML_DROP_EVENTS_FULL,   /* ring buffer full: a module-load request lost */
	ML_DROP_UNWIND_FP,     /* frames unwound by frame pointers (no table yet) */
	ML_DROP_UNWIND_TRUNCATED, /* stack deeper than MAX_FRAMES or unreadable */
	ML_DROP_PRUNE_RACE,    /* counted on an idle stack pruned under it */
	ML_DROP_MAX,
};

/* Unwind row: the CFA and rbp rules from one address on (x86_64).  Rows of
 * one module are sorted by pc (a file offset). */
enum ml_cfa_type {
	ML_CFA_UNDEF = 0, /* no CFI here: fall back to frame pointers */
	ML_CFA_RSP,       /* cfa = rsp + cfa_off */
	ML_CFA_RBP,       /* cfa = rbp + cfa_off */
	ML_CFA_PLT,       /* .plt: cfa = rsp + 8 + ((ip & 15) >= rbp_off ? 8 : 0) */
	ML_CFA_END,       /* return address undefined: outermost frame */
};

struct ml_unwind_row {
	__u32 pc;
	__s16 cfa_off;
	__u8 cfa_type;
	__s8 rbp_off; /* rbp saved at cfa + 8 * rbp_off; 0: unchanged */
};

struct ml_module_key {
	__u64 dev; /* kernel dev_t of the file's superblock */
	__u64 ino;
};

enum ml_module_state {
	ML_MODULE_PENDING = 0, /* seen by the kernel, table not (yet) loaded */
	ML_MODULE_READY,       /* rows loaded */
	ML_MODULE_NO_TABLE,    /* no usable CFI: frame pointers only */
};

struct ml_module {
	__u32 id;
	__u32 state;
	__u32 row_start;
	__u32 row_count;
};

/* Per-call-stack aggregate: the report reads only these. */
struct ml_stack {
	__s64 bytes;
	__s64 count;
	__u32 kind;
	__u32 nframes;
	__u64 frames[MAX_FRAMES];
};

/* One outstanding heap allocation, keyed by address. */
struct ml_alloc {
	__u64 size;
	__u64 stack_hash;
	__u64 ts_ns;
};

/* One outstanding anonymous mmap or brk range, keyed by start address. */
struct ml_region {
	__u64 end;
	__u64 stack_hash;
	__u64 ts_ns;
};

enum ml_event_type {
	ML_EVENT_NEW_MODULE = 1,
	ML_EVENT_MAPS_SNAPSHOT, /* a bare __u32: read /proc/PID/maps now */
	ML_EVENT_EXEC_MAPPED,   /* struct ml_exec_mapped: open it, then snapshot */
};

/* A file mapped executable by the target (dlopen, ld.so): userspace opens
 * /proc/PID/map_files/START-END at once, before reading anything else,
 * since the process may exit (and the mapping vanish) right after. */
struct ml_exec_mapped {
	__u32 type;
	__u32 pad;
	__u64 start, end;
};

/* One executable file mapping of the target, from the task_vma iterator:
 * (dev, ino) as the kernel maps it (an overlay layer's file, not the
 * overlay's), which /proc/PID/maps and stat() do not give. */
struct ml_vma_rec {
	__u64 start, end, dev, ino;
};

struct ml_module_event {
	__u32 type;
	__u32 module_id;
	__u32 pid;
	__u32 ncomps;
	__u64 dev;
	__u64 ino;
	__u64 vm_start, vm_end; /* the mapping: /proc/PID/map_files/START-END */
	char comps[PATH_DEPTH][PATH_COMP_LEN]; /* path from the fs root, leaf first */
};

#endif
