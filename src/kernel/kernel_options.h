/* Command line of the kernel mode: one struct of options with defaults. */
#ifndef MEMLEAKBPF_KERNEL_OPTIONS_H
#define MEMLEAKBPF_KERNEL_OPTIONS_H

#include <stdbool.h>

struct kernel_env {
	double interval;
	unsigned long long count; /* 0: until Ctrl-C */
	unsigned int pid;
	unsigned int top;
	unsigned long long min_size, max_size;
	double older;
	unsigned int kinds;	/* 1 << KMEM_* */
	unsigned int sample;
	unsigned long long max_allocs, max_stacks;
	bool json;
	const char *pprof;	/* --pprof: each report also as a pprof profile */
	const char *svg;	/* --svg: each report also as a flame graph */
	bool exact_stacks;
};

/* Parses argv into *env (reset to defaults first).  The return rule of
 * lib/cli.h: CLI_RUN, CLI_HELP or EXIT_USAGE. */
int kernel_parse_args(int argc, char **argv, struct kernel_env *env);

#endif
