/* User-mode reports: one struct built from the BPF maps, printed as text,
 * JSON (one object per line) or folded stacks (flamegraph.pl input). */
#ifndef MEMLEAKBPF_USER_REPORT_H
#define MEMLEAKBPF_USER_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "memleak.h"
#include "user/user_modules.h"

enum report_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_FOLDED };

struct report_opts {
	pid_t pid;
	const char *comm;
	const char *exe;         /* the target's executable (pprof's main file) */
	int top;                 /* stacks shown */
	unsigned long long older_ns; /* 0: every outstanding allocation */
	unsigned int sample_every;
	enum report_format format;
	long long timestamp;     /* epoch seconds the report was taken */
	bool final;              /* no report follows in this run */
	bool target_exited;      /* the target is gone: these are its leaks */
	bool exited;             /* -c: the command's outcome is known */
	int exit_code;           /* its exit status, -1 when it died on a signal */
	int exit_signal;         /* the signal that ended it, 0 if none */
	/* growth mode: stacks hold pages first written, not blocks; the
	 * target's RSS in bytes now, at the last report and at the first
	 * (-1: unknown, e.g. it has exited) */
	bool growth;
	long long rss, rss_prev, rss_start;
	/* growth: each stack's bytes at the last report (the builder reads
	 * it for every stack's growth, then keeps this report's in it) */
	struct stack_hist *hist;
};

/* Bytes per stack id at one report, sorted by id. */
struct stack_hist {
	struct stack_hist_entry {
		unsigned long long id;
		long long bytes;
	} *v;
	size_t n;
	unsigned long long at_ns; /* monotonic time of that report, 0: none yet */
};
void stack_hist_free(struct stack_hist *h);

struct report_frame {
	const char *function;
	const char *file;
	const char *module;
	int line;
	unsigned long long address; /* ELF virtual address in module, or absolute */
	bool inlined;
};

struct report_stack {
	long long bytes;
	long long count;
	/* growth: bytes gained since the last report (all of them at the
	 * first), and per second over that interval (0 at the first) */
	long long growth_bytes;
	double growth_per_s;
	unsigned int kind;
	int nframes;
	struct report_frame *frames;
};

struct user_report {
	long long total_bytes;
	long long total_count;
	size_t nstacks;          /* stacks holding memory (before --top) */
	unsigned long long stacks_pruned; /* idle stacks removed from the map, so far */
	struct report_stack *stacks;
	size_t nshown;
	unsigned long long drops[ML_DROP_MAX];
	size_t unresolved_modules;
	size_t unnamed_frames;   /* shown frames without a function name */
	struct nodebug {         /* shown modules without DWARF (names from */
		const char *module; /* their symbol table, no file:line) */
		char build_id[41];  /* "" when the file has none */
	} *nodebug;
	size_t nnodebug;
	/* Modules symbolized for the shown stacks, for pprof's mappings:
	 * frames name theirs by `name` (the same string). */
	struct report_module {
		const char *name;
		const char *path;
		char build_id[41]; /* "" when unknown */
	} *modules;
	size_t nmodules;
	const char **untraced;   /* allocator modules mapped after tracing */
	size_t nuntraced;        /* started: their allocations are missing */
};

struct symcache;

struct symcache *symcache_new(void);
void symcache_free(struct symcache *c);

/* Reads the maps and symbolizes the top stacks; 0 or negative errno. */
int user_report_build(struct user_report *r, struct memleak_bpf *skel, struct umodules *ms,
		      struct symcache *cache, const struct report_opts *o);
void user_report_print(const struct user_report *r, const struct report_opts *o, FILE *out);
void user_report_free(struct user_report *r);
/* `memleakbpf serve -p PID`: the report's metric families (user_metrics.c). */
struct metrics;
void user_metrics(const struct user_report *r, const struct report_opts *o, struct metrics *m);
const char *kind_name(unsigned int kind);
/* A frame as one flame-graph box or folded-stack word: its function, else
 * module+0xaddress; sanitized, ';' replaced (folded's separator). */
const char *report_frame_name(const struct report_frame *f, char *buf, size_t len);
/* --pprof and --svg: the report as a pprof profile or a flame graph of
 * outstanding bytes, replacing `path` atomically (user_export.c).  0 or
 * negative errno. */
int user_report_pprof(const struct user_report *r, const struct report_opts *o, const char *path);
int user_report_svg(const struct user_report *r, const struct report_opts *o, const char *path);
const char *drop_name(unsigned int reason);

#endif
