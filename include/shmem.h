/* Shared between bpf/shmem.bpf.c and src/shmem*.c: plain types only. */
#ifndef MEMLEAKBPF_SHMEM_H
#define MEMLEAKBPF_SHMEM_H

#define SHMEM_COMM_LEN 16
/* Frames per --stacks user stack: the stack map's value (the kernel's
 * PERF_MAX_STACK_DEPTH). */
#define SHMEM_STACK_DEPTH 127
/* A PMD-sized folio on x86-64: the largest folio one add or delete
 * touches page by page. */
#define SHMEM_MAX_FOLIO_PAGES 512
/* The most pages one ADD event carries: a run of pages coalesced by the
 * BPF side (see struct shmem_run), of at most this many. */
#define SHMEM_MAX_RUN_PAGES 65536
/* Writer id 0 means "writer not known" (a full writer table). */
#define SHMEM_WID_UNKNOWN 0

/* One change to the page cache of a shmem inode.  Deletes are sent in
 * the order the kernel made them; adds are sent in runs, later, and put in
 * order by a clock (struct shmem_run).  Userspace keeps the page table: a
 * BPF hash insert per page costs ~10x a ring buffer record.  Pages are keyed by
 * (dev, ino, index), so migration and folio splits, which keep the file
 * position, need no event at all. */
enum shmem_event_type {
	SHMEM_EV_ADD = 1,	/* nr pages from index: new, writer wid */
	SHMEM_EV_DEL,		/* nr pages from index left the page cache */
	SHMEM_EV_SWAP_OUT,	/* still counted, now in swap (fentry only) */
	SHMEM_EV_SWAP_IN,
	SHMEM_EV_WRITER,	/* a new writer: struct shmem_writer_event */
};

struct shmem_event {
	__u64 ino;
	__u64 index;
	__u32 dev;	/* kernel dev_t: major << 20 | minor */
	__u32 wid;
	__u32 nr;
	__u32 type;
	/* The removal clock (see struct shmem_run): an ADD carries the value
	 * its pages read, a DEL the value it made.  0 for the other types. */
	__u64 seq;
};

/* --stacks: a new writer, once each, on the writer_events ring.  The
 * mappings its stack's frames fall in are read by BPF at that moment:
 * a writer such as dd may be gone before userspace can read its
 * /proc/PID/maps, and its frames still need a file and an offset. */
#define SHMEM_WRITER_VMAS 16
#define SHMEM_VMA_NAME 48

struct shmem_vma {
	__u64 start, end;
	__u64 off;	/* file offset of start, in bytes */
	__u64 ino;	/* the mapped file's inode and device (kernel dev_t), */
	__u32 dev;	/* as /proc/PID/maps shows them outside overlayfs */
	__u32 pad;
	char name[SHMEM_VMA_NAME];	/* the file's last path component */
};

struct shmem_writer_event {
	__u32 type;	/* SHMEM_EV_WRITER */
	__u32 tgid;
	__u32 wid;
	__u32 nvma;	/* distinct file mappings of the frames, in frame order */
	struct shmem_vma vma[SHMEM_WRITER_VMAS];
};

/* Adds are coalesced: each CPU holds one pending run of pages (consecutive
 * indexes of one inode, one writer) and sends it as one ADD event when a
 * page does not extend it.  Removals are sent at once, so one can reach
 * userspace before the add of the page it removes.  The order is restored
 * with a removal clock: every DEL increments a global counter (atomic
 * fetch-add) and carries its new value c; every page of a run read the
 * same value s when it was added (a run is closed when the clock moves).
 * A removal and the add of the same page are ordered by the page's lock
 * (the folio lock, and the i_pages lock on the tracepoint path), so:
 *   the DEL removes this add's page       <=> c > s
 *   the DEL removed an earlier incarnation <=> c <= s.
 * Userspace keeps, per page, the event with the greatest key (2s+1 for an
 * ADD, 2c for a DEL) and reads the pending runs at report time. */
struct shmem_run {
	__u64 ino;
	__u64 first;	/* index of the first page */
	__u64 seq;	/* the clock every page of the run read */
	__u32 dev;
	__u32 nr;	/* 0: no run pending */
	__u32 wid;
	/* Odd while the BPF side replaces the run: userspace reads the slots
	 * twice and keeps a CPU's run when both copies agree and gen is even. */
	__u32 gen;
	/* BPF side only (userspace ignores them): what lets the fentry add
	 * extend the run without looking the writer or the inode up.  The
	 * folio's address_space stands for (dev, ino): an inode cannot be
	 * freed and its address_space reused while its run is pending, since
	 * its pages' removal moves the clock, which closes the run.  The
	 * writer key (struct shmem_writer_key) is a function of the task's
	 * tgid, css_set (both cgroup ids) and comm. */
	__u64 mapping;
	__u64 css_set;
	__u64 comm[SHMEM_COMM_LEN / 8];
	__u32 tgid;
	__u32 pad;
};

#define SHMEM_PF_SWAPPED 1u

/* An inode, for the pages whose add event could not be sent (a full ring
 * buffer): they were written after tracing started, so the report must not
 * call them "before tracing". */
struct shmem_inode_key {
	__u32 dev;	/* kernel dev_t */
	__u32 pad;
	__u64 ino;
};

/* Who caused an add: interned in a BPF table, so an event carries a small
 * id (and a stack is walked once per writer, not per page). */
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

/* Counters, summed over CPUs by userspace; every drop is reported.  The
 * BPF side counts what it could not record, userspace what it could not
 * keep. */
enum shmem_counter {
	SHC_ADDED_PAGES,	/* userspace: pages attributed to a writer */
	SHC_REMOVED_PAGES,	/* userspace: tracked pages deleted */
	SHC_DROP_PAGES,		/* userspace: page table full, page not tracked */
	SHC_DROP_EVENTS,	/* BPF: ring buffer full, event lost */
	SHC_DROP_WRITERS,	/* BPF: writer table full, page's writer unknown */
	SHC_DROP_STACKS,	/* BPF: stack map full or collision */
	SHC_NO_ALLOC,		/* BPF: NR_SHMEM grew with no fresh page to match */
	SHC_MISMATCH,		/* BPF: the fresh page did not fit the NR_SHMEM delta */
	SHC_LRU_ADDED,		/* BPF: pages added by the LRU fallback */
	SHC_SWAPPED,		/* BPF: pages seen leaving for swap (fentry only) */
	SHC_MOVED,		/* BPF: pages moved between zones/memcgs, kept */
	SHC_EARLY_DELETES,	/* userspace: pages whose delete came before the
				 * run holding their add (struct shmem_run) */
	SHC_WRITERS_PRUNED,	/* userspace: writers of exited processes that
				 * own no page, removed from the writer table */
	SHC_STACKS_PRUNED,	/* userspace: --stacks stacks no writer refers to
				 * any more, removed from the stack map */
	SHC_DROP_WRITER_EVENTS,	/* BPF: --stacks: writer ring full, a new
				 * writer's frames stay addresses */
	SHC_DROP_WRITER_MAPS,	/* userspace: --stacks: the writer exited before
				 * its mappings were copied: frames stay addresses */
	SHC_NR,
};

#endif
