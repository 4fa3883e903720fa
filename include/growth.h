/* ABI between bpf/growth_all.bpf.c and src/growth/growth_all.c:
 * `memleakbpf growth -a`, resident growth machine-wide. */
#ifndef MEMLEAKBPF_GROWTH_H
#define MEMLEAKBPF_GROWTH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "stack_hash.h"

/* User stacks (frame pointers) kept per stack, keyed by stack_hash.h's
 * hash of the frames. */
#define GA_STACK_DEPTH 32
/* The stack key of a page whose stack was not stored (a full stack table,
 * a hash collision): its pages still count, under "[stack lost]". */
#define GA_STACK_LOST 0ULL

struct ga_stack_rec {
	__u64 ips[GA_STACK_DEPTH];	/* ends at the first 0 */
};

/* A page first written by a process since tracing began. */
struct ga_page_key {
	__u32 tgid;
	__u32 pad;
	__u64 page;
};

/* gen: the process's generation when the page was written.  Exec and
 * exit start a new one (the old address space is gone), so pages of an
 * older generation are no longer the process's: userspace sweeps them. */
struct ga_page {
	__u64 stack;
	__u32 gen;
	__u32 npages;	/* 1, or 512: a transparent huge page, keyed by its start */
};

/* Pages per (process, generation, stack), kept by BPF. */
struct ga_count_key {
	__u32 tgid;
	__u32 gen;
	__u64 stack;
};

/* Per process: its current generation. */
struct ga_proc {
	__u32 gen;
	__u32 exited;	/* its last thread has exited */
};

enum ga_counter {
	GA_PAGES_ADDED,		/* pages first written */
	GA_PAGES_RELEASED,	/* given back (munmap, MADV_DONTNEED, ...) */
	GA_DROP_PAGES_FULL,	/* pages not tracked: the page table was full */
	GA_DROP_STACKS,		/* pages whose stack was not stored (full table) */
	GA_DROP_STACK_COLLISION,	/* ... or whose hash another stack owns */
	GA_DROP_COUNTS_FULL,	/* a (process, stack) count could not be made */
	GA_DROP_RANGE,		/* a range given back too large to walk */
	GA_DROP_PRUNE_RACE,	/* a count changed as userspace pruned it */
	/* kept by userspace */
	GA_COUNTS_PRUNED,	/* (process, stack) counts idle two reports */
	GA_STACKS_PRUNED,	/* stacks no count refers to any more */
	GA_NR,
};

#endif
