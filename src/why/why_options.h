/* Command line of the why mode: one struct of options with defaults. */
#ifndef MEMLEAKBPF_WHY_OPTIONS_H
#define MEMLEAKBPF_WHY_OPTIONS_H

#include <stdbool.h>

#include "why/why.h"

struct why_env {
	bool json;
	double watch;			/* seconds between samples, 0 = one snapshot */
	unsigned long long count;	/* reports with --watch, 0 = until Ctrl-C */
	struct why_opts o;
};

/* Parses argv into *env (reset to defaults first).  The return rule of
 * lib/cli.h: CLI_RUN, CLI_HELP or EXIT_USAGE. */
int why_parse_args(int argc, char **argv, struct why_env *env);

#endif
