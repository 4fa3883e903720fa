/* memleakbpf shmem, userspace side: the one report structure that both
 * the text and the JSON printer read, and the path resolver. */
#ifndef MEMLEAKBPF_SHMEM_INT_H
#define MEMLEAKBPF_SHMEM_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

#include "shmem.h"

enum sh_kind { SH_TMPFS, SH_MEMFD, SH_SYSV, SH_SHARED_ANON };

struct sh_writer {
	__u32 wid;
	__u32 tgid;			/* 0: unknown (before tracing, fallback) */
	char comm[SHMEM_COMM_LEN];
	const char *cgroup;		/* the one shown: NULL when unknown */
	const char *cgroup_v2;		/* both, for --cgroup matching */
	const char *cgroup_v1;
	__s64 stack_id;
	unsigned long long bytes;	/* over the inodes shown */
	/* --stacks: the named frames, filled by the resolve step for the
	 * writers a report shows ("function (file:line) [module]"). */
	char **frames;
	int nframes;
	bool resolved;
};

struct sh_inode_writer {
	struct sh_writer *w;		/* never NULL: an unknown writer has tgid 0 */
	unsigned long long bytes;
};

#define SH_MAX_HOLDERS 8

struct sh_inode {
	dev_t dev;			/* userspace encoding (makedev) */
	unsigned long long ino;
	enum sh_kind kind;
	char path[PATH_MAX];
	bool deleted;
	bool resolved;
	int nholders;			/* pids holding it open or mapped */
	pid_t holders[SH_MAX_HOLDERS];
	long long sysv_shmid;		/* -1 unless SH_SYSV */
	unsigned long long sysv_key;
	uid_t uid;			/* owner from stat, when resolved */
	unsigned long long bytes_tracked;
	unsigned long long bytes_before; /* resident but older than tracing */
	unsigned long long bytes_dropped; /* resident, written since, add event lost */
	pid_t ns_pid;			/* its mount is another namespace's (sh_mount) */
	unsigned long long swapped;
	struct sh_inode_writer *writers;
	size_t nwriters;
};

/* An inode's pages whose add event was lost (BPF map dropped_adds). */
struct sh_dropped {
	dev_t dev;
	unsigned long long ino;
	unsigned long long bytes;
};

struct sh_mount {
	char mountpoint[PATH_MAX];
	dev_t dev;
	unsigned long long bytes_tracked;
	unsigned long long bytes_dropped;	/* of its inodes, see sh_inode */
	unsigned long long bytes_used;	/* statvfs; 0 and unknown when hidden */
	bool hidden;			/* covered by another mount: no statvfs */
	/* A tmpfs of another mount namespace (a container's /dev/shm), seen
	 * through a process of it: mountpoint is the path in there. */
	pid_t ns_pid;			/* 0: our own namespace */
	char ns_comm[16];
	char ns_cgroup[256];		/* its cgroup (v2 "0::" or v1 memory), "" unknown */
	bool shown;
};

struct sh_report {
	long long timestamp;		/* epoch seconds of the collection */
	bool final;			/* no report follows in this run */
	struct sh_inode *inodes;
	size_t ninodes;
	struct sh_writer **writers;	/* sorted by bytes, the shown ones */
	size_t nwriters;
	struct sh_mount *mounts;
	size_t nmounts;
	unsigned long long counters[SHC_NR];
	unsigned long long dropped;	/* sum of every drop counter */
	struct sh_dropped *dropped_adds; /* sorted by (dev, ino) */
	size_t ndropped_adds;
	bool show_stacks;
	/* Swap-out is followed only by the fentry hooks: otherwise swapped
	 * pages stay counted as resident and bytes_swapped is unknown. */
	bool swap_known;
	bool swap_active;	/* /proc/swaps lists a device */
};

/* shmem_table.c: pages currently in the page cache of shmem inodes, and
 * the pages removed recently ("removed" entries), kept for as long as an
 * older add of the same page may still arrive (see struct shmem_run). */
struct sh_page {
	__u64 ino;
	__u64 index;
	__u64 key;	/* order of its last event: 2s+1 (add), 2c (delete) */
	__u32 dev;	/* kernel encoding, as in the events */
	__u32 wid;
	__u8 flags;	/* SHMEM_PF_* */
	__u8 used;
	__u8 removed;	/* not in the page cache: a delete's mark */
};

struct sh_table {
	struct sh_page *slots;
	size_t cap;	/* power of two */
	size_t n;	/* used slots, removed marks included */
	size_t nremoved;
	size_t max;	/* --max-pages */
};

/* Event order keys (include/shmem.h, struct shmem_run). */
#define SH_KEY_ADD(s) (2 * (__u64)(s) + 1)
#define SH_KEY_DEL(c) (2 * (__u64)(c))

enum sh_apply {
	SH_APPLIED = 1,		/* add: the page is now tracked; del: it was, now gone */
	SH_IGNORED = 0,		/* add: tracked already (first writer kept); del: untracked */
	SH_CANCELLED = 2,	/* add: a later delete of it came first */
};

/* An add or delete with its order key: the event with the greatest key
 * decides whether the page is in the page cache.  An enum sh_apply, or
 * -ENOSPC at max (-ENOMEM). */
int sh_table_apply_add(struct sh_table *t, __u32 dev, __u64 ino, __u64 index, __u32 wid,
		       __u64 key);
int sh_table_apply_del(struct sh_table *t, __u32 dev, __u64 ino, __u64 index, __u64 key);
/* Whether an add with KEY would be tracked now (a pending run, read at
 * report time, not applied). */
bool sh_table_would_add(const struct sh_table *t, __u32 dev, __u64 ino, __u64 index, __u64 key);
/* Forget the removed marks with key <= MAX_KEY (no add they could cancel
 * can arrive any more); returns how many. */
size_t sh_table_forget_removed(struct sh_table *t, __u64 max_key);

/* 1 added, 0 already tracked (first writer kept), -ENOSPC at max, -ENOMEM. */
int sh_table_add(struct sh_table *t, __u32 dev, __u64 ino, __u64 index, __u32 wid);
/* True when the page was tracked and is now gone. */
bool sh_table_del(struct sh_table *t, __u32 dev, __u64 ino, __u64 index);
struct sh_page *sh_table_find(const struct sh_table *t, __u32 dev, __u64 ino, __u64 index);
void sh_table_free(struct sh_table *t);

/* shmem_paths.c */
/* Kernel dev_t (MKDEV: major << 20 | minor) to the userspace encoding. */
dev_t sh_dev_from_kernel(__u32 kdev);
/* Sorts a report's dropped_adds for the lookups of sh_resolve_paths. */
void sh_sort_dropped(struct sh_dropped *v, size_t n);
/* Tmpfs mounts from /proc/self/mountinfo (first mount of each device). */
int sh_read_mounts(const char *mountinfo, struct sh_mount **out, size_t *n);
/* Fill path/kind/holders/before-tracing bytes for every inode of `r`. */
void sh_resolve_paths(struct sh_report *r);
/* Tmpfs mounts of other mount namespaces that hold tracked inodes (their
 * devs are in no mount of ours): found through a process of each such
 * namespace, added to r->mounts with ns_pid set.  Call before
 * sh_resolve_paths, which then walks them through /proc/PID/root. */
void sh_add_foreign_mounts(struct sh_report *r);
/* SysV segments among the report's inodes (not on a tmpfs mount, inode
 * number == shmid), named "SYSV key=0x... shmid=N" from /proc/sysvipc/shm;
 * the resolver's last step, apart for tests. */
struct sysv_shm;
void sh_name_sysv(struct sh_report *r, const struct sysv_shm *sh);

/* shmem_stacks.c (--stacks) */
/* Copy a new writer's executable mappings while it still lives, and
 * those of its frames from the event (include/shmem.h). */
void sh_stacks_note_writer(const struct shmem_writer_event *e);
/* A thread that notes each writer of the ring behind ring_fd (records of
 * struct shmem_writer_event) as it comes; stopped by
 * sh_stacks_watch_stop or sh_stacks_free.  0 or a negative errno. */
int sh_stacks_watch_start(int ring_fd);
void sh_stacks_watch_stop(void);
/* Writers with frames in a file found nowhere (gone before their
 * mappings could be copied, and the file mapped by no one), so far. */
unsigned long long sh_stacks_missed(void);
/* "function (file:line) [module]", or what is known of frame `ip`;
 * false when no mapping of tgid holds ip (not noted yet, or never). */
bool sh_stack_frame_name(pid_t tgid, unsigned long long ip, bool is_return, char *buf,
			 size_t len);
void sh_stacks_free(void);

/* shmem_report.c */
void sh_print_text(FILE *out, const struct sh_report *r);
void sh_print_json(FILE *out, const struct sh_report *r);
const char *sh_kind_name(enum sh_kind k);
/* True for the counters that lose something ("drop_..."): their sum is
 * the report's "dropped". */
bool sh_counter_is_drop(int i);

/* shmem_metrics.c: `memleakbpf serve`'s families (lib/metrics.h), each
 * bounded to `top` label sets. */
struct metrics;
void sh_metrics(const struct sh_report *r, unsigned int top, struct metrics *m);

/* shmem_export.c: --svg, the shown writers' bytes per stack as a flame
 * graph, replacing `path` atomically.  0 or negative errno. */
int sh_report_svg(const struct sh_report *r, const char *path);

#endif
