/* Shared between bpf/shmem.bpf.c and src/shmem*.c: plain types only. */
#ifndef MEMLEAKBPF_SHMEM_H
#define MEMLEAKBPF_SHMEM_H

#define SHMEM_COMM_LEN 16
/* A PMD-sized folio on x86-64: the largest folio one add or delete
 * touches page by page. */
#define SHMEM_MAX_FOLIO_PAGES 512
/* Writer id 0 means "writer not known" (the LRU fallback outside the
 * writer's context, or a full writer table). */
#define SHMEM_WID_UNKNOWN 0

/* One resident 4 KiB page of a shmem inode.  Keys by file position, not
 * by pfn: migration and folio splits keep (dev, ino, index), so they need
 * no hook at all. */
struct shmem_page_key {
	__u64 ino;
	__u64 index;
	__u32 dev;	/* kernel dev_t: major << 20 | minor */
	__u32 pad;
};

struct shmem_page_val {
	__u32 wid;
	__u32 flags;	/* SHMEM_PF_* */
};

#define SHMEM_PF_SWAPPED 1u	/* seen leaving for swap (fentry hooks only) */

/* Who caused an add: the writer table maps this to a small id so that a
 * page costs 8 bytes of value. */
struct shmem_writer_key {
	__u32 tgid;
	__u32 pad;
	__u64 cgid;	/* cgroup v2 id (bpf_get_current_cgroup_id) */
	__u64 memcg_ino; /* cgroup v1 memory hierarchy kernfs id, 0 if none */
	__s64 stack_id;	/* user stack with --stacks, else -1 */
	char comm[SHMEM_COMM_LEN];
};

struct shmem_writer_val {
	__u32 wid;
	__u32 pad;
};

/* Per-CPU counters, summed by userspace; every drop is reported. */
enum shmem_counter {
	SHC_ADDED_PAGES,	/* pages attributed to a writer */
	SHC_REMOVED_PAGES,	/* tracked pages deleted from the page cache */
	SHC_DROP_PAGES,		/* page table full: page not tracked */
	SHC_DROP_WRITERS,	/* writer table full: page tracked as unknown */
	SHC_DROP_STACKS,	/* stack map full or collision */
	SHC_NO_ALLOC,		/* NR_SHMEM grew but no fresh page to match */
	SHC_MISMATCH,		/* fresh page did not fit the NR_SHMEM delta */
	SHC_LRU_ADDED,		/* pages added by the LRU fallback */
	SHC_SWAPPED,		/* pages seen leaving for swap (fentry only) */
	SHC_NR,
};

#endif
