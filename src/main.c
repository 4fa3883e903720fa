/* memleakbpf: where did my memory go, who took it, and from which call stack.
 * Dispatches to a mode; user-space leak tracing is the default. */
#include <stdio.h>
#include <string.h>

#include "lib/common.h"
#include "modes.h"

static const struct mode {
	const char *name;
	int (*run)(int argc, char **argv);
} modes[] = {
	{ "user", cmd_user },
	{ "growth", cmd_growth },
	{ "shmem", cmd_shmem },
	{ "kernel", cmd_kernel },
	{ "oom", cmd_oom },
	{ "why", cmd_why },
	{ "serve", cmd_serve },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc > 1 && argv[1][0] != '-') {
		for (i = 0; i < ARRAY_SIZE(modes); i++)
			if (strcmp(argv[1], modes[i].name) == 0)
				return finish_output(modes[i].run(argc - 1, argv + 1));
		/* "memleakbpf 1234" is a common slip for "-p 1234". */
		err_msg("unknown mode '%s' (modes: user, growth, shmem, kernel, oom, why, serve; "
			"see 'memleakbpf --help')", argv[1]);
		return EXIT_USAGE;
	}
	return finish_output(cmd_user(argc, argv));
}
