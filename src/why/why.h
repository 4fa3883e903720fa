/* `memleakbpf why`: one report structure, filled from /proc (why_collect.c),
 * arranged as a tree that adds up to MemTotal (why_tree.c), read for
 * findings (why_findings.c) and printed as text or JSON (why_report.c). */
#ifndef MEMLEAKBPF_WHY_H
#define MEMLEAKBPF_WHY_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "procfs/oom_rank.h"
#include "procfs/procfs.h"

/* ---- the tree ---- */
struct why_node {
	char name[288];	/* fstype + mountpoint for tmpfs leaves */
	unsigned long long bytes;
	int parent;		/* -1 for the root */
	int depth;
	bool leaf_capped;	/* counter larger than what was left of its parent */
};

struct why_tree {
	struct why_node *v;	/* pre-order: children follow their parent */
	size_t n, cap;
	/* Counters that overlap: the leaves exceed MemTotal by this much
	 * ("unexplained" is then 0).  Within per-CPU counter drift normally. */
	unsigned long long overcount;
};

/* ---- what the tree is built from (also what fixtures feed) ---- */
struct why_tmpfs_file {
	char *path;
	unsigned long long bytes;	/* st_blocks * 512 */
};

struct why_tmpfs {
	char *mountpoint;
	char *fstype;		/* tmpfs or devtmpfs */
	unsigned major, minor;
	bool size_known;	/* statvfs worked and the mount has a size limit */
	unsigned long long size, used;
	struct why_tmpfs_file *top;	/* largest files, descending */
	size_t ntop;
	unsigned long long files_seen;
	unsigned long long files_bytes;	/* st_blocks of every file walked */
	bool walk_incomplete;	/* unreadable directories or the walk cap */
};

struct why_holder {
	int pid;
	char comm[64];
};

/* A deleted-but-open tmpfs file or an open memfd (same shape). */
struct why_open_file {
	char *path;		/* as /proc/PID/fd shows it, " (deleted)" included */
	dev_t dev;
	ino_t ino;
	unsigned long long bytes;	/* st_blocks * 512 */
	struct why_holder *holders;
	size_t nholders;
	size_t holders_total;	/* more than stored are counted */
	bool memfd;
};

struct why_proc {
	struct proc_record proc; /* pid, comm, vm_size, rss and its split, swap */
	bool smaps_ok;		/* pss/private_file/shared_file valid */
	unsigned long long pss, private_file, shared_file;
	/* --watch: change since the first sample (valid when has_growth). */
	bool has_growth;
	long long d_rss_anon, d_rss_shmem, d_rss, d_vm_size, d_swap;
};

struct why_unreadable {
	char what[48];		/* "slabinfo", "process fds", ... */
	char detail[160];	/* path or count, and the error */
};

struct why_finding {
	char severity[8];	/* "info", "warning" */
	char text[320];
	char evidence[320];
	char next_command[300];
};

struct why_growth {
	char name[512];		/* tree path: "MemTotal/kernel/slab/unreclaimable" */
	unsigned long long bytes;
	long long delta;		/* since the first sample */
	long long interval_delta;	/* since the previous report */
};

struct why_report {
	long long timestamp;	/* epoch seconds of the sample */
	bool final;		/* no report follows in this run */
	bool root;		/* read as root: every process, slabinfo ... */
	unsigned long page_size;
	struct meminfo mi;
	struct why_tree tree;

	struct why_tmpfs *tmpfs;
	size_t ntmpfs;
	struct sysv_shm sysv;
	bool sysv_ok;
	struct why_open_file *files;	/* deleted-open tmpfs files and memfds */
	size_t nfiles;

	struct why_proc *procs;		/* sorted by rss + swap, descending */
	size_t nprocs;

	struct slabinfo slab;
	bool slab_ok;
	struct vmallocinfo vmalloc;
	bool vmalloc_ok;

	struct oom_rank *oom;
	size_t noom;

	struct why_unreadable *unreadable;
	size_t nunreadable;

	struct why_finding *findings;
	size_t nfindings;

	/* --watch */
	bool watching;
	double elapsed;			/* seconds since the first sample */
	struct why_growth *growth;
	size_t ngrowth;
};

struct why_opts {
	int top;			/* processes, slab caches, vmalloc callers, OOM */
	int top_files;			/* per tmpfs mount */
	unsigned long long threshold;	/* findings: smallest thing worth a line */
	unsigned long long grow_min;	/* --watch: smallest growth worth a line */
	const char *proc_root;		/* "/proc" */
};

/* why_collect.c: fills everything but tree, findings and growth.  Returns 0
 * or -errno when /proc/meminfo itself cannot be read. */
int why_collect(struct why_report *r, const struct why_opts *o);
void why_report_free(struct why_report *r);
void why_note_unreadable(struct why_report *r, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* why_tree.c */
int why_tree_build(struct why_report *r);
int why_tree_add(struct why_tree *t, int parent, const char *name, unsigned long long bytes);
void why_tree_free(struct why_tree *t);
/* Sum of the leaves (for tests: MemTotal + overcount). */
unsigned long long why_tree_leaf_sum(const struct why_tree *t);
/* Index of the node with this '/'-separated path from the root, or -1. */
int why_tree_find(const struct why_tree *t, const char *path);
void why_tree_path(const struct why_tree *t, int i, char *buf, size_t len);

/* why_findings.c: `prev` (the first sample, or NULL) gives the trends. */
int why_findings(struct why_report *r, const struct why_report *first, const struct why_opts *o);
/* `prev`: the previous report (the first one for the first interval). */
int why_growth(struct why_report *r, const struct why_report *first,
	       const struct why_report *prev);

/* why_report.c */
void why_print_text(const struct why_report *r, const struct why_opts *o, FILE *out);
void why_print_json(const struct why_report *r, const struct why_opts *o, FILE *out);
/* why_metrics.c: `memleakbpf serve`'s families (lib/metrics.h). */
struct metrics;
void why_metrics(const struct why_report *r, struct metrics *m);

#endif
