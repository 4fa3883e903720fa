/* Command line of the user mode: one struct of options with defaults. */
#ifndef MEMLEAKBPF_USER_OPTIONS_H
#define MEMLEAKBPF_USER_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

#include "user/user_report.h"

/* -p PID,PID... and --cgroup: at most this many targets at once */
#define USER_MAX_TARGETS 64

struct user_env {
	pid_t pid;		/* the target (the first of -p's list) */
	/* several targets: a tracer process each (user_multi.c) */
	pid_t pids[USER_MAX_TARGETS];
	int npids;
	const char *cgroup;	/* --cgroup: its directory (cgroup_dir) */
	char cgroup_dir[4096];
	const char *command;
	double interval;
	bool interval_given;
	unsigned long long count; /* reports; 0 = until the target exits or Ctrl-C */
	unsigned int top;
	unsigned long long min_size, max_size;
	double older;
	unsigned int sample;
	enum report_format format;
	const char *lib;
	const char *output;	/* -o: reports go there, not to stdout */
	const char *pprof;	/* --pprof: each report also as a pprof profile */
	const char *svg;	/* --svg: each report also as a flame graph */
	const char *symbol_prefix;
	bool trace_mmap;
	unsigned long long max_allocs, max_stacks, max_regions, unwind_rows;
	unsigned int max_depth;
	/* memleakbpf growth: no allocator probes; pages first written,
	 * per stack (max_allocs then counts pages) */
	bool growth;
	/* growth -a: every process of the machine (growth/growth_all.c) */
	bool all;
};

/* Parses argv into *env (reset to defaults first).  The return rule of
 * lib/cli.h: CLI_RUN, CLI_HELP or EXIT_USAGE. */
int user_parse_args(int argc, char **argv, struct user_env *env);
/* Option handlers growth mode's parser shares (lib/cli.h CLI_CALL). */
struct cli_mode;
int user_opt_command(const struct cli_mode *m, const char *arg, void *dest);
int user_opt_pids(const struct cli_mode *m, const char *arg, void *dest);   /* dest: env */
int user_opt_cgroup(const struct cli_mode *m, const char *arg, void *dest); /* dest: env */
/* The target rules both modes share: exactly one of -p, -c, --cgroup, and
 * --pprof/--svg with one process only.  CLI_RUN or EXIT_USAGE. */
int user_check_targets(const struct cli_mode *m, const struct user_env *e);
int user_opt_output(const struct cli_mode *m, const char *arg, void *dest);
int user_opt_json(const struct cli_mode *m, const char *arg, void *dest);
int user_opt_folded(const struct cli_mode *m, const char *arg, void *dest);
/* Map sizes: a positive count below 2^31 (what the kernel accepts). */
#define USER_MAP_SIZE(n, field) CLI_NUM(n, 0, field, 1, (1ULL << 31) - 1, "1..2147483647")
/* [INTERVAL [COUNT]], as both modes take them */
#define USER_OPERANDS(e)                                                   \
	{ .interval = &(e)->interval, .min_interval = 0.01,                \
	  .interval_given = &(e)->interval_given, .count = &(e)->count }
/* The defaults of every option, for another mode's parser (growth). */
extern const struct user_env user_env_defaults;

#endif
