/* The kernel mode's report: one structure filled from the BPF maps, printed
 * as text or JSON by twin functions that never compute numbers themselves. */
#ifndef MEMLEAKBPF_KMEM_REPORT_H
#define MEMLEAKBPF_KMEM_REPORT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

#include "kmem.h"
#include "procfs/procfs.h"
#include "sym/ksyms.h"

#define KMEM_MAX_HOOKS 16

/* The /proc/meminfo counters the summary compares the tracked bytes with. */
enum kmem_meminfo_field {
	KMI_SLAB,
	KMI_SUNRECLAIM,
	KMI_VMALLOC_USED,
	KMI_PERCPU,
	KMI_NR,
};

/* /proc/meminfo and /proc/slabinfo at one moment: the summary says how much
 * of the kernel's growth between two of them the tracked stacks explain. */
struct kmem_sysinfo {
	/* Bytes; valid[i] false when the line was missing or malformed. */
	long long meminfo[KMI_NR];
	bool valid[KMI_NR];
	/* Sum of active_objs * objsize over every cache, in bytes. */
	long long slab_objects;
	bool slab_valid;
};

/* One frame of a shown row, named in the resolve step. */
struct kmem_frame {
	unsigned long long addr;
	const char *function;		/* NULL: no symbol (owned by the ksyms table) */
	unsigned long long offset;	/* from the function's start */
	const char *module;		/* NULL: vmlinux */
};

struct kmem_row {
	long long bytes, count;
	struct kmem_agg_key key;
	char cache_name[KMEM_CACHE_NAME_LEN];
	char comm[KMEM_COMM_LEN];
	unsigned int pid;
	/* Filled by kmem_report_resolve() for the rows a report shows. */
	struct kmem_frame *frames;
	int nframes;
};

struct kmem_hook_misses {
	const char *hook;
	unsigned long long misses;
};

struct kmem_report {
	/* Every stack with outstanding bytes, largest first. */
	struct kmem_row *rows;
	size_t n, cap;
	/* Outstanding per kind over every row, not only the top ones. */
	long long kind_bytes[KMEM_NR_KINDS], kind_count[KMEM_NR_KINDS];
	/* Of those, rows whose stack was lost (every kind). */
	long long lost_bytes, lost_count;
	unsigned long long stats[KMEM_NR_STATS];
	unsigned long long stacks_pruned; /* idle stacks removed from the maps, so far */
	struct kmem_hook_misses misses[KMEM_MAX_HOOKS];
	int nmisses;
	struct kmem_sysinfo start, now;
	unsigned int kinds;   /* traced kinds (bit per enum kmem_kind) */
	/* Presentation. */
	unsigned int top;     /* 0: all */
	double older;         /* seconds, 0: off */
	unsigned int sample;  /* 1 in N */
	double elapsed;       /* seconds since tracing started */
	long long timestamp;  /* epoch seconds of the collection */
	bool final;           /* no report follows in this run */
};

const char *kmem_kind_name(unsigned int kind);
/* "kmalloc,kmem_cache" -> bit mask; false (and *bad = the word) on an
 * unknown kind. */
bool kmem_parse_kinds(const char *list, unsigned int *mask, char *bad, size_t badlen);

/* Add `bytes`/`count` to the row of `key`, creating it. -ENOMEM on failure. */
int kmem_report_add(struct kmem_report *r, const struct kmem_agg_key *key, long long bytes,
		    long long count);
/* Drop empty rows, sort largest first, fill the per-kind totals. */
void kmem_report_finish(struct kmem_report *r);
void kmem_report_reset(struct kmem_report *r);
void kmem_report_free(struct kmem_report *r);

/* The resolve step: the frames of every row a report shows, read from the
 * stack map (stacks_fd) and named through `ks`, tracing plumbing on top (the
 * BPF trampoline, the tracepoint's own functions) dropped.  The printers
 * then see only the report.  0 or -ENOMEM. */
int kmem_report_resolve(struct kmem_report *r, int stacks_fd, const struct ksyms *ks);
/* Symbol of a kernel address, NULL when unknown or implausibly far. */
#define KMEM_MAX_FUNC_SIZE (1ULL << 20)
const struct ksym *kmem_ksym(const struct ksyms *ks, unsigned long long addr);
/* Why a row has no stack (enum kmem_lost), or NULL when it has one. */
const char *kmem_stack_lost(unsigned int lost);
/* True for a frame that belongs to the tracing machinery, not the caller. */
bool kmem_is_tracing_frame(const char *function);

/* The rows a report shows: the first -T N, or all with 0. */
size_t kmem_rows_shown(const struct kmem_report *r);
/* The /proc/meminfo key of each field ("Slab", ...). */
const char *kmem_meminfo_name(enum kmem_meminfo_field f);
/* Fills `out` from parsed /proc/meminfo and /proc/slabinfo (NULL: the file
 * was unreadable).  The slab total is valid only when every cache line of
 * a 2.x file parsed: a partial sum would read as a shrinking kernel. */
void kmem_sysinfo_fill(struct kmem_sysinfo *out, const struct meminfo *mi,
		       const struct slabinfo *si);

void kmem_print_text(const struct kmem_report *r, FILE *out);
/* --pprof and --svg: the shown rows as a pprof profile or a flame graph of
 * outstanding bytes, replacing `path` atomically (kmem_export.c).  0 or
 * negative errno. */
int kmem_report_pprof(const struct kmem_report *r, const char *path);
int kmem_report_svg(const struct kmem_report *r, const char *path);
void kmem_print_json(const struct kmem_report *r, FILE *out);
/* `memleakbpf serve`: the report's metric families (kmem_metrics.c), the
 * per-cache one bounded to `top` label sets. */
struct metrics;
void kmem_metrics(const struct kmem_report *r, unsigned int top, struct metrics *m);

#endif
