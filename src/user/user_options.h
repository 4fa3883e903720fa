/* Command line of the user mode: one struct of options with defaults. */
#ifndef MEMLEAKBPF_USER_OPTIONS_H
#define MEMLEAKBPF_USER_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

#include "user/user_report.h"

struct user_env {
	pid_t pid;
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
};

/* Parses argv into *env (reset to defaults first).  The return rule of
 * lib/cli.h: CLI_RUN, CLI_HELP or EXIT_USAGE. */
int user_parse_args(int argc, char **argv, struct user_env *env);

#endif
