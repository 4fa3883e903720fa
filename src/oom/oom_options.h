/* Command line of the oom mode: one struct of options. */
#ifndef MEMLEAKBPF_OOM_OPTIONS_H
#define MEMLEAKBPF_OOM_OPTIONS_H

#include <stdbool.h>

struct oom_env {
	unsigned long long count;	/* kills to report; 0: until Ctrl-C */
	double duration;		/* seconds; 0: until Ctrl-C */
	bool json;
	bool rank;
	bool no_kmsg;
	bool no_fentry;
	bool all;
	const char *memcg;
};

/* Parses argv into *env (reset first).  The return rule of lib/cli.h:
 * CLI_RUN, CLI_HELP or EXIT_USAGE. */
int oom_parse_args(int argc, char **argv, struct oom_env *env);

#endif
